import type { TaskRow, TaskSort, TaskSortField } from './task.types';

type SortValue = string | number | null;

const time = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));

const KEYS: Record<TaskSortField, (t: TaskRow) => SortValue> = {
  CREATE_TIME: (t) => time(t.createTime),
  DUE_DATE: (t) => time(t.dueDate),
  FOLLOW_UP_DATE: (t) => time(t.followUpDate),
  PRIORITY: (t) => t.priority,
  NAME: (t) => t.name,
};

/** Missing values first, as the server's view store orders them (ascending). */
function compareValues(a: SortValue, b: SortValue): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

/**
 * Compares tasks by the sort keys alone, as the contract's `tasks(sort:)` does before it breaks ties
 * (0 for tasks the keys do not tell apart).
 */
export function compareSortKeys(sort: readonly TaskSort[]): (a: TaskRow, b: TaskRow) => number {
  return (a, b) => {
    for (const s of sort) {
      const c = compareValues(KEYS[s.field](a), KEYS[s.field](b));
      if (c !== 0) return s.direction === 'DESC' ? -c : c;
    }
    return 0;
  };
}

/** One page of the sorted tasks; `page` counts from 0 and is clamped to the last page. */
export function pageOf<T>(
  sorted: readonly T[],
  page: number,
  size: number,
): { rows: T[]; page: number; pages: number } {
  const pages = Math.max(1, Math.ceil(sorted.length / size));
  const clamped = Math.min(Math.max(0, page), pages - 1);
  return { rows: sorted.slice(clamped * size, clamped * size + size), page: clamped, pages };
}
