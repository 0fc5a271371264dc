import { Logger } from '@nestjs/common';
import { dataEntryId } from '@eddy/contracts';
import {
  MATCH_EVERYTHING,
  decodeCursor,
  encodeCursor,
  canSeeDataEntry,
  canSeeTask,
  compileDataEntryFilter,
  compileDataEntrySort,
  compileTaskFilter,
  compileProcessInstanceSort,
  compileTaskSort,
  type CompiledSort,
  selectPage,
  documentPrincipals,
  validatePageSize,
} from '../view-filters';
import { compileClosedTaskFilter, compileClosedTaskSort } from '../closed-tasks/closed-task-filters';
import { PrincipalIndex } from './principal.index';
import { MemorySearchIndex } from '../search/memory.search-index';
import { type Ranked, selectRankedPage } from '../search/ranked-page';
import { parseSearch, type SearchQuery } from '../search/search-query';
import { resolveSearchSettings, type SearchSettings } from '../search/search-settings';
import {
  documentSearchTerms,
  isSearchedView,
  sameSearchedFields,
  type SearchedView,
} from '../search/search-terms';
import {
  canReadSavedFilter,
  compareSavedFilters,
  type SavedFilterView,
} from '../saved-filters/saved-filter.view';
import {
  type ApplicationTaskCount,
  ChangeFeedPositionUnavailableError,
  type ChangeListener,
  type ChangeSubscription,
  type ChangeSubscriptionRequest,
  type ClosedTaskQuery,
  type DataEntryQuery,
  LIVE_COPY,
  type Page,
  type PayloadCondition,
  type StoredViewDocument,
  type ProcessInstanceQuery,
  type TaskCountQuery,
  type TaskQuery,
  type ViewBatch,
  type ViewChange,
  type ViewCopy,
  type Viewer,
  type ViewWrite,
  type ViewStore,
  ViewQueryError,
} from '../view-store.port';
import { deliverLater } from '../change-delivery';
import { PositionWaiters } from '../position-waiters';
import { isNewer, storedRevision, writeRevision } from '../view-revision';
import {
  type ClosedTaskView,
  type DataEntryView,
  type HistoryView,
  isTaskDeferred,
  type ProcessDefinitionView,
  type ProcessInstanceView,
  type TaskView,
  type ViewDocuments,
  type ViewName,
  VIEW_NAMES,
} from '../view.types';

export interface MemoryViewStoreOptions {
  /** Changes kept per view for subscribers that start at a past position. Default 10,000. */
  changeHistoryPerView?: number;
  /** What free-text search reads (`EDDY_SEARCH_PAYLOAD_FIELDS`) and how long a search may be. */
  search?: Partial<SearchSettings>;
}

interface CopyState {
  view: ViewName;
  docs: Map<string, StoredViewDocument>;
  checkpoint: number;
  /** Who may see which document (tasks, data entries). */
  principals: PrincipalIndex<unknown> | undefined;
  /** `entryType#entryId` -> ids of the tasks correlated to it. */
  correlations: Map<string, Set<string>>;
  /** The search terms of the documents (tasks, data entries, closed tasks). */
  search: MemorySearchIndex | undefined;
}

interface History {
  changes: ViewChange[];
  /** The highest position of a change dropped from the history; 0 while nothing was dropped. */
  droppedUpTo: number;
}

interface Subscriber {
  views: ReadonlySet<ViewName>;
  listener: ChangeListener;
  closed: boolean;
}

const EMPTY = new Set<string>();

/**
 * The embedded view store: every view in memory, with the indexes its queries need (who may see a
 * document, which tasks are correlated to an entry). Nothing is persisted: the views are rebuilt by
 * replay at start, which the benchmark shows to be fast enough (`docs/benchmarks.md`), and queries
 * never leave memory.
 *
 * Documents are frozen when written, so that the objects queries and the change feed hand out can
 * be shared without copies and cannot be changed behind the store's back.
 */
export class MemoryViewStore implements ViewStore {
  private readonly logger = new Logger('MemoryViewStore');
  private readonly copies = new Map<string, CopyState>();
  private readonly live = new Map<ViewName, string>();
  private readonly history = new Map<ViewName, History>();
  private readonly subscribers = new Set<Subscriber>();
  private readonly waiters = new PositionWaiters((views) => this.reached(views));
  private copySequence = 0;
  private readonly historyLimit: number;
  private readonly searchSettings: SearchSettings;

  constructor(options: MemoryViewStoreOptions = {}) {
    this.historyLimit = options.changeHistoryPerView ?? 10_000;
    this.searchSettings = resolveSearchSettings(options.search);
    for (const view of VIEW_NAMES) {
      const key = this.copyKey(view, LIVE_COPY);
      this.copies.set(key, emptyCopy(view));
      this.live.set(view, key);
      this.history.set(view, { changes: [], droppedUpTo: 0 });
    }
  }

