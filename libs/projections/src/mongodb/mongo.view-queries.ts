import { dataEntryId } from '@eddy/contracts';
import type { Filter, Sort } from 'mongodb';
import {
  compileDataEntryFilter,
  compileDataEntrySort,
  compileTaskFilter,
  compileTaskSort,
  type Cursor,
  decodeCursor,
  encodeCursor,
} from '../view-filters';
import {
  type DataEntryFilter,
  type DataEntrySort,
  type PayloadCondition,
  type TaskFilter,
  type TaskSort,
  type Viewer,
  ViewQueryError,
} from '../view-store.port';
import { viewerPrincipals, type ViewRecord } from './mongo.view-documents';
import { parseSearch, type SearchQuery } from '../search/search-query';
import type { SearchSettings } from '../search/search-settings';

/**
 * The view store's filters, sorts and cursors as MongoDB queries. Validation is the shared one of
 * `view-filters.ts` (the same errors naming the same fields as the memory store); what is built
 * here only translates. Every value from a filter reaches MongoDB inside `$eq`, `$in`, a range
 * operator or an escaped `$regex`, never as a query document of its own, so a value such as
 * `{"$ne": null}` is compared literally and cannot widen a query.
 */

/** A sort key as stored: the field and whether it holds numbers (times, priority) or strings. */
export interface SortField {
  path: string;
  numeric: boolean;
}

export const TASK_SORT_FIELDS: Record<TaskSort['field'], SortField> = {
  CREATE_TIME: { path: '_s.createTime', numeric: true },
  DUE_DATE: { path: '_s.dueDate', numeric: true },
  FOLLOW_UP_DATE: { path: '_s.followUpDate', numeric: true },
  PRIORITY: { path: 'priority', numeric: true },
  NAME: { path: 'name', numeric: false },
};

const DATA_ENTRY_SORT_FIELDS: Record<DataEntrySort['field'], SortField> = {
  NAME: { path: 'name', numeric: false },
  LAST_MODIFIED: { path: '_s.lastModified', numeric: true },
  ENTRY_TYPE: { path: 'entryType', numeric: false },
};

/** A compiled sort: MongoDB's sort document and how to read and page on its keys. */
export interface MongoSort {
  sort: Sort;
  fields: { path: string; numeric: boolean; sign: 1 | -1 }[];
}

/** Regular expression source matching `text` literally. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/**
 * A case-insensitive substring of a string value at `path`. The `$type` clause keeps MongoDB's rule
 * that only strings match a `$regex`: mongo-java-server 1.47 also matches numbers (`0` matches `''`),
 * and ignores a `$type` written in the same operator object as the `$regex`, so the two stand apart.
 */
const contains = (path: string, text: string): Filter<ViewRecord> => ({
  $and: [{ [path]: { $type: 'string' } }, { [path]: { $regex: escapeRegex(text), $options: 'i' } }],
});

/** Authorisation of a viewer as a query clause, on the `_p` principal keys. */
export function visibleTo(viewer: Viewer): Filter<ViewRecord> {
  return { _r: false, _p: { $in: viewerPrincipals(viewer) } };
}

/** A payload condition (already validated) as a clause on `payload.<path>`. */
export function payloadClause(condition: PayloadCondition): Filter<ViewRecord> {
  const path = `payload.${condition.path}`;
  const { value } = condition;
  switch (condition.op) {
    case 'EQ':
      return { [path]: { $eq: value } };
    case 'NE':
      return { [path]: { $ne: value } };
    case 'IN':
      return { [path]: { $in: value as unknown[] } };
    case 'LIKE':
      return contains(path, value as string);
    case 'LT':
      return { [path]: { $lt: value } };
    case 'LTE':
      return { [path]: { $lte: value } };
    case 'GT':
      return { [path]: { $gt: value } };
    case 'GTE':
      return { [path]: { $gte: value } };
    default: {
      const unknownOp: never = condition.op;
      throw new ViewQueryError('op', `unknown operator '${String(unknownOp)}'`);
    }
  }
}

