import type { DataEntryRef, ProcessingType } from '@eddy/contracts';
import type { TraceOrigin } from '@eddy/observability';
import type {
  ClosedTaskView,
  DataEntryView,
  HistoryView,
  TaskClosing,
  ProcessDefinitionView,
  ProcessInstanceState,
  ProcessInstanceView,
  TaskView,
  ViewDocuments,
  ViewName,
} from './view.types';
import type { SavedFilterQueries } from './saved-filters/saved-filter-queries';

/**
 * The view store port: the read model of Eddy, written only by the projections.
 *
 * Three faces:
 * - {@link ViewQueries}: what the tasklist reads. Every filter is declarative data that maps one to
 *   one onto a MongoDB query (`payload.<path>` with `$eq/$ne/$lt/$lte/$gt/$gte/$in/$regex`,
 *   authorisation as `$or` of assignee, candidateUsers and `candidateGroups: {$in}`); cursors are
 *   opaque strings holding the sort key of the last node, so any adapter can page with a range query.
 * - {@link ViewChangeFeed}: every change with its global position, in position order, from a known
 *   position on (MongoDB: a change stream resumed from the position's resume token), and
 *   read-your-writes through {@link ViewChangeFeed.waitForPosition}.
 * - {@link ViewWriter}: what the projection runner writes: documents, tombstones and checkpoints, in
 *   the live copy of a view or in a fresh copy that a replay builds and then promotes.
 *
 * Every adapter passes the contract suite in `libs/testing/src/view-store.contract.ts`.
 */

// ---------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------

/**
 * Who is asking. Authorisation is applied inside every query: a user sees a task when they are its
 * assignee or a candidate user, or belong to one of its candidate groups; a data entry when they or
 * one of their groups is authorised.
 */
export interface Viewer {
  userId: string;
  groups: readonly string[];
  /**
   * Keys of the processes whose tasks without assignee and candidates the viewer sees: those the viewer may
   * start (the tasklist fills it, see `EDDY_TASKS_WITHOUT_CANDIDATES`). None when absent.
   */
  startableProcesses?: readonly string[];
}

export type SortDirection = 'ASC' | 'DESC';

export type FilterOperator = 'EQ' | 'NE' | 'LT' | 'LTE' | 'GT' | 'GTE' | 'IN' | 'LIKE';

/**
 * A condition on one payload value. `path` is dot separated (`customer.address.city`); each
 * segment is letters, digits, `_` or `-`. Semantics follow MongoDB's so that adapters agree:
 * - `EQ`: equal (deep for objects); an array value also matches when one element is equal;
 *   `EQ null` matches a missing value.
 * - `NE`: the negation of `EQ` (matches a missing value).
 * - `LT/LTE/GT/GTE`: only values of the same kind compare (number with number, string with string,
 *   so ISO dates compare as strings); others never match.
 * - `IN`: `value` is an array; matches when `EQ` holds for one of its elements.
 * - `LIKE`: `value` is a string; case-insensitive substring of a string value (or of one element
 *   of an array value).
 */
export interface PayloadCondition {
  path: string;
  op: FilterOperator;
  value: unknown;
}

/** The GraphQL `TaskFilter`. Dates are ISO-8601 strings; bounds are exclusive (`before` = `<`). */
export interface TaskFilter {
  /** Only tasks assigned to the viewer. */
  assignedToMe?: boolean | null;
  /** Only tasks assigned to nobody. */
  unassigned?: boolean | null;
  /** Include tasks whose followUpDate lies in the future. Default false. */
  includeDeferred?: boolean | null;
  /** Case-insensitive substring of name, description, businessKey or processName. */
  text?: string | null;
  applicationName?: string | null;
  processDefinitionKey?: string | null;
  taskDefinitionKey?: string | null;
  processInstanceId?: string | null;
  candidateGroup?: string | null;
  priorityMin?: number | null;
  priorityMax?: number | null;
  dueBefore?: string | null;
  dueAfter?: string | null;
  followUpBefore?: string | null;
  followUpAfter?: string | null;
  createdBefore?: string | null;
  createdAfter?: string | null;
  /** All conditions must hold. */
  payload?: readonly PayloadCondition[] | null;
  /** Only tasks correlated to this data entry. */
  correlatedTo?: DataEntryRef | null;
  /** Free-text search (`search/`): every word a prefix of a word of the task; ranked without a sort. */
  search?: string | null;
}

export type TaskSortField = 'CREATE_TIME' | 'DUE_DATE' | 'FOLLOW_UP_DATE' | 'PRIORITY' | 'NAME';

export interface TaskSort {
  field: TaskSortField;
  direction?: SortDirection;
}