  // ------------------------------------------------------------------ queries

  async findTasks(query: TaskQuery): Promise<Page<TaskView>> {
    const first = validatePageSize(query.first);
    const now = query.now ?? new Date();
    const sort = compileTaskSort(query.sort);
    const copy = this.liveCopy('tasks');
    const search = this.parseSearch(query.filter?.search, 'filter.search');
    if (search) {
      const found = this.searchedTasks(copy, query, search, now);
      return this.searchPage(found, query.sort, sort, first, query.after, copy.checkpoint);
    }
    if (!query.filter?.correlatedTo) return this.findVisibleTasks(copy, query, first, now, sort);
    const found = this.correlatedTasks(copy, query, now);
    const page = selectPage(found, sort, first, query.after);
    return pageOf(page.nodes, page, found.length, copy.checkpoint);
  }

  /**
   * The tasks the viewer may see, from the principal index. The filter is split: an indexed payload
   * condition and the deferred test run on the index's columns; the rest (if any) on the documents
   * that pass. With a sort on dates or priority, paging runs on the columns too, so only the page's
   * documents are read.
   */
  private findVisibleTasks(
    copy: CopyState,
    query: TaskQuery,
    first: number,
    now: Date,
    sort: ReturnType<typeof compileTaskSort>,
  ): Page<TaskView> {
    const index = copy.principals!;
    const found = this.visibleTaskSlots(copy, query, now);
    const fields = (
      query.sort && query.sort.length > 0 ? query.sort : [{ field: 'CREATE_TIME' as const }]
    ).map((s) => ({
      column: TASK_COLUMNS[s.field as keyof typeof TASK_COLUMNS],
      sign: s.direction === 'DESC' ? -1 : 1,
    }));
    if (fields.every((f) => f.column !== undefined)) {
      const page = selectSlots(index, found, fields, first, query.after);
      return pageOf(
        page.slots.map((slot) => index.doc(slot) as TaskView),
        page,
        found.length,
        copy.checkpoint,
      );
    }
    const page = selectPage(
      found.map((slot) => index.doc(slot) as TaskView),
      sort,
      first,
      query.after,
    );
    return pageOf(page.nodes, page, found.length, copy.checkpoint);
  }

  /** The slots of the tasks the viewer may see that match the filter, from the principal index's columns. */
  private visibleTaskSlots(copy: CopyState, query: TaskCountQuery, now: Date): number[] {
    const found: number[] = [];
    this.scanVisibleTasks(copy, query, now, found);
    return found;
  }

  /**
   * How many slots of {@link visibleTaskSlots} there are, pushing them onto `found` when given. One
   * function per visited slot, no more: a count over 100,000 slots is mostly this loop.
   */
  private scanVisibleTasks(
    copy: CopyState,
    query: TaskCountQuery,
    now: Date,
    found: number[] | null,
  ): number {
    const index = copy.principals!;
    const filter = query.filter ?? {};
    const plan = index.prefilter(filter.payload);
    const everything = compileTaskFilter(filter, query.viewer, now, { authorised: true });
    // Deferral and the priority range are tested on the index's columns, the rest on the document.
    const rest = compileTaskFilter(
      {
        ...filter,
        includeDeferred: true,
        priorityMin: null,
        priorityMax: null,
        payload: (filter.payload ?? []).filter((_, i) => i !== plan?.conditionIndex),
      },
      query.viewer,
      now,
      { authorised: true },
    );
    const restMatches = rest === MATCH_EVERYTHING ? null : rest;
    const followUp = index.numeric[TASK_COLUMNS.FOLLOW_UP_DATE];
    const priority = index.numeric[TASK_COLUMNS.PRIORITY];
    const min = filter.priorityMin ?? null;
    const max = filter.priorityMax ?? null;
    const nowMs = now.getTime();
    const skipDeferred = !filter.includeDeferred;
    // A task assigned to the viewer is among the viewer's own slots (assignee and candidate users).
    const visibleTo = filter.assignedToMe ? { userId: query.viewer.userId, groups: [] } : query.viewer;
    let count = 0;
    index.forEachVisible(visibleTo, (slot) => {
      if (plan !== null) {
        const verdict = plan.test(slot);
        if (verdict === 'no') return;
        if (verdict === 'check') {
          if (!everything(index.doc(slot) as TaskView)) return;
          count++;
          found?.push(slot);
          return;
        }
      }
      if (skipDeferred && followUp[slot] > nowMs) return;
      // A missing priority is NaN in its column and fails both bounds, as in the filter.
      if (min !== null && !(priority[slot] >= min)) return;
      if (max !== null && !(priority[slot] <= max)) return;
      if (restMatches !== null && !restMatches(index.doc(slot) as TaskView)) return;
      count++;
      found?.push(slot);
    });
    return count;
  }

