import { parseIsoDateTime } from '@eddy/contracts';
import {
  canSeeTask,
  compileSort,
  compileTaskFilter,
  type CompiledSort,
  type FilterOptions,
  type SortValue,
} from '../view-filters';
import {
  type ClosedTaskFilter,
  type ClosedTaskSort,
  type ClosedTaskSortField,
  ViewQueryError,
  type Viewer,
} from '../view-store.port';
import type { ClosedTaskView } from '../view.types';

const ms = (value: string | null): number | null => (value === null ? null : Date.parse(value));

const CLOSED_TASK_SORT_KEYS: Record<ClosedTaskSortField, (t: ClosedTaskView) => SortValue> = {
  CLOSE_TIME: (t) => ms(t.closedAt),
  CREATE_TIME: (t) => ms(t.createTime),
  DUE_DATE: (t) => ms(t.dueDate),
  FOLLOW_UP_DATE: (t) => ms(t.followUpDate),
  PRIORITY: (t) => t.priority,
  NAME: (t) => t.name,
};

/** The default order of closed tasks: the latest closed first. */
export const DEFAULT_CLOSED_TASK_SORT: readonly ClosedTaskSort[] = [
  { field: 'CLOSE_TIME', direction: 'DESC' },
];

export function compileClosedTaskSort(
  sort: readonly ClosedTaskSort[] | null | undefined,
): CompiledSort<ClosedTaskView> {
  return compileSort(sort && sort.length > 0 ? sort : DEFAULT_CLOSED_TASK_SORT, CLOSED_TASK_SORT_KEYS);
}

/** The instant of a time bound of the filter, or undefined; a bad one is refused naming the field. */
export function closedTimeBound(value: string | null | undefined, field: string): number | undefined {
  if (value === null || value === undefined) return undefined;
  const instant = parseIsoDateTime(value);
  if (instant === null) throw new ViewQueryError(field, `'${value}' is not an ISO-8601 date-time`);
  return Date.parse(instant);
}

/** The open tasks' conditions of `filter.task`, with their errors naming `filter.task.<field>`. */
function taskConditions(
  f: ClosedTaskFilter,
  viewer: Viewer,
  search: FilterOptions['search'],
): (task: ClosedTaskView) => boolean {
  try {
    return compileTaskFilter({ ...f.task, includeDeferred: true }, viewer, new Date(0), {
      authorised: true,
      search,
    });
  } catch (error) {
    if (!(error instanceof ViewQueryError)) throw error;
    const field = error.field.replace(/^filter\./, 'filter.task.');
    throw new ViewQueryError(field, error.message.slice(error.field.length + 2));
  }
}

/**
 * Compiles a closed task filter into a predicate on a closed task and the viewer. The task
 * conditions are the open tasks' (`filter.task`), deferral aside; open tasks never match.
 */
export function compileClosedTaskFilter(
  filter: ClosedTaskFilter | null | undefined,
  viewer: Viewer,
  options: FilterOptions = {},
): (task: ClosedTaskView) => boolean {
  const f = filter ?? {};
  if (f.closedAs && f.closedAs !== 'COMPLETED' && f.closedAs !== 'DELETED') {
    throw new ViewQueryError('filter.closedAs', 'must be COMPLETED or DELETED');
  }
  const matchesTask = taskConditions(f, viewer, options.search);
  const after = closedTimeBound(f.completedAfter, 'filter.completedAfter');
  const before = closedTimeBound(f.completedBefore, 'filter.completedBefore');
  const completedBy = f.completedByMe ? viewer.userId : (f.completedBy ?? null);
  if (f.completedByMe && f.completedBy && f.completedBy !== viewer.userId) return () => false;
  return (t) => {
    if (t.closedAs === null || t.closedAt === null) return false;
    if (!options.authorised && !canSeeTask(t, viewer)) return false;
    if (f.closedAs && t.closedAs !== f.closedAs) return false;
    if (completedBy !== null && t.completedBy !== completedBy) return false;
    const closedAt = Date.parse(t.closedAt);
    if (after !== undefined && !(closedAt > after)) return false;
    if (before !== undefined && !(closedAt < before)) return false;
    return matchesTask(t);
  };
}
