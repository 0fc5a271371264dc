import { describe, expect, it } from '@jest/globals';
import { changeTouchesPage, type PageWindow } from './task-page-window';
import { taskRow } from './task-row.fixture';
import type { TaskRow, TaskSort } from './task.types';

const row = (id: string, priority: number | null): TaskRow => taskRow(id, { priority });

const byPriority: TaskSort[] = [{ field: 'PRIORITY', direction: 'ASC' }];
const upserted = (task: TaskRow) => ({ kind: 'UPSERTED' as const, items: [task], removedIds: [] });
const removed = (id: string) => ({ kind: 'REMOVED' as const, items: [], removedIds: [id] });

/** The second page of a list sorted by priority: rows of priority 20 and 30, more pages after it. */
const middle: PageWindow = { rows: [row('b', 20), row('c', 30)], before: row('a', 10), hasNextPage: true };

describe('changeTouchesPage', () => {
  it('is touched by a change or a removal of one of its rows', () => {
    expect(changeTouchesPage(upserted(row('c', 99)), middle, byPriority)).toBe(true);
    expect(changeTouchesPage(removed('b'), middle, byPriority)).toBe(true);
  });

  it('is touched by a task that now sorts into it, ties with its bounds included', () => {
    expect(changeTouchesPage(upserted(row('x', 25)), middle, byPriority)).toBe(true);
    expect(changeTouchesPage(upserted(row('x', 10)), middle, byPriority)).toBe(true);
    expect(changeTouchesPage(upserted(row('x', 30)), middle, byPriority)).toBe(true);
  });

  it('is not touched by tasks before it or after it, nor by the removal of a task not on it', () => {
    expect(changeTouchesPage(upserted(row('x', 5)), middle, byPriority)).toBe(false);
    expect(changeTouchesPage(upserted(row('x', 31)), middle, byPriority)).toBe(false);
    expect(changeTouchesPage(removed('a'), middle, byPriority)).toBe(false);
  });

  it('on the last page, takes every task after the page before; on the first, every task before its end', () => {
    const last: PageWindow = { ...middle, hasNextPage: false };
    expect(changeTouchesPage(upserted(row('x', 99)), last, byPriority)).toBe(true);
    const first: PageWindow = { rows: [row('b', 20)], before: null, hasNextPage: true };
    expect(changeTouchesPage(upserted(row('x', null)), first, byPriority)).toBe(true);
    expect(changeTouchesPage(upserted(row('x', 21)), first, byPriority)).toBe(false);
    const empty: PageWindow = { rows: [], before: null, hasNextPage: false };
    expect(changeTouchesPage(upserted(row('x', 1)), empty, byPriority)).toBe(true);
  });

  it('follows the direction of the sort', () => {
    const descending: TaskSort[] = [{ field: 'PRIORITY', direction: 'DESC' }];
    const page: PageWindow = { rows: [row('b', 30), row('c', 20)], before: row('a', 40), hasNextPage: true };
    expect(changeTouchesPage(upserted(row('x', 25)), page, descending)).toBe(true);
    expect(changeTouchesPage(upserted(row('x', 45)), page, descending)).toBe(false);
    expect(changeTouchesPage(upserted(row('x', 15)), page, descending)).toBe(false);
  });
});