  async taskCount(query: TaskCountQuery): Promise<number> {
    const now = query.now ?? new Date();
    const copy = this.liveCopy('tasks');
    const search = this.parseSearch(query.filter?.search, 'filter.search');
    if (search) return this.searchedTasks(copy, query, search, now).length;
    if (query.filter?.correlatedTo) return this.correlatedTasks(copy, query, now).length;
    return this.scanVisibleTasks(copy, query, now, null);
  }

  private parseSearch(search: unknown, field: string): SearchQuery | null {
    return parseSearch(search, this.searchSettings, field);
  }

  /** The open tasks that match a search and the rest of the filter, with their relevance. */
  private searchedTasks(
    copy: CopyState,
    query: TaskCountQuery,
    search: SearchQuery,
    now: Date,
  ): Ranked<TaskView>[] {
    const rest = compileTaskFilter({ ...query.filter, search: null }, query.viewer, now, {
      authorised: true,
    });
    return this.searched(copy, query.viewer, search, rest);
  }

  /**
   * The documents of the search index that match every word, that the viewer may see (the principal
   * index's answer, as for every other query) and that pass `rest`, with their relevance.
   */
  private searched<T>(
    copy: CopyState,
    viewer: Viewer,
    search: SearchQuery,
    rest: (document: T) => boolean,
  ): Ranked<T>[] {
    const visible = copy.principals!.visibleTest(viewer);
    const found: Ranked<T>[] = [];
    for (const [id, score] of copy.search!.match(search)) {
      if (!visible(id)) continue;
      const doc = document<T>(copy, id);
      if (doc !== null && rest(doc)) found.push({ id, score, document: doc });
    }
    return found;
  }

  /** A page of search results: by the explicit sort when there is one, else by relevance. */
  private searchPage<T extends { id: string }>(
    found: readonly Ranked<T>[],
    explicitSort: readonly unknown[] | null | undefined,
    sort: CompiledSort<T>,
    first: number,
    after: string | null | undefined,
    position: number,
  ): Page<T> {
    const page =
      explicitSort && explicitSort.length > 0
        ? selectPage(
            found.map((r) => r.document),
            sort,
            first,
            after,
          )
        : selectRankedPage(found, first, after);
    return pageOf(page.nodes, page, found.length, position);
  }

  /** The tasks of a `correlatedTo` filter that match it, from the correlation index. */
  private correlatedTasks(copy: CopyState, query: TaskCountQuery, now: Date): TaskView[] {
    const { entryType, entryId } = query.filter!.correlatedTo!;
    const matches = compileTaskFilter(query.filter, query.viewer, now);
    const found: TaskView[] = [];
    for (const id of copy.correlations.get(dataEntryId(entryType, entryId)) ?? EMPTY) {
      const task = document<TaskView>(copy, id);
      if (task && matches(task)) found.push(task);
    }
    return found;
  }

  async getTask(id: string, viewer: Viewer): Promise<TaskView | null> {
    return visibleDocument<TaskView>(this.liveCopy('tasks'), id, viewer, canSeeTask);
  }

  async getTasks(ids: readonly string[], viewer: Viewer): Promise<(TaskView | null)[]> {
    const copy = this.liveCopy('tasks');
    return ids.map((id) => visibleDocument<TaskView>(copy, id, viewer, canSeeTask));
  }

  async tasksCorrelatedTo(dataEntryIds: readonly string[], viewer: Viewer): Promise<TaskView[][]> {
    const copy = this.liveCopy('tasks');
    return dataEntryIds.map((entry) => {
      const tasks: TaskView[] = [];
      for (const id of copy.correlations.get(entry) ?? EMPTY) {
        const task = document<TaskView>(copy, id);
        if (task && canSeeTask(task, viewer)) tasks.push(task);
      }
      return tasks.sort(
        (a, b) => Date.parse(a.createTime) - Date.parse(b.createTime) || compareIds(a.id, b.id),
      );
    });
  }

  async taskCountByApplication(viewer: Viewer, now: Date = new Date()): Promise<ApplicationTaskCount[]> {
    const copy = this.liveCopy('tasks');
    const counts = new Map<string, number>();
    const index = copy.principals!;
    for (const slot of index.visible(viewer)) {
      const task = index.doc(slot) as TaskView;
      if (isTaskDeferred(task, now)) continue;
      counts.set(task.applicationName, (counts.get(task.applicationName) ?? 0) + 1);
    }
    return [...counts]
      .map(([applicationName, count]) => ({ applicationName, count }))
      .sort((a, b) => compareIds(a.applicationName, b.applicationName));
  }