/** The GraphQL `DataEntryFilter`. `text` matches name, description, type and entryId. */
export interface DataEntryFilter {
  entryType?: string | null;
  applicationName?: string | null;
  processingType?: ProcessingType | null;
  state?: string | null;
  text?: string | null;
  payload?: readonly PayloadCondition[] | null;
  /** Free-text search (`search/`): every word a prefix of a word of the entry; ranked without a sort. */
  search?: string | null;
}

export type DataEntrySortField = 'NAME' | 'LAST_MODIFIED' | 'ENTRY_TYPE';

export interface DataEntrySort {
  field: DataEntrySortField;
  direction?: SortDirection;
}

/**
 * Cursor paging. Sorting: the given sort keys in order, then `id` ascending as the tie-break, so
 * the order is total and stable. Missing values (a null dueDate, priority ...) sort before every
 * value, as in MongoDB: first in `ASC`, last in `DESC`.
 */
export interface PageRequest {
  /** Page size, 0..1000. Default 50. */
  first?: number | null;
  /** The `endCursor` of the previous page, obtained with the same filter and sort. */
  after?: string | null;
}

export interface TaskQuery extends PageRequest {
  viewer: Viewer;
  filter?: TaskFilter | null;
  /** Default `CREATE_TIME ASC`. */
  sort?: readonly TaskSort[] | null;
  /** The time `deferred` is computed against. Default: now. */
  now?: Date;
}

/** What {@link ViewQueries.taskCount} counts: the tasks `findTasks` would find, without paging. */
export interface TaskCountQuery {
  viewer: Viewer;
  filter?: TaskFilter | null;
  /** The time `deferred` is computed against. Default: now. */
  now?: Date;
}

/** The process instances a user started, newest first (`startTime` descending, then id). */
export interface ProcessInstanceQuery extends PageRequest {
  startedBy: string;
  /** Only instances in this state. */
  state?: ProcessInstanceState | null;
}

export interface DataEntryQuery extends PageRequest {
  viewer: Viewer;
  filter?: DataEntryFilter | null;
  /** Default `LAST_MODIFIED DESC`. */
  sort?: readonly DataEntrySort[] | null;
}

export interface Page<T> {
  nodes: T[];
  /** How many documents match the filter (for this viewer), on every page. */
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  /**
   * The view position the result reflects: every change at or below it is in the result. A live
   * subscriber reads a page, then takes the change feed after this position. (An adapter whose
   * reads are not snapshot-isolated, such as MongoDB, reports the checkpoint it read before the
   * query: the result may then also reflect later changes, which the feed delivers again; an
   * upsert delivered twice is harmless, and a document's own `position` tells which is newer.)
   */
  position: number;
}

export interface ApplicationTaskCount {
  applicationName: string;
  count: number;
}

/** The reading face of the view store, used by the tasklist. */
export interface ViewQueries {
  /** Open tasks the viewer may see, filtered, sorted and paged. */
  findTasks(query: TaskQuery): Promise<Page<TaskView>>;

  /** One open task, or null when it does not exist or the viewer may not see it. */
  getTask(id: string, viewer: Viewer): Promise<TaskView | null>;

  /** Many tasks by id (for batched joins): one entry per id, in order, null where not visible. */
  getTasks(ids: readonly string[], viewer: Viewer): Promise<(TaskView | null)[]>;

  /**
   * The open tasks correlated to each data entry id (`entryType#entryId`) that the viewer may see,
   * one list per id, in order, each sorted by createTime then id (the entry -> tasks join).
   */
  tasksCorrelatedTo(dataEntryIds: readonly string[], viewer: Viewer): Promise<TaskView[][]>;

  /**
   * How many open tasks the viewer may see match the filter: `findTasks`' `totalCount`, answered from the
   * indexes without fetching documents (memory: the principal index's columns; MongoDB: `countDocuments`).
   */
  taskCount(query: TaskCountQuery): Promise<number>;

  /** Open, non-deferred tasks the viewer may see, counted per application, sorted by name. */
  taskCountByApplication(viewer: Viewer, now?: Date): Promise<ApplicationTaskCount[]>;

  findDataEntries(query: DataEntryQuery): Promise<Page<DataEntryView>>;

  /** One data entry by `entryType#entryId`, or null when it does not exist or is not visible. */
  getDataEntry(id: string, viewer: Viewer): Promise<DataEntryView | null>;

  /**
   * Many data entries by id, in order, null where not visible (the task -> entries join: pass the
   * task's correlations mapped to `entryType#entryId`).
   */
  getDataEntries(ids: readonly string[], viewer: Viewer): Promise<(DataEntryView | null)[]>;

  /**
   * Process definitions (latest version per key) the viewer may start from the tasklist:
   * `startableFromTasklist`, and either no candidate starters at all (every authenticated user may
   * start it) or the viewer is a candidate starter user or in a candidate starter group. Sorted by
   * name, then key.
   */
  startableProcesses(viewer: Viewer): Promise<ProcessDefinitionView[]>;

