import { describe, expect, it } from '@jest/globals';
import { validateCollectorOptions, type CollectorOptions } from './collector.options';
import { taskCorrelations, taskPayload } from './variable-enrichment';

const claim = { processDefinitionKey: 'insurance-claim', taskDefinitionKey: 'AssessDamage' };
const variables = { claimId: 'C-17', policyNumber: 'P-9', iban: 'DE00', amount: 1200, notes: 'x' };

describe('taskPayload', () => {
  it('passes every variable when no filter applies', () => {
    expect(taskPayload(variables, claim, {})).toEqual(variables);
  });

  it('applies the filter of the process to each of its tasks', () => {
    const options: CollectorOptions = {
      applicationName: 'eddy',
      variableFilters: [{ processDefinitionKey: 'insurance-claim', exclude: ['iban'] }],
    };
    expect(taskPayload(variables, claim, options)).toEqual({
      claimId: 'C-17',
      policyNumber: 'P-9',
      amount: 1200,
      notes: 'x',
    });
    expect(taskPayload(variables, { ...claim, processDefinitionKey: 'other' }, options)).toEqual(variables);
  });

  it('prefers the filter of the task definition to the one of the process', () => {
    const options: CollectorOptions = {
      applicationName: 'eddy',
      variableFilters: [
        { processDefinitionKey: 'insurance-claim', exclude: ['iban'] },
        {
          processDefinitionKey: 'insurance-claim',
          taskDefinitionKey: 'AssessDamage',
          include: ['claimId', 'amount', 'iban'],
          exclude: ['amount'],
        },
      ],
    };
    expect(taskPayload(variables, claim, options)).toEqual({ claimId: 'C-17', iban: 'DE00' });
    expect(
      taskPayload(variables, { ...claim, taskDefinitionKey: 'CheckPolicy' }, options),
    ).not.toHaveProperty('iban');
  });
});

describe('taskCorrelations', () => {
  const options: CollectorOptions = {
    applicationName: 'eddy',
    correlations: [
      { processDefinitionKey: 'insurance-claim', variable: 'claimId', entryType: 'claim' },
      {
        processDefinitionKey: 'insurance-claim',
        taskDefinitionKey: 'CheckPolicy',
        variable: 'policyNumber',
        entryType: 'policy',
      },
      { processDefinitionKey: 'invoice-approval', variable: 'invoiceId', entryType: 'invoice' },
    ],
  };

  it('maps variables of the task to data entry references, per process and per task', () => {
    expect(taskCorrelations(variables, claim, options)).toEqual({
      correlations: [{ entryType: 'claim', entryId: 'C-17' }],
      problems: [],
    });
    expect(
      taskCorrelations(variables, { ...claim, taskDefinitionKey: 'CheckPolicy' }, options).correlations,
    ).toEqual([
      { entryType: 'claim', entryId: 'C-17' },
      { entryType: 'policy', entryId: 'P-9' },
    ]);
  });

  it('reads variables that the payload filter leaves out, numbers and lists of ids', () => {
    const result = taskCorrelations({ claimId: [17, 'C-18', 17] }, claim, options);
    expect(result.correlations).toEqual([
      { entryType: 'claim', entryId: '17' },
      { entryType: 'claim', entryId: 'C-18' },
    ]);
  });

  it('yields nothing for a missing variable and a problem for a value that is no id', () => {
    expect(taskCorrelations({}, claim, options)).toEqual({ correlations: [], problems: [] });
    expect(taskCorrelations({ claimId: 'has space' }, claim, options)).toEqual({
      correlations: [],
      problems: [
        { variable: 'claimId', entryType: 'claim', problem: 'value "has space" is not a data entry id' },
      ],
    });
    expect(taskCorrelations({ claimId: { nested: 1 } }, claim, options).problems).toHaveLength(1);
  });
});

describe('validateCollectorOptions', () => {
  it('names the bad field', () => {
    expect(() => validateCollectorOptions({ applicationName: '' })).toThrow('applicationName');
    expect(() =>
      validateCollectorOptions({ applicationName: 'eddy', variableFilters: [{ processDefinitionKey: 'p' }] }),
    ).toThrow('variableFilters[0]: include or exclude is required');
    expect(() =>
      validateCollectorOptions({
        applicationName: 'eddy',
        correlations: [{ processDefinitionKey: 'p', variable: '', entryType: 'e' }],
      }),
    ).toThrow('correlations[0].variable');
  });
});