  async findDataEntries(query: DataEntryQuery): Promise<Page<DataEntryView>> {
    const first = validatePageSize(query.first);
    const settings = { search: this.searchSettings };
    const matches = compileDataEntryFilter(query.filter, query.viewer, { authorised: true, ...settings });
    const sort = compileDataEntrySort(query.sort);
    const copy = this.liveCopy('data-entries');
    const search = this.parseSearch(query.filter?.search, 'filter.search');
    if (search) {
      const rest = compileDataEntryFilter({ ...query.filter, search: null }, query.viewer, {
        authorised: true,
      });
      const found = this.searched(copy, query.viewer, search, rest);
      return this.searchPage(found, query.sort, sort, first, query.after, copy.checkpoint);
    }
    const found: DataEntryView[] = [];
    this.collectVisible(
      copy,
      query.viewer,
      query.filter?.payload,
      matches as (doc: unknown) => boolean,
      found,
    );
    const page = selectPage(found, sort, first, query.after);
    return pageOf(page.nodes, page, found.length, copy.checkpoint);
  }

  async getDataEntry(id: string, viewer: Viewer): Promise<DataEntryView | null> {
    return visibleDocument<DataEntryView>(this.liveCopy('data-entries'), id, viewer, canSeeDataEntry);
  }

  async getDataEntries(ids: readonly string[], viewer: Viewer): Promise<(DataEntryView | null)[]> {
    const copy = this.liveCopy('data-entries');
    return ids.map((id) => visibleDocument<DataEntryView>(copy, id, viewer, canSeeDataEntry));
  }

  async findClosedTasks(query: ClosedTaskQuery): Promise<Page<ClosedTaskView>> {
    const first = validatePageSize(query.first);
    const settings = { search: this.searchSettings };
    const matches = compileClosedTaskFilter(query.filter, query.viewer, { authorised: true, ...settings });
    const sort = compileClosedTaskSort(query.sort);
    const copy = this.liveCopy('closed-tasks');
    const search = this.parseSearch(query.filter?.task?.search, 'filter.task.search');
    if (search) {
      const rest = compileClosedTaskFilter(
        { ...query.filter, task: { ...query.filter?.task, search: null } },
        query.viewer,
        { authorised: true },
      );
      const found = this.searched(copy, query.viewer, search, rest);
      return this.searchPage(found, query.sort, sort, first, query.after, copy.checkpoint);
    }
    const found: ClosedTaskView[] = [];
    this.collectVisible(
      copy,
      query.viewer,
      query.filter?.task?.payload,
      matches as (doc: unknown) => boolean,
      found,
    );
    const page = selectPage(found, sort, first, query.after);
    return pageOf(page.nodes, page, found.length, copy.checkpoint);
  }

  async getHistories(ids: readonly string[], viewer: Viewer): Promise<(HistoryView | null)[]> {
    const copy = this.liveCopy('history');
    return ids.map((id) => visibleDocument<HistoryView>(copy, id, viewer, canSeeDataEntry));
  }

  async startableProcesses(viewer: Viewer): Promise<ProcessDefinitionView[]> {
    const result: ProcessDefinitionView[] = [];
    for (const stored of this.liveCopy('process-definitions').docs.values()) {
      if (stored.removed) continue;
      const definition = stored.document as ProcessDefinitionView;
      if (canStart(definition, viewer)) result.push(definition);
    }
    return result.sort((a, b) => compareIds(a.name, b.name) || compareIds(a.key, b.key));
  }

  async getProcessDefinition(key: string): Promise<ProcessDefinitionView | null> {
    return document<ProcessDefinitionView>(this.liveCopy('process-definitions'), key);
  }

  async getProcessInstance(id: string): Promise<ProcessInstanceView | null> {
    return document<ProcessInstanceView>(this.liveCopy('process-instances'), id);
  }

  async findProcessInstances(query: ProcessInstanceQuery): Promise<Page<ProcessInstanceView>> {
    const first = validatePageSize(query.first);
    const copy = this.liveCopy('process-instances');
    const found: ProcessInstanceView[] = [];
    for (const stored of copy.docs.values()) {
      if (stored.removed) continue;
      const instance = stored.document as ProcessInstanceView;
      if (instance.startUserId !== query.startedBy) continue;
      if (query.state && instance.state !== query.state) continue;
      found.push(instance);
    }
    const page = selectPage(found, compileProcessInstanceSort(), first, query.after);
    return pageOf(page.nodes, page, found.length, copy.checkpoint);
  }

