import { parseIsoDateTime } from '@eddy/contracts';
import { payloadPathSegments, valuesAt } from './payload-paths';
import { parseSearch, searchScore } from './search/search-query';
import { DEFAULT_SEARCH_SETTINGS, type SearchSettings } from './search/search-settings';
import { dataEntrySearchTerms, taskSearchTerms } from './search/search-terms';
import type {
  ClosedTaskView,
  DataEntryView,
  HistoryView,
  ProcessInstanceView,
  TaskView,
  ViewName,
} from './view.types';
import { savedFilterPrincipals, type SavedFilterView } from './saved-filters/saved-filter.view';
import {
  type DataEntryFilter,
  type DataEntrySort,
  type PayloadCondition,
  type SortDirection,
  type TaskFilter,
  type TaskSort,
  type Viewer,
  ViewQueryError,
} from './view-store.port';

/**
 * The semantics of the view store's filters, sorts and cursors as plain functions. The embedded
 * adapter runs them; the tasklist can run the same ones on pushed changes (authorisation and filter
 * applied again to every change), so a live list and a query never disagree.
 */

/** What decides who sees a task. */
export type TaskAccess = Pick<
  TaskView,
  'assignee' | 'candidateUsers' | 'candidateGroups' | 'processDefinitionKey'
>;

/**
 * The viewer may see the task: assignee, candidate user, or member of a candidate group; a task with none of
 * them (as Camunda 8's Tasklist shows it) to those who may start its process ({@link Viewer.startableProcesses}).
 */
export function canSeeTask(task: TaskAccess, viewer: Viewer): boolean {
  if (task.assignee === viewer.userId || task.candidateUsers.includes(viewer.userId)) return true;
  if (task.candidateGroups.some((g) => viewer.groups.includes(g))) return true;
  const open = openProcessOf(task);
  return open !== null && (viewer.startableProcesses ?? []).includes(open);
}

/**
 * Who may see a task, as principal keys (`u:<user>`, `g:<group>`, and `p:<process key>` for a task without
 * assignee and candidates): what both view stores index, so that they agree with {@link canSeeTask}.
 */
export function taskPrincipals(task: TaskAccess): string[] {
  const keys = task.candidateUsers.map((u) => `u:${u}`).concat(task.candidateGroups.map((g) => `g:${g}`));
  if (task.assignee !== null) keys.push(`u:${task.assignee}`);
  const open = openProcessOf(task);
  if (open !== null) keys.push(`p:${open}`);
  return [...new Set(keys)];
}

/**
 * Who may see a document of a view, as principal keys: what both view stores index (MongoDB's `_p`, the
 * memory store's principal index). Undefined for a view that is not authorised per document.
 */
export function documentPrincipals(view: ViewName, document: unknown): string[] | undefined {
  // An open task of the closed-tasks view is visible to nobody there.
  if (view === 'closed-tasks' && (document as ClosedTaskView).closedAs === null) return [];
  if (view === 'tasks') return taskPrincipals(document as TaskView);
  // Closed tasks keep the rule of their history: their assignee and candidates only.
  if (view === 'closed-tasks')
    return taskPrincipals({ ...(document as TaskView), processDefinitionKey: null });
  if (view === 'data-entries' || view === 'history') {
    const e = document as DataEntryView | HistoryView;
    return [
      ...new Set(e.authorizedUsers.map((u) => `u:${u}`).concat(e.authorizedGroups.map((g) => `g:${g}`))),
    ];
  }
  if (view === 'saved-filters') return savedFilterPrincipals(document as SavedFilterView);
  return undefined;
}

/** The principal keys of a viewer: what {@link taskPrincipals} (and a data entry's) are matched against. */
export function viewerPrincipals(viewer: Viewer): string[] {
  return [
    `u:${viewer.userId}`,
    ...viewer.groups.map((g) => `g:${g}`),
    ...(viewer.startableProcesses ?? []).map((key) => `p:${key}`),
  ];
}

