import type { LiveChange } from '../live/live-set';
import { compareSortKeys } from './task-order';
import type { TaskRow, TaskSort } from './task.types';

/** What a page of a list shows, as read with `tasks(filter, sort, first, after)`. */
export interface PageWindow {
  rows: readonly TaskRow[];
  /** The last row of the page before (whose cursor this page was read after); null on the first page. */
  before: TaskRow | null;
  hasNextPage: boolean;
}

/**
 * Whether a change of the live list can change what the page shows, so that the page must be read
 * again: a row of the page changed or left, or a task now sorts between the page before and the
 * page's last row (anywhere after the page before, on the last page). Ties with a bound count as
 * inside, since the server breaks them by id in an order the page does not repeat: a change may
 * cost a read too many, never a missed one.
 */
export function changeTouchesPage(
  change: LiveChange<TaskRow>,
  window: PageWindow,
  sort: readonly TaskSort[],
): boolean {
  const onPage = new Set(window.rows.map((r) => r.id));
  if (change.kind === 'SNAPSHOT') return true;
  if (change.kind === 'REMOVED') return change.removedIds.some((id) => onPage.has(id));
  const compare = compareSortKeys(sort);
  const last = window.rows[window.rows.length - 1];
  return change.items.some(
    (task) =>
      onPage.has(task.id) ||
      ((window.before === null || compare(task, window.before) >= 0) &&
        (!window.hasNextPage || last === undefined || compare(task, last) <= 0)),
  );
}