  async savedFilters(viewer: Viewer): Promise<SavedFilterView[]> {
    const found: SavedFilterView[] = [];
    for (const stored of this.liveCopy('saved-filters').docs.values()) {
      if (!stored.removed && canReadSavedFilter(stored.document as SavedFilterView, viewer)) {
        found.push(stored.document as SavedFilterView);
      }
    }
    return found.sort(compareSavedFilters);
  }

  async getSavedFilter(id: string): Promise<SavedFilterView | null> {
    return document<SavedFilterView>(this.liveCopy('saved-filters'), id);
  }

  // ------------------------------------------------------------------ change feed

  async subscribe(request: ChangeSubscriptionRequest, listener: ChangeListener): Promise<ChangeSubscription> {
    if (!Number.isInteger(request.after) || request.after < 0) {
      throw new RangeError(`after: must be an integer >= 0, got ${String(request.after)}`);
    }
    const views = new Set<ViewName>(request.views ?? VIEW_NAMES);
    const backlog: ViewChange[] = [];
    for (const view of views) {
      const history = this.history.get(view);
      if (!history) throw new RangeError(`views: unknown view '${String(view)}'`);
      if (request.after < history.droppedUpTo) {
        throw new ChangeFeedPositionUnavailableError(request.after, history.droppedUpTo);
      }
      for (const change of history.changes) if (change.position > request.after) backlog.push(change);
    }
    const subscriber: Subscriber = { views, listener, closed: false };
    this.subscribers.add(subscriber);
    if (backlog.length > 0) this.deliver(subscriber, backlog);
    return {
      close: () => {
        subscriber.closed = true;
        this.subscribers.delete(subscriber);
      },
    };
  }

  async waitForPosition(
    position: number,
    timeoutMs: number,
    views: readonly ViewName[] = VIEW_NAMES,
  ): Promise<void> {
    return this.waiters.wait(position, timeoutMs, views);
  }

  async checkpoint(view: ViewName): Promise<number> {
    return this.liveCopy(view).checkpoint;
  }

  // ------------------------------------------------------------------ writing

  async load<V extends ViewName>(
    target: ViewCopy<V>,
    ids: readonly string[],
  ): Promise<Map<string, StoredViewDocument<V>>> {
    return this.loadNow(target, ids);
  }

  /** Synchronous {@link load}: the projection runner uses it to skip a promise per batch. */
  loadNow<V extends ViewName>(
    target: ViewCopy<V>,
    ids: readonly string[],
  ): Map<string, StoredViewDocument<V>> {
    const copy = this.copy(target);
    const result = new Map<string, StoredViewDocument<V>>();
    for (const id of ids) {
      const stored = copy.docs.get(id);
      if (stored) result.set(id, stored as StoredViewDocument<V>);
    }
    return result;
  }

  async commit<V extends ViewName>(target: ViewCopy<V>, batch: ViewBatch<V>): Promise<void> {
    this.commitNow(target, batch);
  }

  /** Synchronous {@link commit}. */
  commitNow<V extends ViewName>(target: ViewCopy<V>, batch: ViewBatch<V>): void {
    const copy = this.copy(target);
    if (batch.checkpoint < copy.checkpoint) {
      throw new RangeError(
        `VIEWSTORE-001 view ${target.view} copy ${target.copy}: checkpoint ${batch.checkpoint} is behind ${copy.checkpoint}`,
      );
    }
    const isLive = this.live.get(target.view) === this.copyKey(target.view, target.copy);
    const changes: ViewChange[] = [];
    for (const write of batch.writes) {
      const previous = copy.docs.get(write.id);
      // Only a newer revision replaces what is stored: duplicates and late events change nothing.
      if (
        previous &&
        !isNewer(
          writeRevision(target.view, write),
          storedRevision(target.view, previous as StoredViewDocument<V>),
        )
      ) {
        continue;
      }
      const previousDocument = previous && !previous.removed ? previous.document : undefined;
      if (write.kind === 'upsert') {
        const next = deepFreeze(write.document);
        reindex(copy, write.id, indexedOnly(copy.view, previousDocument), next, this.searchSettings);
        copy.docs.set(write.id, { id: write.id, removed: false, document: next });
        if (isLive) {
          changes.push(
            traced(
              { kind: 'upserted', view: target.view, position: next.position, id: write.id, document: next },
              write,
            ),
          );
        }
      } else {
        unindex(copy, write.id, indexedOnly(copy.view, previousDocument));
        copy.docs.set(write.id, {
          id: write.id,
          removed: true,
          version: write.version,
          position: write.position,
        });
        if (isLive && previousDocument) {
          changes.push(
            traced(
              {
                kind: 'removed',
                view: target.view,
                position: write.position,
                id: write.id,
                last: previousDocument,
              },
              write,
            ),
          );
        }
      }
    }
    copy.checkpoint = batch.checkpoint;
    if (isLive) {
      this.publish(target.view, changes);
      this.waiters.wake();
    }
  }

