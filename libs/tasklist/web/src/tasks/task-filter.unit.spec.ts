import { describe, expect, it } from '@jest/globals';
import { EMPTY_FILTER_FORM, FilterFormError, taskFilterOf } from './task-filter';

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
});