/** The process whose starters see the task: only for a task without assignee and candidates. */
export function openProcessOf(task: TaskAccess): string | null {
  if (task.assignee !== null || task.candidateUsers.length > 0 || task.candidateGroups.length > 0)
    return null;
  return task.processDefinitionKey ?? null;
}

/** The viewer may see the data entry: an authorised user, or member of an authorised group. */
export function canSeeDataEntry(
  entry: Pick<DataEntryView, 'authorizedUsers' | 'authorizedGroups'>,
  viewer: Viewer,
): boolean {
  if (entry.authorizedUsers.includes(viewer.userId)) return true;
  return entry.authorizedGroups.some((g) => viewer.groups.includes(g));
}

const OPERATORS = new Set(['EQ', 'NE', 'LT', 'LTE', 'GT', 'GTE', 'IN', 'LIKE']);

export type CompiledPayloadCondition = (payload: Record<string, unknown>) => boolean;

/** Checks a payload condition and turns it into a predicate; errors name `field`. */
export function compilePayloadCondition(
  condition: PayloadCondition,
  field: string,
): CompiledPayloadCondition {
  const segments = payloadPathSegments(condition?.path, `${field}.path`);
  if (!OPERATORS.has(condition.op))
    throw new ViewQueryError(`${field}.op`, `unknown operator '${String(condition.op)}'`);
  const { op, value } = condition;
  const read = (payload: Record<string, unknown>): unknown[] => valuesAt(payload, segments);
  switch (op) {
    case 'EQ':
      return (p) => read(p).some((v) => matchesEq(v, value));
    case 'NE':
      return (p) => !read(p).some((v) => matchesEq(v, value));
    case 'IN': {
      if (!Array.isArray(value)) throw new ViewQueryError(`${field}.value`, 'IN needs an array');
      return (p) => read(p).some((actual) => value.some((v) => matchesEq(actual, v)));
    }
    case 'LIKE': {
      if (typeof value !== 'string') throw new ViewQueryError(`${field}.value`, 'LIKE needs a string');
      const needle = value.toLowerCase();
      const like = (v: unknown) => typeof v === 'string' && v.toLowerCase().includes(needle);
      return (p) => read(p).some((actual) => (Array.isArray(actual) ? actual.some(like) : like(actual)));
    }
    case 'LT':
    case 'LTE':
    case 'GT':
    case 'GTE': {
      if (typeof value !== 'number' && typeof value !== 'string') {
        throw new ViewQueryError(`${field}.value`, `${op} needs a number or a string`);
      }
      const test = (v: unknown): boolean => {
        if (typeof v !== typeof value) return false;
        const a = v as number | string;
        if (op === 'LT') return a < value;
        if (op === 'LTE') return a <= value;
        if (op === 'GT') return a > value;
        return a >= value;
      };
      return (p) => read(p).some((actual) => (Array.isArray(actual) ? actual.some(test) : test(actual)));
    }
    default: {
      const unknownOp: never = op;
      throw new ViewQueryError(`${field}.op`, `unknown operator '${String(unknownOp)}'`);
    }
  }
}

function matchesEq(actual: unknown, expected: unknown): boolean {
  if (expected === null && (actual === undefined || actual === null)) return true;
  if (deepEqual(actual, expected)) return true;
  return Array.isArray(actual) && !Array.isArray(expected) && actual.some((a) => deepEqual(a, expected));
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return (
    ka.length === kb.length &&
    ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}

/** The predicate of a filter with no condition: adapters can tell it apart and skip the call. */
export const MATCH_EVERYTHING = (): boolean => true;

function allOf<T>(tests: ((value: T) => boolean)[]): (value: T) => boolean {
  if (tests.length === 0) return MATCH_EVERYTHING;
  if (tests.length === 1) return tests[0];
  return (value) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i](value)) return false;
    return true;
  };
}

function parseTime(value: string | null | undefined, field: string): number | undefined {
  if (value === null || value === undefined) return undefined;
  const instant = parseIsoDateTime(value);
  if (instant === null) throw new ViewQueryError(field, `'${value}' is not an ISO-8601 date-time`);
  return Date.parse(instant);
}