  async readCheckpoint(target: ViewCopy): Promise<number> {
    return this.copy(target).checkpoint;
  }

  async documents<V extends ViewName>(target: ViewCopy<V>): Promise<ViewDocuments[V][]> {
    const copy = this.copy(target);
    return [...copy.docs.values()]
      .filter((d) => !d.removed)
      .sort((a, b) => compareIds(a.id, b.id))
      .map((d) => (d as unknown as { document: ViewDocuments[V] }).document);
  }

  async createCopy(view: ViewName): Promise<string> {
    const id = `copy-${++this.copySequence}`;
    this.copies.set(this.copyKey(view, id), emptyCopy(view));
    return id;
  }

  async promoteCopy(target: ViewCopy): Promise<void> {
    const key = this.copyKey(target.view, target.copy);
    const next = this.copy(target);
    const previousKey = this.live.get(target.view);
    const previous = previousKey ? this.copies.get(previousKey) : undefined;
    this.live.set(target.view, key);
    if (previousKey && previousKey !== key) this.copies.delete(previousKey);
    if (!previous || previous === next) return;
    // Live subscribers saw the old copy: tell them where the new one differs.
    const changes: ViewChange[] = [];
    for (const [id, stored] of next.docs) {
      if (stored.removed) continue;
      const old = previous.docs.get(id);
      if (!old || old.removed || JSON.stringify(old.document) !== JSON.stringify(stored.document)) {
        changes.push({
          kind: 'upserted',
          view: target.view,
          position: next.checkpoint,
          id,
          document: stored.document,
        } as ViewChange);
      }
    }
    for (const [id, old] of previous.docs) {
      if (old.removed) continue;
      const now = next.docs.get(id);
      if (!now || now.removed) {
        changes.push({
          kind: 'removed',
          view: target.view,
          position: next.checkpoint,
          id,
          last: old.document,
        } as ViewChange);
      }
    }
    this.logger.log(
      `VIEWSTORE-010 view ${target.view}: copy ${target.copy} is live at position ${next.checkpoint}, ${changes.length} documents differed`,
    );
    this.publish(target.view, changes);
    this.waiters.wake();
  }

  async dropCopy(target: ViewCopy): Promise<void> {
    const key = this.copyKey(target.view, target.copy);
    if (this.live.get(target.view) === key)
      throw new Error(`VIEWSTORE-002 view ${target.view}: cannot drop the live copy`);
    this.copies.delete(key);
  }

  async close(): Promise<void> {
    for (const s of this.subscribers) s.closed = true;
    this.subscribers.clear();
  }

  // ------------------------------------------------------------------ internals

  private copyKey(view: ViewName, copy: string): string {
    return `${view}/${copy}`;
  }

  private copy(target: ViewCopy): CopyState {
    const key =
      target.copy === LIVE_COPY ? this.live.get(target.view) : this.copyKey(target.view, target.copy);
    const copy = key ? this.copies.get(key) : undefined;
    if (!copy) throw new RangeError(`VIEWSTORE-003 view ${String(target.view)}: no copy '${target.copy}'`);
    return copy;
  }

  private liveCopy(view: ViewName): CopyState {
    return this.copy({ view, copy: LIVE_COPY });
  }

  /** Pushes the documents the viewer may see that match, testing an indexed payload condition first. */
  private collectVisible<T>(
    copy: CopyState,
    viewer: Viewer,
    payload: readonly PayloadCondition[] | null | undefined,
    matches: (doc: unknown) => boolean,
    found: T[],
  ): void {
    const index = copy.principals!;
    const slots = index.visible(viewer);
    const plan = index.prefilter(payload);
    for (const slot of slots) {
      if (plan !== null && plan.test(slot) === 'no') continue;
      const doc = index.doc(slot);
      if (matches(doc)) found.push(doc as T);
    }
  }

  private reached(views: readonly ViewName[]): number {
    return Math.min(...views.map((v) => this.liveCopy(v).checkpoint));
  }

  private publish(view: ViewName, changes: ViewChange[]): void {
    if (changes.length === 0) return;
    changes.sort((a, b) => a.position - b.position);
    const history = this.history.get(view)!;
    history.changes.push(...changes);
    const excess = history.changes.length - this.historyLimit;
    if (excess > 0) {
      history.droppedUpTo = history.changes[excess - 1].position;
      history.changes.splice(0, excess);
    }
    for (const subscriber of this.subscribers) {
      if (subscriber.views.has(view)) this.deliver(subscriber, changes);
    }
  }

