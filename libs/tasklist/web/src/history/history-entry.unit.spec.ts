import { describe, expect, it } from '@jest/globals';
import { changeValue, describeEntry } from './history-entry';
import type { HistoryEntry } from './history.types';

const entry = (type: string, fields: Partial<HistoryEntry> = {}): HistoryEntry => ({
  revision: 1,
  time: '2026-12-01T10:00:00.000Z',
  type,
  userId: 'alice',
  commandId: 'c-1',
  changes: [],
  comment: null,
  ...fields,
});

describe('describeEntry', () => {
  it('says who claimed a task and what it changed', () => {
    expect(describeEntry(entry('TaskClaimed', { changes: [{ field: 'assignee', value: 'alice' }] }))).toEqual(
      {
        who: 'alice',
        what: 'claimed the task',
        changes: ['assignee: alice'],
      },
    );
  });

  it('names the engine when no user caused the change, and lists no fields of a creation', () => {
    const created = entry('TaskCreated', { userId: null, changes: [{ field: 'name', value: 'Review' }] });
    expect(describeEntry(created)).toEqual({ who: 'The engine', what: 'created the task', changes: [] });
  });

  it('quotes a comment', () => {
    const commented = entry('TaskCommentAdded', { comment: { text: 'Called back.' } });
    expect(describeEntry(commented).what).toBe('commented: “Called back.”');
  });

  it('names a payload change without its value, and removed dates as none', () => {
    const edited = entry('TaskEdited', {
      changes: [
        { field: 'payload', value: { amount: 3 } },
        { field: 'dueDate', value: null },
      ],
    });
    expect(describeEntry(edited).changes).toEqual(['payload changed', 'dueDate: none']);
  });

  it('words an event type it does not know', () => {
    expect(describeEntry(entry('TaskSomethingNew')).what).toBe('task something new');
  });
});

describe('changeValue', () => {
  it('joins lists, writes objects as JSON and cuts long values', () => {
    expect(changeValue(['sales', 'support'])).toBe('sales, support');
    expect(changeValue([])).toBe('none');
    expect(changeValue({ a: 1 })).toBe('{"a":1}');
    expect(changeValue(70)).toBe('70');
    const cut = changeValue('x'.repeat(100));
    expect(cut).toHaveLength(60);
    expect(cut.endsWith('…')).toBe(true);
  });
});