const parsedTimes = new Map<string, number>();

/**
 * Milliseconds of an ISO time, cached: sorting parses the same few fields of the same documents
 * query after query, and a lookup of a string whose hash V8 already knows is much cheaper.
 */
function time(value: string | null): number | null {
  if (value === null) return null;
  let ms = parsedTimes.get(value);
  if (ms === undefined) {
    if (parsedTimes.size >= 500_000) parsedTimes.clear();
    ms = Date.parse(value);
    parsedTimes.set(value, ms);
  }
  return ms;
}

export interface FilterOptions {
  /**
   * The documents were already restricted to those the viewer may see (an adapter's authorisation
   * index): leave the check out. Default false: the predicate checks authorisation itself.
   */
  authorised?: boolean;
  /** What `search` reads and how long it may be. Default {@link DEFAULT_SEARCH_SETTINGS}. */
  search?: SearchSettings;
}

/**
 * Compiles a task filter (validated, errors name the field) into a predicate on a task and the
 * viewer. Authorisation is part of the predicate.
 */
export function compileTaskFilter(
  filter: TaskFilter | null | undefined,
  viewer: Viewer,
  now: Date = new Date(),
  options: FilterOptions = {},
): (task: TaskView) => boolean {
  const f = filter ?? {};
  const tests: ((t: TaskView) => boolean)[] = options.authorised ? [] : [(t) => canSeeTask(t, viewer)];
  const nowMs = now.getTime();
  if (!f.includeDeferred) tests.push((t) => t.followUpDate === null || time(t.followUpDate)! <= nowMs);
  if (f.assignedToMe) tests.push((t) => t.assignee === viewer.userId);
  if (f.unassigned) tests.push((t) => t.assignee === null);
  if (typeof f.text === 'string' && f.text.length > 0) {
    const needle = f.text.toLowerCase();
    tests.push((t) =>
      [t.name, t.description, t.businessKey, t.processName].some(
        (v) => typeof v === 'string' && v.toLowerCase().includes(needle),
      ),
    );
  }
  const equal = <K extends keyof TaskView>(key: K, value: TaskView[K] | null | undefined) => {
    if (value !== null && value !== undefined) tests.push((t) => t[key] === value);
  };
  const settings = options.search ?? DEFAULT_SEARCH_SETTINGS;
  const search = parseSearch(f.search, settings, 'filter.search');
  if (search) tests.push((t) => searchScore(taskSearchTerms(t, settings), search) > 0);
  equal('applicationName', f.applicationName);
  equal('processDefinitionKey', f.processDefinitionKey);
  equal('taskDefinitionKey', f.taskDefinitionKey);
  equal('processInstanceId', f.processInstanceId);
  if (f.candidateGroup) {
    const group = f.candidateGroup;
    tests.push((t) => t.candidateGroups.includes(group));
  }
  if (f.priorityMin !== null && f.priorityMin !== undefined) {
    const min = f.priorityMin;
    tests.push((t) => t.priority !== null && t.priority >= min);
  }
  if (f.priorityMax !== null && f.priorityMax !== undefined) {
    const max = f.priorityMax;
    tests.push((t) => t.priority !== null && t.priority <= max);
  }
  const range = (
    key: 'dueDate' | 'followUpDate' | 'createTime',
    before: string | null | undefined,
    after: string | null | undefined,
    name: string,
  ) => {
    const b = parseTime(before, `filter.${name}Before`);
    const a = parseTime(after, `filter.${name}After`);
    if (b !== undefined) tests.push((t) => t[key] !== null && time(t[key])! < b);
    if (a !== undefined) tests.push((t) => t[key] !== null && time(t[key])! > a);
  };
  range('dueDate', f.dueBefore, f.dueAfter, 'due');
  range('followUpDate', f.followUpBefore, f.followUpAfter, 'followUp');
  range('createTime', f.createdBefore, f.createdAfter, 'created');
  (f.payload ?? []).forEach((c, i) => {
    const test = compilePayloadCondition(c, `filter.payload[${i}]`);
    tests.push((t) => test(t.payload));
  });
  if (f.correlatedTo) {
    const { entryType, entryId } = f.correlatedTo;
    tests.push((t) => t.correlations.some((c) => c.entryType === entryType && c.entryId === entryId));
  }
  return allOf(tests);
}