  private deliver(subscriber: Subscriber, changes: readonly ViewChange[]): void {
    deliverLater(subscriber, changes);
  }
}

/** The change of a write, with the write's trace (tracing on). */
function traced(change: object, write: ViewWrite): ViewChange {
  const published = change as ViewChange;
  if (write.trace !== undefined) published.trace = write.trace;
  return published;
}

/** Task fields kept as numeric columns of the principal index, by their sort field names. */
const TASK_COLUMNS = { CREATE_TIME: 0, DUE_DATE: 1, FOLLOW_UP_DATE: 2, PRIORITY: 3 } as const;

const timeOrNull = (value: string | null): number | null => (value === null ? null : Date.parse(value));

const TASK_NUMERIC_FIELDS: ((doc: unknown) => number | null)[] = [
  (d) => timeOrNull((d as TaskView).createTime),
  (d) => timeOrNull((d as TaskView).dueDate),
  (d) => timeOrNull((d as TaskView).followUpDate),
  (d) => (d as TaskView).priority,
];

/**
 * One page of slots sorted on numeric columns (missing values first, then ids), with the same
 * cursors as {@link selectPage}: the order and the cursors do not depend on which path ran.
 */
function selectSlots(
  index: PrincipalIndex<unknown>,
  slots: readonly number[],
  fields: readonly { column: number; sign: number }[],
  first: number,
  after: string | null | undefined,
): { slots: number[]; hasNextPage: boolean; endCursor: string | null } {
  const columns = fields.map((f) => index.numeric[f.column]);
  const signs = fields.map((f) => f.sign);
  const compareNumbers = (a: number, b: number): number => {
    const aMissing = Number.isNaN(a);
    const bMissing = Number.isNaN(b);
    if (aMissing || bMissing) return aMissing === bMissing ? 0 : aMissing ? -1 : 1;
    return a < b ? -1 : a > b ? 1 : 0;
  };
  const compare = (a: number, b: number): number => {
    for (let i = 0; i < columns.length; i++) {
      const c = compareNumbers(columns[i][a], columns[i][b]);
      if (c !== 0) return c * signs[i];
    }
    const ia = index.id(a);
    const ib = index.id(b);
    return ia < ib ? -1 : ia > ib ? 1 : 0;
  };
  const cursor = after ? decodeCursor(after, fields.length) : null;
  if (cursor && !cursor.key.every((k) => k === null || typeof k === 'number')) {
    throw new ViewQueryError(
      'after',
      'is not a cursor of this query (use the endCursor of a page with the same sort)',
    );
  }
  const cursorKey = cursor ? cursor.key.map((k) => (k === null ? NaN : (k as number))) : [];
  const afterCursor = (slot: number): boolean => {
    for (let i = 0; i < columns.length; i++) {
      const c = compareNumbers(columns[i][slot], cursorKey[i]);
      if (c !== 0) return c * signs[i] > 0;
    }
    return index.id(slot) > cursor!.id;
  };
  const limit = first + 1;
  const buffer: number[] = [];
  for (const slot of slots) {
    if (cursor && !afterCursor(slot)) continue;
    if (buffer.length === limit) {
      if (compare(slot, buffer[limit - 1]) >= 0) continue;
      buffer.pop();
    }
    let lo = 0;
    let hi = buffer.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(buffer[mid], slot) < 0) lo = mid + 1;
      else hi = mid;
    }
    buffer.splice(lo, 0, slot);
  }
  const page = buffer.slice(0, first);
  const last = page[page.length - 1];
  const keyOf = (slot: number) => columns.map((column) => (Number.isNaN(column[slot]) ? null : column[slot]));
  return {
    slots: page,
    hasNextPage: buffer.length > first,
    endCursor: last === undefined ? (after ?? null) : encodeCursor({ key: keyOf(last), id: index.id(last) }),
  };
}

function emptyCopy(view: ViewName): CopyState {
  return {
    view,
    docs: new Map(),
    checkpoint: 0,
    principals:
      view === 'tasks'
        ? new PrincipalIndex<unknown>(
            (d) => principalKeys(view, d),
            (a, b) => samePrincipals(view, a, b),
            (d) => (d as TaskView).payload,
            TASK_NUMERIC_FIELDS,
          )
        : view === 'data-entries' || view === 'closed-tasks'
          ? new PrincipalIndex<unknown>(
              (d) => principalKeys(view, d),
              (a, b) => samePrincipals(view, a, b),
              (d) => (d as DataEntryView | ClosedTaskView).payload,
            )
          : undefined,
    correlations: new Map(),
    search: isSearchedView(view) ? new MemorySearchIndex() : undefined,
  };
}