const textClause = (fields: string[], text: string): Filter<ViewRecord> => ({
  $or: fields.map((f) => contains(f, text)),
});

/**
 * A search as a clause on the stored search terms (`_q`): every word the prefix of one of them. An
 * anchored `$regex` of letters and digits, which MongoDB answers from the `_q` index as a range.
 */
export function searchClause(search: SearchQuery): Filter<ViewRecord> {
  return { $and: search.words.map((word) => ({ _q: { $regex: `^${escapeRegex(word)}` } })) };
}

const timeOf = (value: string | null | undefined): number | undefined =>
  value === null || value === undefined ? undefined : Date.parse(value);

/** The query of a task filter for a viewer: authorisation first, then every condition. */
export function taskQuery(
  filter: TaskFilter | null | undefined,
  viewer: Viewer,
  now: Date,
  settings: SearchSettings,
  searchField = 'filter.search',
): Filter<ViewRecord> {
  compileTaskFilter({ ...filter, search: null }, viewer, now); // validates: errors name the field
  const f = filter ?? {};
  const clauses: Filter<ViewRecord>[] = [visibleTo(viewer)];
  const search = parseSearch(f.search, settings, searchField);
  if (search) clauses.push(searchClause(search));
  if (!f.includeDeferred) {
    clauses.push({
      $or: [{ '_s.followUpDate': null }, { '_s.followUpDate': { $lte: now.getTime() } }],
    });
  }
  if (f.assignedToMe) clauses.push({ assignee: { $eq: viewer.userId } });
  if (f.unassigned) clauses.push({ assignee: null });
  if (typeof f.text === 'string' && f.text.length > 0) {
    clauses.push(textClause(['name', 'description', 'businessKey', 'processName'], f.text));
  }
  for (const key of [
    'applicationName',
    'processDefinitionKey',
    'taskDefinitionKey',
    'processInstanceId',
  ] as const) {
    const value = f[key];
    if (value !== null && value !== undefined) clauses.push({ [key]: { $eq: value } });
  }
  if (f.candidateGroup) clauses.push({ candidateGroups: { $eq: f.candidateGroup } });
  if (f.priorityMin !== null && f.priorityMin !== undefined)
    clauses.push({ priority: { $gte: f.priorityMin } });
  if (f.priorityMax !== null && f.priorityMax !== undefined)
    clauses.push({ priority: { $lte: f.priorityMax } });
  const range = (path: string, before: string | null | undefined, after: string | null | undefined) => {
    const b = timeOf(before);
    const a = timeOf(after);
    if (b !== undefined) clauses.push({ [path]: { $lt: b } });
    if (a !== undefined) clauses.push({ [path]: { $gt: a } });
  };
  range('_s.dueDate', f.dueBefore, f.dueAfter);
  range('_s.followUpDate', f.followUpBefore, f.followUpAfter);
  range('_s.createTime', f.createdBefore, f.createdAfter);
  for (const condition of f.payload ?? []) clauses.push(payloadClause(condition));
  if (f.correlatedTo) {
    clauses.push({ _c: { $eq: dataEntryId(f.correlatedTo.entryType, f.correlatedTo.entryId) } });
  }
  return { $and: clauses };
}

/** The query of a data entry filter for a viewer. */
export function dataEntryQuery(
  filter: DataEntryFilter | null | undefined,
  viewer: Viewer,
  settings: SearchSettings,
): Filter<ViewRecord> {
  compileDataEntryFilter(filter, viewer, { search: settings }); // validates
  const f = filter ?? {};
  const clauses: Filter<ViewRecord>[] = [visibleTo(viewer)];
  const search = parseSearch(f.search, settings, 'filter.search');
  if (search) clauses.push(searchClause(search));
  if (f.entryType) clauses.push({ entryType: { $eq: f.entryType } });
  if (f.applicationName) clauses.push({ applicationName: { $eq: f.applicationName } });
  if (f.processingType) clauses.push({ 'state.processingType': { $eq: f.processingType } });
  if (f.state) clauses.push({ 'state.state': { $eq: f.state } });
  if (typeof f.text === 'string' && f.text.length > 0) {
    clauses.push(textClause(['name', 'description', 'type', 'entryId'], f.text));
  }
  for (const condition of f.payload ?? []) clauses.push(payloadClause(condition));
  return { $and: clauses };
}