export function compileDataEntryFilter(
  filter: DataEntryFilter | null | undefined,
  viewer: Viewer,
  options: FilterOptions = {},
): (entry: DataEntryView) => boolean {
  const f = filter ?? {};
  const tests: ((e: DataEntryView) => boolean)[] = options.authorised
    ? []
    : [(e) => canSeeDataEntry(e, viewer)];
  if (f.entryType) tests.push((e) => e.entryType === f.entryType);
  if (f.applicationName) tests.push((e) => e.applicationName === f.applicationName);
  if (f.processingType) tests.push((e) => e.state.processingType === f.processingType);
  if (f.state) tests.push((e) => e.state.state === f.state);
  if (typeof f.text === 'string' && f.text.length > 0) {
    const needle = f.text.toLowerCase();
    tests.push((e) =>
      [e.name, e.description, e.type, e.entryId].some(
        (v) => typeof v === 'string' && v.toLowerCase().includes(needle),
      ),
    );
  }
  const settings = options.search ?? DEFAULT_SEARCH_SETTINGS;
  const search = parseSearch(f.search, settings, 'filter.search');
  if (search) tests.push((e) => searchScore(dataEntrySearchTerms(e, settings), search) > 0);
  (f.payload ?? []).forEach((c, i) => {
    const test = compilePayloadCondition(c, `filter.payload[${i}]`);
    tests.push((e) => test(e.payload));
  });
  return allOf(tests);
}

// ---------------------------------------------------------------------------------------------
// Sorting and cursors
// ---------------------------------------------------------------------------------------------

export type SortValue = string | number | null;

export interface CompiledSort<T> {
  /** Number of sort keys (without the id). */
  length: number;
  /** The sort key of a document (without the id). */
  key(doc: T): SortValue[];
  /** Compares two keys, then ids: a total order. */
  compare(a: SortValue[], aId: string, b: SortValue[], bId: string): number;
}

const TASK_SORT_KEYS: Record<TaskSort['field'], (t: TaskView) => SortValue> = {
  CREATE_TIME: (t) => time(t.createTime),
  DUE_DATE: (t) => time(t.dueDate),
  FOLLOW_UP_DATE: (t) => time(t.followUpDate),
  PRIORITY: (t) => t.priority,
  NAME: (t) => t.name,
};

const DATA_ENTRY_SORT_KEYS: Record<DataEntrySort['field'], (e: DataEntryView) => SortValue> = {
  NAME: (e) => e.name,
  LAST_MODIFIED: (e) => time(e.lastModified),
  ENTRY_TYPE: (e) => e.entryType,
};

/** A sort on the given fields (validated, errors name the field), then ids. */
export function compileSort<T, F extends string>(
  sort: readonly { field: F; direction?: SortDirection }[],
  keys: Record<F, (doc: T) => SortValue>,
): CompiledSort<T> {
  sort.forEach((s, i) => {
    if (!(s.field in keys))
      throw new ViewQueryError(`sort[${i}].field`, `unknown sort field '${String(s.field)}'`);
    if (s.direction !== undefined && s.direction !== 'ASC' && s.direction !== 'DESC') {
      throw new ViewQueryError(`sort[${i}].direction`, `must be ASC or DESC`);
    }
  });
  const extractors = sort.map((s) => keys[s.field]);
  const signs = sort.map((s) => (s.direction === 'DESC' ? -1 : 1));
  return {
    length: extractors.length,
    key: extractors.length === 1 ? (doc) => [extractors[0](doc)] : (doc) => extractors.map((e) => e(doc)),
    compare: (a, aId, b, bId) => {
      for (let i = 0; i < signs.length; i++) {
        const c = compareValues(a[i], b[i]);
        if (c !== 0) return c * signs[i];
      }
      return aId < bId ? -1 : aId > bId ? 1 : 0;
    },
  };
}