function document<T>(copy: CopyState, id: string): T | null {
  const stored = copy.docs.get(id);
  return stored && !stored.removed ? (stored.document as T) : null;
}

/** The document with `id` when `viewer` may see it, else null (as if it did not exist). */
function visibleDocument<T>(
  copy: CopyState,
  id: string,
  viewer: Viewer,
  canSee: (document: T, viewer: Viewer) => boolean,
): T | null {
  const found = document<T>(copy, id);
  return found && canSee(found, viewer) ? found : null;
}

/** A page of the port: the selected nodes, their paging, the count of every match and the position read. */
function pageOf<T>(
  nodes: T[],
  selected: { hasNextPage: boolean; endCursor: string | null },
  totalCount: number,
  position: number,
): Page<T> {
  return {
    nodes,
    totalCount,
    pageInfo: { hasNextPage: selected.hasNextPage, endCursor: selected.endCursor },
    position,
  };
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function canStart(definition: ProcessDefinitionView, viewer: Viewer): boolean {
  if (!definition.startableFromTasklist) return false;
  const users = definition.candidateStarterUsers;
  const groups = definition.candidateStarterGroups;
  if (users.length === 0 && groups.length === 0) return true;
  return users.includes(viewer.userId) || groups.some((g) => viewer.groups.includes(g));
}

function principalKeys(view: ViewName, doc: unknown): string[] {
  return documentPrincipals(view, doc) ?? [];
}

/**
 * The document when the view's indexes hold it, else undefined. The closed tasks view keeps the
 * open tasks only so that their closing events find them; no query answers them, so they are not
 * indexed (which spares the replay most of that view's index work).
 */
function indexedOnly(view: ViewName, doc: unknown): unknown {
  return view === 'closed-tasks' && (doc as ClosedTaskView | undefined)?.closedAs === null ? undefined : doc;
}

/** Moves a document in the indexes; `previous` is what they hold for it now, if anything. */
function reindex(
  copy: CopyState,
  id: string,
  previous: unknown,
  next: unknown,
  search: SearchSettings,
): void {
  if (indexedOnly(copy.view, next) === undefined) {
    unindex(copy, id, previous);
    return;
  }
  copy.principals?.set(id, next, previous);
  // Most changes (a claim, a new priority) leave the searched fields as they were: keep their terms.
  if (
    copy.search &&
    (previous === undefined || !sameSearchedFields(copy.view as SearchedView, previous, next))
  ) {
    copy.search.set(id, documentSearchTerms(copy.view as SearchedView, next, search));
  }
  if (copy.view !== 'tasks') return;
  const before = previous === undefined ? [] : (previous as TaskView).correlations;
  const after = (next as TaskView).correlations;
  if (before === after) return;
  for (const c of before) removeFrom(copy.correlations, dataEntryId(c.entryType, c.entryId), id);
  for (const c of after) addTo(copy.correlations, dataEntryId(c.entryType, c.entryId), id);
}

function samePrincipals(view: ViewName, a: unknown, b: unknown): boolean {
  if (view === 'tasks' || view === 'closed-tasks') {
    const x = a as ClosedTaskView;
    const y = b as ClosedTaskView;
    return (
      (view === 'tasks' || x.closedAs === y.closedAs) &&
      x.assignee === y.assignee &&
      x.candidateUsers === y.candidateUsers &&
      x.candidateGroups === y.candidateGroups
    );
  }
  if (view === 'data-entries') {
    const x = a as DataEntryView;
    const y = b as DataEntryView;
    return x.authorizedUsers === y.authorizedUsers && x.authorizedGroups === y.authorizedGroups;
  }
  return true;
}

function unindex(copy: CopyState, id: string, doc: unknown): void {
  if (doc === undefined) return;
  copy.principals?.delete(id, doc);
  copy.search?.delete(id);
  if (copy.view === 'tasks') {
    for (const c of (doc as TaskView).correlations)
      removeFrom(copy.correlations, dataEntryId(c.entryType, c.entryId), id);
  }
}

function addTo(map: Map<string, Set<string>>, key: string, item: string): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(item);
}

function removeFrom(map: Map<string, Set<string>>, key: string, item: string): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(item);
  if (set.size === 0) map.delete(key);
}

/**
 * Freezes a document and what it holds. What is frozen already was frozen with a document written
 * before (projections carry unchanged parts over), so the walk stops there: a write costs what it
 * changed, not the size of the document.
 */
function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  Object.freeze(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) deepFreeze(value[i]);
  } else {
    const object = value as Record<string, unknown>;
    for (const key of Object.keys(object)) deepFreeze(object[key]);
  }
  return value;
}
