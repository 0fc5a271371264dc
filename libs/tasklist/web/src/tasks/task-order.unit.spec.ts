import { describe, expect, it } from '@jest/globals';
import { compareSortKeys, pageOf } from './task-order';
import { taskRow as row } from './task-row.fixture';

describe('compareSortKeys', () => {
  it('orders missing values first, ascending, and reverses for DESC', () => {
    const tasks = [
      row('a', { dueDate: '2026-03-01T00:00:00Z' }),
      row('b'),
      row('c', { dueDate: '2026-02-01T00:00:00Z' }),
    ];
    const asc = [...tasks].sort(compareSortKeys([{ field: 'DUE_DATE', direction: 'ASC' }]));
    expect(asc.map((t) => t.id)).toEqual(['b', 'c', 'a']);
    const desc = [...tasks].sort(compareSortKeys([{ field: 'DUE_DATE', direction: 'DESC' }]));
    expect(desc.map((t) => t.id)).toEqual(['a', 'c', 'b']);
  });

  it('uses the next key on ties and leaves tasks equal in every key as ties', () => {
    const compare = compareSortKeys([
      { field: 'PRIORITY', direction: 'DESC' },
      { field: 'NAME', direction: 'ASC' },
    ]);
    const b = row('z', { priority: 1, name: 'B' });
    const a = row('y', { priority: 1, name: 'A' });
    expect(compare(a, b)).toBeLessThan(0);
    expect(compare(row('w', { priority: 2, name: 'Z' }), a)).toBeLessThan(0);
    expect(compare(a, row('x', { priority: 1, name: 'A' }))).toBe(0);
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
