import { describe, expect, it } from '@jest/globals';
import {
  EMPTY_FILTER_FORM,
  FilterFormError,
  filterFormOf,
  taskFilterOf,
  type FilterForm,
} from './task-filter';

describe('taskFilterOf', () => {
  it('keeps the tab conditions and adds only the fields that are filled in', () => {
    expect(taskFilterOf(EMPTY_FILTER_FORM, { assignedToMe: true })).toEqual({ assignedToMe: true });
    expect(
      taskFilterOf(
        {
          ...EMPTY_FILTER_FORM,
          text: ' invoice ',
          priorityMin: '10',
          dueBefore: '2026-05-01',
          includeDeferred: true,
          payloadPath: 'amount',
          payloadOp: 'GT',
          payloadValue: '1000',
        },
        { unassigned: true },
      ),
    ).toEqual({
      unassigned: true,
      text: 'invoice',
      priorityMin: 10,
      dueBefore: '2026-05-01T23:59:59.999Z',
      includeDeferred: true,
      payload: [{ path: 'amount', op: 'GT', value: 1000 }],
    });
  });

  it('keeps a payload value that is not JSON as text', () => {
    const filter = taskFilterOf(
      { ...EMPTY_FILTER_FORM, payloadPath: 'supplier', payloadOp: 'LIKE', payloadValue: 'acme' },
      {},
    );
    expect(filter.payload).toEqual([{ path: 'supplier', op: 'LIKE', value: 'acme' }]);
  });

  it.each([
    [{ priorityMin: 'high' }, 'priorityMin'],
    [{ priorityMin: '5', priorityMax: '1' }, 'priorityMax'],
    [{ dueAfter: '1.5.2026' }, 'dueAfter'],
    [{ payloadPath: 'a..b', payloadValue: '1' }, 'payloadPath'],
    [{ payloadPath: 'amount' }, 'payloadValue'],
  ])('names the bad field of %o', (fields, field) => {
    let error: unknown;
    try {
      taskFilterOf({ ...EMPTY_FILTER_FORM, ...fields }, {});
    } catch (refusal) {
      error = refusal;
    }
    expect(error).toBeInstanceOf(FilterFormError);
    expect((error as FilterFormError).field).toBe(field);
    expect((error as FilterFormError).message).toContain(field);
  });

  it('puts a search into the filter, trimmed, and leaves a blank one out', () => {
    expect(taskFilterOf({ ...EMPTY_FILTER_FORM, search: '  müller 4711 ' }, {})).toEqual({
      search: 'müller 4711',
    });
    expect(taskFilterOf({ ...EMPTY_FILTER_FORM, search: '   ' }, {})).toEqual({});
  });
});

describe('filterFormOf', () => {
  it('shows a saved filter in the form, which gives the same filter back', () => {
    const form: FilterForm = {
      ...EMPTY_FILTER_FORM,
      search: 'invoice',
      processDefinitionKey: 'invoice-approval',
      priorityMin: '0',
      priorityMax: '80',
      dueAfter: '2026-05-01',
      followUpBefore: '2026-06-30',
      includeDeferred: true,
      payloadPath: 'customer.tier',
      payloadOp: 'IN',
      payloadValue: '["gold","silver"]',
    };
    const saved = taskFilterOf(form, {});
    expect(filterFormOf(saved)).toEqual(form);
    expect(taskFilterOf(filterFormOf(saved), {})).toEqual(saved);
  });

  it('shows text payload values as typed, and an empty filter as the empty form', () => {
    expect(filterFormOf({ payload: [{ path: 'supplier', op: 'EQ', value: 'ACME' }] })).toMatchObject({
      payloadValue: 'ACME',
    });
    expect(filterFormOf({})).toEqual(EMPTY_FILTER_FORM);
  });
});