  /** The latest definition of a key, whoever asks (for starting a process). */
  getProcessDefinition(key: string): Promise<ProcessDefinitionView | null>;

  /** A process instance by `applicationName/processInstanceId`. */
  getProcessInstance(id: string): Promise<ProcessInstanceView | null>;

  /** The process instances a user started (`startUserId`), newest first, paged. */
  findProcessInstances(query: ProcessInstanceQuery): Promise<Page<ProcessInstanceView>>;
}

// Closed tasks and histories

/**
 * The closed tasks and the histories: the part of the view store's reading face that the
 * closed-tasks and history views answer. Authorised like the open tasks: a viewer sees a closed task
 * when they could see it as it closed (assignee, candidate user, member of a candidate group), and a
 * history when they may see its subject as of its last event.
 */
export interface HistoryQueries {
  /** Closed tasks the viewer may see, filtered, sorted (default `CLOSE_TIME DESC`) and paged. */
  findClosedTasks(query: ClosedTaskQuery): Promise<Page<ClosedTaskView>>;

  /** Histories by id ({@link historyId}), in order; null where there is none or the viewer may not read it. */
  getHistories(ids: readonly string[], viewer: Viewer): Promise<(HistoryView | null)[]>;
}

/** The GraphQL `ClosedTaskFilter`. Time bounds are exclusive, as in {@link TaskFilter}. */
export interface ClosedTaskFilter {
  /** The conditions of open tasks, on the task as it closed (`includeDeferred` does not apply). */
  task?: TaskFilter | null;
  closedAs?: TaskClosing | null;
  completedBy?: string | null;
  /** Only tasks the viewer completed ("done by me"). */
  completedByMe?: boolean | null;
  /** Closed (completed or deleted) after this time. */
  completedAfter?: string | null;
  completedBefore?: string | null;
}

export type ClosedTaskSortField = TaskSortField | 'CLOSE_TIME';

export interface ClosedTaskSort {
  field: ClosedTaskSortField;
  direction?: SortDirection;
}

export interface ClosedTaskQuery extends PageRequest {
  viewer: Viewer;
  filter?: ClosedTaskFilter | null;
  sort?: readonly ClosedTaskSort[] | null;
}

/** A query was malformed: names the field (`filter.payload[0].path`, `after`, `first` ...). */
export class ViewQueryError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'ViewQueryError';
  }
}

// ---------------------------------------------------------------------------------------------
// Change feed and read-your-writes
// ---------------------------------------------------------------------------------------------

/**
 * A document was created or changed. `trace` (tracing on) is the {@link ViewWrite}'s: where the push of
 * the change to a subscriber continues the trace of the projection's view write.
 */
export type UpsertedChange<V extends ViewName = ViewName> = {
  [K in V]: {
    kind: 'upserted';
    view: K;
    position: number;
    id: string;
    document: ViewDocuments[K];
    trace?: TraceOrigin;
  };
}[V];

/**
 * A document left its view (a completed or deleted task, a deleted data entry). `last` is the
 * document as it was, so that a subscriber can tell whether its user could see it without leaking
 * ids of documents they never saw.
 */
export type RemovedChange<V extends ViewName = ViewName> = {
  [K in V]: {
    kind: 'removed';
    view: K;
    position: number;
    id: string;
    last: ViewDocuments[K];
    trace?: TraceOrigin;
  };
}[V];

/** One change of the view, with the global position of the event that caused it. */
export type ViewChange<V extends ViewName = ViewName> = UpsertedChange<V> | RemovedChange<V>;

export interface ChangeSubscriptionRequest {
  /** Deliver the changes whose position is greater than this (e.g. a page's `position`), per view. */
  after: number;
  /** Only changes of these views. Default: every view. */
  views?: readonly ViewName[];
}

export interface ChangeListener {
  /**
   * Changes in batches, in position order within each view, with no gaps and no doubles. Positions
   * may repeat when one event changed several documents; within a view they never decrease. Views
   * are projected independently, so the changes of two views may interleave out of global order.
   */
  next(changes: readonly ViewChange[]): void;
  /** The subscription ended with an error (e.g. {@link ChangeFeedPositionUnavailableError}). */
  error?(error: Error): void;
}

export interface ChangeSubscription {
  close(): void;
}

/**
 * The feed cannot deliver everything after the requested position because it no longer holds it
 * (the embedded feed keeps a bounded history in memory; MongoDB: the resume token fell off the
 * oplog). The caller re-reads a snapshot and subscribes after the snapshot's position.
 */
