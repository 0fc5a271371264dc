import { describe, expect, it } from '@jest/globals';
import { pageOf, taskComparator } from './task-order';
import type { TaskRow } from './task.types';

const row = (id: string, fields: Partial<TaskRow> = {}): TaskRow => ({
  id,
  name: id,
  description: null,
  processName: null,
  processDefinitionKey: null,
  priority: null,
  createTime: '2026-01-01T00:00:00Z',
  dueDate: null,
  followUpDate: null,
  deferred: false,
  assignee: null,
  candidateUsers: [],
  candidateGroups: [],
  formKey: null,
  version: 1,
  ...fields,
});

describe('taskComparator', () => {
  it('orders missing values first, ascending, and reverses for DESC', () => {
    const tasks = [
      row('a', { dueDate: '2026-03-01T00:00:00Z' }),
      row('b'),
      row('c', { dueDate: '2026-02-01T00:00:00Z' }),
    ];
    const asc = [...tasks].sort(taskComparator([{ field: 'DUE_DATE', direction: 'ASC' }]));
    expect(asc.map((t) => t.id)).toEqual(['b', 'c', 'a']);
    const desc = [...tasks].sort(taskComparator([{ field: 'DUE_DATE', direction: 'DESC' }]));
    expect(desc.map((t) => t.id)).toEqual(['a', 'c', 'b']);
  });

  it('uses the next key on ties and the id last', () => {
    const tasks = [
      row('z', { priority: 1, name: 'B' }),
      row('y', { priority: 1, name: 'A' }),
      row('x', { priority: 1, name: 'A' }),
    ];
    const sorted = [...tasks].sort(
      taskComparator([
        { field: 'PRIORITY', direction: 'DESC' },
        { field: 'NAME', direction: 'ASC' },
      ]),
    );
    expect(sorted.map((t) => t.id)).toEqual(['x', 'y', 'z']);
  });
});

describe('pageOf', () => {
  it('cuts pages and clamps a page past the end to the last one', () => {
    const items = Array.from({ length: 5 }, (_, i) => i);
    expect(pageOf(items, 0, 2)).toEqual({ rows: [0, 1], page: 0, pages: 3 });
    expect(pageOf(items, 7, 2)).toEqual({ rows: [4], page: 2, pages: 3 });
    expect(pageOf([], 0, 2)).toEqual({ rows: [], page: 0, pages: 1 });
  });
});