/** Missing values first, then numbers, then strings, as MongoDB orders them. */
function compareValues(a: SortValue, b: SortValue): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a !== typeof b) return typeof a === 'number' ? -1 : 1;
  return a < b ? -1 : 1;
}

export function compileTaskSort(sort: readonly TaskSort[] | null | undefined): CompiledSort<TaskView> {
  return compileSort(
    sort && sort.length > 0 ? sort : [{ field: 'CREATE_TIME', direction: 'ASC' }],
    TASK_SORT_KEYS,
  );
}

/** The one order of a user's process instances: newest first (`startTime` descending), then id. */
export function compileProcessInstanceSort(): CompiledSort<ProcessInstanceView> {
  return compileSort([{ field: 'START_TIME' as const, direction: 'DESC' }], {
    START_TIME: (i: ProcessInstanceView) => i.startTime,
  });
}

export function compileDataEntrySort(
  sort: readonly DataEntrySort[] | null | undefined,
): CompiledSort<DataEntryView> {
  return compileSort(
    sort && sort.length > 0 ? sort : [{ field: 'LAST_MODIFIED', direction: 'DESC' }],
    DATA_ENTRY_SORT_KEYS,
  );
}

export interface Cursor {
  key: SortValue[];
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.key, cursor.id]), 'utf8').toString('base64url');
}

export function decodeCursor(after: string, keyLength: number): Cursor {
  try {
    const [key, id] = JSON.parse(Buffer.from(after, 'base64url').toString('utf8')) as [unknown, unknown];
    if (
      Array.isArray(key) &&
      key.length === keyLength &&
      key.every((k) => k === null || typeof k === 'string' || typeof k === 'number') &&
      typeof id === 'string'
    ) {
      return { key: key as SortValue[], id };
    }
  } catch {
    // reported below
  }
  throw new ViewQueryError(
    'after',
    'is not a cursor of this query (use the endCursor of a page with the same sort)',
  );
}

export function validatePageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return 50;
  if (!Number.isInteger(first) || first < 0 || first > 1000) {
    throw new ViewQueryError('first', 'must be an integer from 0 to 1000');
  }
  return first;
}

/**
 * Selects one page from documents that match: those after the cursor, the `first` smallest by the
 * sort. Keeps a sorted buffer of `first + 1` instead of sorting everything, which matters when a
 * viewer sees tens of thousands of tasks.
 */
export function selectPage<T extends { id: string }>(
  docs: Iterable<T>,
  sort: CompiledSort<T>,
  first: number,
  after: string | null | undefined,
): { nodes: T[]; hasNextPage: boolean; endCursor: string | null } {
  const cursor = after ? decodeCursor(after, sort.length) : null;
  const limit = first + 1;
  const buffer: { doc: T; key: SortValue[] }[] = [];
  for (const doc of docs) {
    const key = sort.key(doc);
    if (cursor && sort.compare(key, doc.id, cursor.key, cursor.id) <= 0) continue;
    if (buffer.length === limit) {
      const last = buffer[limit - 1];
      if (sort.compare(key, doc.id, last.key, last.doc.id) >= 0) continue;
      buffer.pop();
    }
    let lo = 0;
    let hi = buffer.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sort.compare(buffer[mid].key, buffer[mid].doc.id, key, doc.id) < 0) lo = mid + 1;
      else hi = mid;
    }
    buffer.splice(lo, 0, { doc, key });
  }
  const hasNextPage = buffer.length > first;
  const page = buffer.slice(0, first);
  const lastOfPage = page[page.length - 1];
  return {
    nodes: page.map((b) => b.doc),
    hasNextPage,
    endCursor: lastOfPage ? encodeCursor({ key: lastOfPage.key, id: lastOfPage.doc.id }) : (after ?? null),
  };
}