/** MongoDB's sort of the given (validated) fields, then `_id`. */
export function mongoSort<F extends string>(
  sort: readonly { field: F; direction?: 'ASC' | 'DESC' }[],
  fields: Record<F, SortField>,
): MongoSort {
  const compiled = sort.map((s) => ({ ...fields[s.field], sign: s.direction === 'DESC' ? -1 : 1 }) as const);
  const document: Record<string, 1 | -1> = {};
  for (const f of compiled) document[f.path] = f.sign;
  document._id = 1;
  return { sort: document, fields: compiled };
}

/** The sort of a task query (default `CREATE_TIME ASC`), then `_id`. */
export function taskSort(sort: readonly TaskSort[] | null | undefined): MongoSort {
  compileTaskSort(sort); // validates
  return mongoSort(sort && sort.length > 0 ? sort : [{ field: 'CREATE_TIME' }], TASK_SORT_FIELDS);
}

/** The one order of a user's process instances: `startTime` descending (ISO strings in UTC), then `_id`. */
export function processInstanceSort(): MongoSort {
  return mongoSort([{ field: 'START_TIME', direction: 'DESC' }], {
    START_TIME: { path: 'startTime', numeric: false },
  });
}

/** The sort of a data entry query (default `LAST_MODIFIED DESC`), then `_id`. */
export function dataEntrySort(sort: readonly DataEntrySort[] | null | undefined): MongoSort {
  compileDataEntrySort(sort); // validates
  return mongoSort(
    sort && sort.length > 0 ? sort : [{ field: 'LAST_MODIFIED', direction: 'DESC' }],
    DATA_ENTRY_SORT_FIELDS,
  );
}

const badCursor = () =>
  new ViewQueryError(
    'after',
    'is not a cursor of this query (use the endCursor of a page with the same sort)',
  );

/**
 * The documents after a cursor, as a range query: for keys k1..kn and the id, `k1 after c1`, or
 * `k1 = c1 and k2 after c2`, ..., or all equal and `_id > id`. Missing values sort first (MongoDB's
 * order): after `null` in ascending order is any value, in descending order nothing.
 */
export function afterCursor(after: string, sort: MongoSort): Filter<ViewRecord> {
  const cursor: Cursor = decodeCursor(after, sort.fields.length);
  cursor.key.forEach((k, i) => {
    if (k !== null && typeof k !== (sort.fields[i].numeric ? 'number' : 'string')) throw badCursor();
  });
  const branches: Filter<ViewRecord>[] = [];
  const equal: Filter<ViewRecord> = {};
  sort.fields.forEach((field, i) => {
    const value = cursor.key[i];
    const beyond: Filter<ViewRecord> | null =
      field.sign === 1
        ? value === null
          ? { [field.path]: { $ne: null } }
          : { [field.path]: { $gt: value } }
        : value === null
          ? null
          : { $or: [{ [field.path]: { $lt: value } }, { [field.path]: null }] };
    if (beyond) branches.push({ ...equal, ...beyond });
    equal[field.path] = value === null ? null : { $eq: value };
  });
  branches.push({ ...equal, _id: { $gt: cursor.id } });
  return { $or: branches };
}

/** The cursor of a stored document under a sort (the keys as the memory store encodes them). */
export function cursorOf(stored: Record<string, unknown>, sort: MongoSort): string {
  const key = sort.fields.map((f) => {
    let value: unknown = stored;
    for (const segment of f.path.split('.')) value = (value as Record<string, unknown> | null)?.[segment];
    return value === undefined ? null : (value as string | number | null);
  });
  return encodeCursor({ key, id: stored._id as string });
}