export class ChangeFeedPositionUnavailableError extends Error {
  constructor(
    readonly requested: number,
    /** The oldest position after which the feed can still deliver. */
    readonly oldestAvailable: number,
  ) {
    super(
      `VIEWSTORE-101 change feed: position ${requested} is older than the history kept (oldest available ${oldestAvailable}); re-read a snapshot`,
    );
    this.name = 'ChangeFeedPositionUnavailableError';
  }
}

/** {@link ViewChangeFeed.waitForPosition} timed out. */
export class WaitForPositionTimeoutError extends Error {
  constructor(
    readonly position: number,
    readonly timeoutMs: number,
    /** The lowest position reached by the awaited views when time ran out. */
    readonly reached: number,
  ) {
    super(
      `VIEWSTORE-102 waited ${timeoutMs} ms for the views to reach position ${position}; they reached ${reached}`,
    );
    this.name = 'WaitForPositionTimeoutError';
  }
}

export interface ViewChangeFeed {
  /**
   * Subscribes to the changes after `request.after`. Rejects with
   * {@link ChangeFeedPositionUnavailableError} when that position is older than the history kept.
   * Changes published after the promise resolves are delivered to `listener.next`, asynchronously.
   */
  subscribe(request: ChangeSubscriptionRequest, listener: ChangeListener): Promise<ChangeSubscription>;

  /**
   * Read your writes: resolves once every given view (default: all) has processed the global
   * position (its live checkpoint is at or past it). Rejects with
   * {@link WaitForPositionTimeoutError} after `timeoutMs`.
   */
  waitForPosition(position: number, timeoutMs: number, views?: readonly ViewName[]): Promise<void>;

  /** The live checkpoint of a view: every event at or below it has been applied. */
  checkpoint(view: ViewName): Promise<number>;
}

// ---------------------------------------------------------------------------------------------
// Writing (the projection runner)
// ---------------------------------------------------------------------------------------------

/**
 * Which copy of a view to write: the live one (served to queries) or a fresh one that a replay or
 * a verify builds beside it.
 */
export interface ViewCopy<V extends ViewName = ViewName> {
  view: V;
  /** `live`, or the id that {@link ViewWriter.createCopy} returned. */
  copy: string;
}

export const LIVE_COPY = 'live';

/**
 * A document as the writer sees it: the live document or the tombstone of a removed one. The
 * tombstone keeps the revision and position so that a late or duplicate event cannot bring the
 * document back.
 */
export type StoredViewDocument<V extends ViewName = ViewName> =
  | { id: string; removed: false; document: ViewDocuments[V] }
  | { id: string; removed: true; version: number; position: number };

/**
 * One document or tombstone to write. `trace` (tracing on): the span of the projection that wrote it,
 * which the change published for it carries (in MongoDB stored with the document, so that another
 * process's change stream has it). Not part of the document: no query, verify or load sees it.
 */
export type ViewWrite<V extends ViewName = ViewName> =
  | { kind: 'upsert'; id: string; document: ViewDocuments[V]; trace?: TraceOrigin }
  | { kind: 'remove'; id: string; version: number; position: number; trace?: TraceOrigin };

export interface ViewBatch<V extends ViewName = ViewName> {
  writes: readonly ViewWrite<V>[];
  /** The checkpoint after the batch: the position of its last event (relevant to the view or not). */
  checkpoint: number;
}

export interface ViewWriter {
  /** Documents and tombstones by id, for the projection to apply events to. Absent ids are left out. */
  load<V extends ViewName>(
    target: ViewCopy<V>,
    ids: readonly string[],
  ): Promise<Map<string, StoredViewDocument<V>>>;

  /**
   * Writes a batch and then moves the checkpoint of the copy, atomically where the adapter can
   * (otherwise documents first: writes are idempotent, so a crash between them only repeats work).
   * For the live copy, the changes are then published to the change feed. Rejects when the
   * checkpoint would go backwards.
   */
  commit<V extends ViewName>(target: ViewCopy<V>, batch: ViewBatch<V>): Promise<void>;

  readCheckpoint(target: ViewCopy): Promise<number>;

  /** Every document of a copy (not tombstones), in id order: for verify. */
  documents<V extends ViewName>(target: ViewCopy<V>): Promise<ViewDocuments[V][]>;

  /** Creates an empty copy of a view (checkpoint 0) and returns its id. */
  createCopy(view: ViewName): Promise<string>;

  /**
   * Makes a copy the live one; the old live copy is dropped. Documents that differ between the two
   * are published as changes at the new checkpoint, so that live subscribers converge.
   */
  promoteCopy(target: ViewCopy): Promise<void>;

  dropCopy(target: ViewCopy): Promise<void>;
}

/** The whole view store. */
export interface ViewStore
  extends ViewQueries, HistoryQueries, SavedFilterQueries, ViewChangeFeed, ViewWriter {
  close(): Promise<void>;
}

/** Injection token of the {@link ViewStore}. */
export const VIEW_STORE = Symbol('VIEW_STORE');
