import type { Filter } from 'mongodb';
import {
  closedTimeBound,
  compileClosedTaskFilter,
  compileClosedTaskSort,
  DEFAULT_CLOSED_TASK_SORT,
} from '../closed-tasks/closed-task-filters';
import type { ClosedTaskFilter, ClosedTaskSort, ClosedTaskSortField, Viewer } from '../view-store.port';
import type { ViewRecord } from './mongo.view-documents';
import type { SearchSettings } from '../search/search-settings';
import { type MongoSort, mongoSort, type SortField, TASK_SORT_FIELDS, taskQuery } from './mongo.view-queries';

const CLOSED_TASK_SORT_FIELDS: Record<ClosedTaskSortField, SortField> = {
  ...TASK_SORT_FIELDS,
  CLOSE_TIME: { path: '_s.closedAt', numeric: true },
};

/**
 * The query of a closed task filter for a viewer: the open tasks' query on the task as it closed
 * (authorisation first; an open task has no principals here, so it never matches), then the
 * closing conditions. Validated by the shared compiler, so both stores refuse the same input.
 */
export function closedTaskQuery(
  filter: ClosedTaskFilter | null | undefined,
  viewer: Viewer,
  settings: SearchSettings,
): Filter<ViewRecord> {
  compileClosedTaskFilter(filter, viewer, { search: settings }); // validates: errors name the field
  const f = filter ?? {};
  const clauses: Filter<ViewRecord>[] = [
    taskQuery({ ...f.task, includeDeferred: true }, viewer, new Date(0), settings, 'filter.task.search'),
    { closedAs: { $ne: null } },
  ];
  if (f.closedAs) clauses.push({ closedAs: { $eq: f.closedAs } });
  if (f.completedByMe) clauses.push({ completedBy: { $eq: viewer.userId } });
  if (f.completedBy) clauses.push({ completedBy: { $eq: f.completedBy } });
  const after = closedTimeBound(f.completedAfter, 'filter.completedAfter');
  const before = closedTimeBound(f.completedBefore, 'filter.completedBefore');
  if (after !== undefined) clauses.push({ '_s.closedAt': { $gt: after } });
  if (before !== undefined) clauses.push({ '_s.closedAt': { $lt: before } });
  return { $and: clauses };
}

/** The sort of a closed task query (default `CLOSE_TIME DESC`), then `_id`. */
export function closedTaskSort(sort: readonly ClosedTaskSort[] | null | undefined): MongoSort {
  compileClosedTaskSort(sort); // validates
  return mongoSort(sort && sort.length > 0 ? sort : DEFAULT_CLOSED_TASK_SORT, CLOSED_TASK_SORT_FIELDS);
}
