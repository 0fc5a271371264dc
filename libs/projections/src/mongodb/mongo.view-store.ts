import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import {
  type AnyBulkWriteOperation,
  BSON,
  type BulkWriteResult,
  type Collection,
  type Db,
  type Document,
  type Filter,
  MongoBulkWriteError,
  MongoClient,
} from 'mongodb';
import { validatePageSize } from '../view-filters';
import {
  type ApplicationTaskCount,
  type ChangeListener,
  type ChangeSubscription,
  type ChangeSubscriptionRequest,
  type ClosedTaskQuery,
  type DataEntryQuery,
  LIVE_COPY,
  type Page,
  type StoredViewDocument,
  type ProcessInstanceQuery,
  type TaskCountQuery,
  type TaskQuery,
  type ViewBatch,
  type ViewChange,
  type ViewCopy,
  type Viewer,
  type ViewStore,
} from '../view-store.port';
import { PositionWaiters } from '../position-waiters';
import {
  type ClosedTaskView,
  type DataEntryView,
  type HistoryView,
  type ProcessDefinitionView,
  type ProcessInstanceView,
  type TaskView,
  type ViewDocuments,
  type ViewName,
  VIEW_NAMES,
  viewDocumentId,
} from '../view.types';
import { compareSavedFilters, type SavedFilterView } from '../saved-filters/saved-filter.view';
import { LastingCollectionWatch } from './collection-watch';
import { closedTaskQuery, closedTaskSort } from './mongo.history-queries';
import { changeOf, MongoChangeFeed } from './mongo.change-feed';
import {
  decodeDocument,
  decodeStored,
  encodeDocument,
  encodeTombstone,
  olderThan,
  type StoredMeta,
  type ViewRecord,
} from './mongo.view-documents';
import { isNewer } from '../view-revision';
import { VIEW_INDEXES } from './mongo.view-indexes';
import { selectRankedPage } from '../search/ranked-page';
import { parseSearch, type SearchQuery, searchScore } from '../search/search-query';
import { resolveSearchSettings, type SearchSettings } from '../search/search-settings';
import {
  afterCursor,
  cursorOf,
  dataEntryQuery,
  dataEntrySort,
  type MongoSort,
  processInstanceSort,
  taskQuery,
  taskSort,
  visibleTo,
} from './mongo.view-queries';

export interface MongoViewStoreOptions {
  /** A connected client; the store does not close it. */
  client: MongoClient;
  /** The database holding the views, their checkpoints and the live pointers. */
  database: string;
  /** What free-text search reads (`EDDY_SEARCH_PAYLOAD_FIELDS`) and how long a search may be. */
  search?: Partial<SearchSettings>;
}

/** The live collection of every view: one document per view, switched atomically by a promotion. */
export const POINTERS_COLLECTION = 'view_pointers';
/** One document per view collection: `{ _id: collection, view, copy, position }` (more fields may follow). */
export const CHECKPOINTS_COLLECTION = 'view_checkpoints';

/** MongoDB's limit on one document (16 MiB), less room for the update command around it. */
const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024 - 16 * 1024;
const DUPLICATE_KEY = 11000;

interface PointerRecord {
  _id: string;
  collection: string;
}

interface CheckpointRecord {
  _id: string;
  view: string;
  copy: string;
  position: number;
}

/**
 * The MongoDB view store (official `mongodb` driver): every view a collection, queried with
 * authorisation inside the query, written by conditional bulk writes, followed through change
 * streams. Any number of processes may share one database: the projecting one writes, the others
 * read, follow the change feed and wait for positions through the checkpoint collection's stream.
 *
 * Writes are idempotent in the store: a document is replaced only when the stored revision
 * (`view-revision.ts`) is lower, so a duplicate, a late event or a second projector racing over the
 * same events changes nothing. A batch's documents are written first, then its checkpoint (with
 * `$max`, so it never goes back): a crash between them only repeats work.
 *
 * See `README.md` beside this file for the collections, the indexes and what was verified only
 * against the MongoDB-compatible server of the tests.
 */
export class MongoViewStore implements ViewStore {
  private readonly logger = new Logger('MongoViewStore');
  private readonly db: Db;
  private readonly live = new Map<ViewName, string>();
  /** Checkpoints by collection, as this process last saw them (its commits and the stream). */
  private readonly checkpoints = new Map<string, number>();
  private readonly feed: MongoChangeFeed;
  private checkpointWatch: LastingCollectionWatch<CheckpointRecord> | undefined;
  private pointerWatch: LastingCollectionWatch<PointerRecord> | undefined;
  private readonly waiters = new PositionWaiters((views) => this.reached(views));
  private readonly search: SearchSettings;

  private constructor(
    private readonly client: MongoClient,
    database: string,
    private readonly ownsClient: boolean,
    search: Partial<SearchSettings> | undefined,
  ) {
    this.search = resolveSearchSettings(search);
    this.db = client.db(database);
    this.feed = new MongoChangeFeed(
      (view) => this.liveCollection(view),
      (view) => this.rereadPointer(view),
    );
  }

  /** A store on a client the caller owns: creates the collections and indexes that are missing. */
  static async open(options: MongoViewStoreOptions): Promise<MongoViewStore> {
    const store = new MongoViewStore(options.client, options.database, false, options.search);
    await store.initOrClose();
    return store;
  }

  /**
   * Connects to `url` and opens the store; the client is closed with the store. Fails when the
   * server cannot be reached within `serverSelectionTimeoutMS`.
   */
  static async connect(
    url: string,
    database: string,
    options: { serverSelectionTimeoutMS?: number; search?: Partial<SearchSettings> } = {},
  ): Promise<MongoViewStore> {
    const client = new MongoClient(url, {
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 10_000,
    });
    await client.connect();
    const store = new MongoViewStore(client, database, true, options.search);
    await store.initOrClose();
    return store;
  }

  /** {@link init}, and on failure closes what it opened (the streams; the client when owned). */
  private async initOrClose(): Promise<void> {
    try {
      await this.init();
    } catch (error) {
      await this.close().catch(() => undefined);
      throw error;
    }
  }

  private async init(): Promise<void> {
    const pointers = this.pointersCollection();
    // Watched before the pointers are read, so that no switch falls between the two.
    this.pointerWatch = new LastingCollectionWatch(
      pointers,
      (document) => void this.followSwitch(document as PointerRecord),
      async () => {
        for (const pointer of await pointers.find({}).toArray()) await this.followSwitch(pointer);
      },
    );
    await this.pointerWatch.open();
    for (const view of VIEW_NAMES) {
      await pointers.updateOne({ _id: view }, { $setOnInsert: { collection: view } }, { upsert: true });
    }
    for (const pointer of await pointers.find({}).toArray()) {
      if ((VIEW_NAMES as readonly string[]).includes(pointer._id)) {
        this.live.set(pointer._id as ViewName, pointer.collection);
      }
    }
    for (const view of VIEW_NAMES) await this.prepareCollection(view, this.live.get(view)!, LIVE_COPY);
    this.checkpointWatch = new LastingCollectionWatch(
      this.checkpointCollection(),
      (document) => this.sawCheckpoint(document._id as string, document.position as number),
      () => this.rereadCheckpoints(),
    );
    await this.checkpointWatch.open();
    await this.rereadCheckpoints();
  }

  private async rereadCheckpoints(): Promise<void> {
    for (const c of await this.checkpointCollection().find({}).toArray())
      this.sawCheckpoint(c._id, c.position);
  }

  /**
   * For `/health/ready`: down while the server does not answer a ping (the driver reconnects by
   * itself, so readiness recovers without a restart).
   */
  readinessCheck(): { name: string; check(): Promise<{ ready: boolean; detail?: unknown }> } {
    return {
      name: 'view-store',
      check: async () => {
        try {
          await this.db.command({ ping: 1 }, { timeoutMS: 2_000 });
          return { ready: true, detail: { kind: 'mongodb', database: this.db.databaseName } };
        } catch (error) {
          return { ready: false, detail: { kind: 'mongodb', error: (error as Error).message } };
        }
      },
    };
  }

  // ------------------------------------------------------------------ queries

  async findTasks(query: TaskQuery): Promise<Page<TaskView>> {
    const first = validatePageSize(query.first);
    const sort = taskSort(query.sort);
    const filter = taskQuery(query.filter, query.viewer, query.now ?? new Date(), this.search);
    const search = this.rankedSearch(query.filter?.search, query.sort, 'filter.search');
    if (search) return this.rankedPage<TaskView>('tasks', filter, search, first, query.after);
    return this.page<TaskView>('tasks', filter, sort, first, query.after);
  }

  /**
   * MongoDB's query plan of {@link findTasks} (`explain('queryPlanner')`): for operators and the
   * test that fails on a collection scan. mongo-java-server has no `explain` and rejects.
   */
  async explainFindTasks(query: TaskQuery): Promise<Document> {
    const sort = taskSort(query.sort);
    const filter = taskQuery(query.filter, query.viewer, query.now ?? new Date(), this.search);
    return this.liveCollection('tasks')
      .find(filter)
      .sort(sort.sort)
      .limit(validatePageSize(query.first) + 1)
      .explain('queryPlanner');
  }

  async getTask(id: string, viewer: Viewer): Promise<TaskView | null> {
    return (await this.getTasks([id], viewer))[0];
  }

  async getTasks(ids: readonly string[], viewer: Viewer): Promise<(TaskView | null)[]> {
    return this.visibleByIds<TaskView>('tasks', ids, viewer);
  }

  async tasksCorrelatedTo(dataEntryIds: readonly string[], viewer: Viewer): Promise<TaskView[][]> {
    if (dataEntryIds.length === 0) return [];
    const found = await this.liveCollection('tasks')
      .find({ $and: [visibleTo(viewer), { _c: { $in: [...dataEntryIds] } }] })
      .sort({ '_s.createTime': 1, _id: 1 })
      .toArray();
    return dataEntryIds.map((entry) =>
      found.filter((t) => (t._c as string[]).includes(entry)).map((t) => decodeDocument<TaskView>(t)),
    );
  }

  /** `countDocuments` on the indexed query of {@link findTasks}: no document leaves the server. */
  async taskCount(query: TaskCountQuery): Promise<number> {
    const filter = taskQuery(query.filter, query.viewer, query.now ?? new Date(), this.search);
    return this.liveCollection('tasks').countDocuments(filter);
  }

  async taskCountByApplication(viewer: Viewer, now: Date = new Date()): Promise<ApplicationTaskCount[]> {
    const counts = await this.liveCollection('tasks')
      .aggregate<{ _id: string; count: number }>([
        { $match: taskQuery({}, viewer, now, this.search) },
        { $group: { _id: '$applicationName', count: { $sum: 1 } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    return counts.map((c) => ({ applicationName: c._id, count: c.count }));
  }

  async findDataEntries(query: DataEntryQuery): Promise<Page<DataEntryView>> {
    const first = validatePageSize(query.first);
    const sort = dataEntrySort(query.sort);
    const filter = dataEntryQuery(query.filter, query.viewer, this.search);
    const search = this.rankedSearch(query.filter?.search, query.sort, 'filter.search');
    if (search) return this.rankedPage<DataEntryView>('data-entries', filter, search, first, query.after);
    return this.page<DataEntryView>('data-entries', filter, sort, first, query.after);
  }

  async getDataEntry(id: string, viewer: Viewer): Promise<DataEntryView | null> {
    return (await this.getDataEntries([id], viewer))[0];
  }

  async getDataEntries(ids: readonly string[], viewer: Viewer): Promise<(DataEntryView | null)[]> {
    return this.visibleByIds<DataEntryView>('data-entries', ids, viewer);
  }

  async findClosedTasks(query: ClosedTaskQuery): Promise<Page<ClosedTaskView>> {
    const first = validatePageSize(query.first);
    const sort = closedTaskSort(query.sort);
    const filter = closedTaskQuery(query.filter, query.viewer, this.search);
    const search = this.rankedSearch(query.filter?.task?.search, query.sort, 'filter.task.search');
    if (search) return this.rankedPage<ClosedTaskView>('closed-tasks', filter, search, first, query.after);
    return this.page<ClosedTaskView>('closed-tasks', filter, sort, first, query.after);
  }

  async getHistories(ids: readonly string[], viewer: Viewer): Promise<(HistoryView | null)[]> {
    return this.visibleByIds<HistoryView>('history', ids, viewer);
  }

  async startableProcesses(viewer: Viewer): Promise<ProcessDefinitionView[]> {
    const found = await this.liveCollection('process-definitions')
      .find({
        _r: false,
        startableFromTasklist: true,
        $or: [
          { candidateStarterUsers: { $size: 0 }, candidateStarterGroups: { $size: 0 } },
          { candidateStarterUsers: { $eq: viewer.userId } },
          { candidateStarterGroups: { $in: [...viewer.groups] } },
        ],
      })
      .toArray();
    return found
      .map((d) => decodeDocument<ProcessDefinitionView>(d))
      .sort((a, b) => compareStrings(a.name, b.name) || compareStrings(a.key, b.key));
  }

  async getProcessDefinition(key: string): Promise<ProcessDefinitionView | null> {
    return this.byId<ProcessDefinitionView>('process-definitions', key);
  }

  async getProcessInstance(id: string): Promise<ProcessInstanceView | null> {
    return this.byId<ProcessInstanceView>('process-instances', id);
  }

  async findProcessInstances(query: ProcessInstanceQuery): Promise<Page<ProcessInstanceView>> {
    const first = validatePageSize(query.first);
    const filter: Filter<ViewRecord> = {
      startUserId: { $eq: query.startedBy },
      ...(query.state ? { state: { $eq: query.state } } : {}),
    };
    return this.page<ProcessInstanceView>(
      'process-instances',
      filter,
      processInstanceSort(),
      first,
      query.after,
    );
  }

  /** Authorised in the query (`_p`); sorted here, as the memory store sorts, so that both agree on every name. */
  async savedFilters(viewer: Viewer): Promise<SavedFilterView[]> {
    const found = await this.liveCollection('saved-filters').find(visibleTo(viewer)).toArray();
    return found.map((d) => decodeDocument<SavedFilterView>(d)).sort(compareSavedFilters);
  }

  async getSavedFilter(id: string): Promise<SavedFilterView | null> {
    return this.byId<SavedFilterView>('saved-filters', id);
  }

  // ------------------------------------------------------------------ change feed

  subscribe(request: ChangeSubscriptionRequest, listener: ChangeListener): Promise<ChangeSubscription> {
    return this.feed.subscribe(request, listener);
  }

  async waitForPosition(
    position: number,
    timeoutMs: number,
    views: readonly ViewName[] = VIEW_NAMES,
  ): Promise<void> {
    return this.waiters.wait(position, timeoutMs, views);
  }

  async checkpoint(view: ViewName): Promise<number> {
    return this.readCheckpoint({ view, copy: LIVE_COPY });
  }

  // ------------------------------------------------------------------ writing

  async load<V extends ViewName>(
    target: ViewCopy<V>,
    ids: readonly string[],
  ): Promise<Map<string, StoredViewDocument<V>>> {
    const collection = await this.copyCollection(target);
    const found = await collection.find({ _id: { $in: [...ids] } }).toArray();
    return new Map(found.map((d) => [d._id, decodeStored<V>(d)]));
  }

  async commit<V extends ViewName>(target: ViewCopy<V>, batch: ViewBatch<V>): Promise<void> {
    const collection = await this.copyCollection(target);
    const current = await this.checkpointOf(collection.collectionName, target);
    if (batch.checkpoint < current) {
      throw new RangeError(
        `VIEWSTORE-001 view ${target.view} copy ${target.copy}: checkpoint ${batch.checkpoint} is behind ${current}`,
      );
    }
    if (batch.writes.length > 0) await this.writeDocuments(target.view, collection, batch);
    // A batch at the checkpoint as it was read (the Kafka projector's) leaves it: no write to watch.
    if (batch.checkpoint > current) {
      const moved = await this.checkpointCollection().updateOne(
        { _id: collection.collectionName },
        { $max: { position: batch.checkpoint } },
      );
      if (moved.matchedCount === 0) {
        throw new RangeError(`VIEWSTORE-003 view ${target.view}: no copy '${target.copy}'`);
      }
    }
    this.sawCheckpoint(collection.collectionName, batch.checkpoint);
  }

  async readCheckpoint(target: ViewCopy): Promise<number> {
    const collection = await this.copyCollection(target);
    const position = await this.checkpointOf(collection.collectionName, target);
    this.sawCheckpoint(collection.collectionName, position);
    return position;
  }

  async documents<V extends ViewName>(target: ViewCopy<V>): Promise<ViewDocuments[V][]> {
    const collection = await this.copyCollection(target);
    const found = await collection.find({ _r: false }).toArray();
    return found
      .map((d) => decodeDocument<ViewDocuments[V]>(d))
      .sort((a, b) => compareStrings(viewDocumentId(target.view, a), viewDocumentId(target.view, b)));
  }

  async createCopy(view: ViewName): Promise<string> {
    const copy = `copy-${randomUUID().slice(0, 8)}`;
    await this.prepareCollection(view, `${view}.${copy}`, copy);
    return copy;
  }

  async promoteCopy(target: ViewCopy): Promise<void> {
    const next = await this.copyCollection(target);
    const previousName = this.live.get(target.view)!;
    if (next.collectionName === previousName) return;
    const previous = this.db.collection<ViewRecord>(previousName);
    const checkpoint = await this.checkpointOf(next.collectionName, target);
    const changes = await differences(target.view, previous, next, checkpoint);
    await this.pointersCollection().updateOne(
      { _id: target.view },
      { $set: { collection: next.collectionName } },
    );
    this.live.set(target.view, next.collectionName);
    this.sawCheckpoint(next.collectionName, checkpoint);
    await this.feed.switchCollection(target.view, changes);
    await previous.drop().catch(() => undefined);
    await this.checkpointCollection().deleteOne({ _id: previousName });
    this.checkpoints.delete(previousName);
    this.logger.log(
      `VIEWSTORE-010 view ${target.view}: copy ${target.copy} is live at position ${checkpoint}, ${changes.length} documents differed`,
    );
  }

  async dropCopy(target: ViewCopy): Promise<void> {
    const collection = await this.copyCollection(target);
    if (this.live.get(target.view) === collection.collectionName) {
      throw new Error(`VIEWSTORE-002 view ${target.view}: cannot drop the live copy`);
    }
    await collection.drop().catch(() => undefined);
    await this.checkpointCollection().deleteOne({ _id: collection.collectionName });
    this.checkpoints.delete(collection.collectionName);
  }

  /**
   * Ends the change stream of a view as a lost or invalid resume token would: its live
   * subscribers re-read their snapshots. For tests and drills.
   */
  async interruptChangeStream(view: ViewName): Promise<void> {
    await this.feed.interrupt(view);
  }

  async close(): Promise<void> {
    await this.feed.close();
    await this.pointerWatch?.close();
    await this.checkpointWatch?.close();
    if (this.ownsClient) await this.client.close();
  }

  // ------------------------------------------------------------------ internals

  private pointersCollection() {
    return this.db.collection<PointerRecord>(POINTERS_COLLECTION);
  }

  /** Another process promoted a copy: queries move to it and live subscribers re-read their snapshots. */
  private async followSwitch(pointer: PointerRecord): Promise<void> {
    try {
      if (await this.followPointer(pointer)) {
        await this.feed.reopen(pointer._id as ViewName, `view switched to ${pointer.collection}`);
      }
    } catch (error) {
      this.logger.error(
        `VIEWSTORE-207 view ${pointer._id}: cannot follow the switch to ${pointer.collection}: ${(error as Error).message}`,
      );
    }
  }

  /** Reads which collection is live now (a stream ended: the collection may have been switched). */
  private async rereadPointer(view: ViewName): Promise<void> {
    const pointer = await this.pointersCollection().findOne({ _id: view });
    if (pointer) await this.followPointer(pointer);
  }

  /** Makes the pointer's collection the live one of its view; false when it already was. */
  private async followPointer(pointer: PointerRecord): Promise<boolean> {
    const view = pointer._id as ViewName;
    if (!VIEW_NAMES.includes(view) || this.live.get(view) === pointer.collection) return false;
    const checkpoint = await this.checkpointCollection().findOne({ _id: pointer.collection });
    const previous = this.live.get(view);
    if (previous === pointer.collection) return false;
    if (checkpoint) this.sawCheckpoint(pointer.collection, checkpoint.position);
    this.live.set(view, pointer.collection);
    if (previous) this.checkpoints.delete(previous);
    this.waiters.wake();
    if (previous) {
      this.logger.log(
        `VIEWSTORE-012 view ${view}: follows the switch to ${pointer.collection} at position ${checkpoint?.position ?? 0}`,
      );
    }
    return true;
  }

  private liveCollection(view: ViewName): Collection<ViewRecord> {
    return this.db.collection<ViewRecord>(this.live.get(view)!);
  }

  private checkpointCollection() {
    return this.db.collection<CheckpointRecord>(CHECKPOINTS_COLLECTION);
  }

  /** The collection of a copy; rejects when the copy does not exist. */
  private async copyCollection(target: ViewCopy): Promise<Collection<ViewRecord>> {
    if (!VIEW_NAMES.includes(target.view))
      throw new RangeError(`VIEWSTORE-003 unknown view '${String(target.view)}'`);
    if (target.copy === LIVE_COPY) return this.liveCollection(target.view);
    if (!/^copy-[0-9a-f]{8}$/.test(target.copy)) {
      throw new RangeError(`VIEWSTORE-003 view ${target.view}: no copy '${target.copy}'`);
    }
    return this.db.collection<ViewRecord>(`${target.view}.${target.copy}`);
  }

  private async checkpointOf(collection: string, target: ViewCopy): Promise<number> {
    const found = await this.checkpointCollection().findOne({ _id: collection });
    if (!found) throw new RangeError(`VIEWSTORE-003 view ${target.view}: no copy '${target.copy}'`);
    return found.position;
  }

  /** Creates the checkpoint document and the indexes of a view collection, where missing. */
  private async prepareCollection(view: ViewName, collection: string, copy: string): Promise<void> {
    await this.checkpointCollection().updateOne(
      { _id: collection },
      { $setOnInsert: { view, copy, position: 0 } },
      { upsert: true },
    );
    await this.db.collection<ViewRecord>(collection).createIndexes(VIEW_INDEXES[view]);
  }

  /**
   * The batch's documents and tombstones, each replacing the stored one only when it is older. The
   * stored revisions are read first, by `_id` alone: a write that is not newer is left out, a write
   * of an id not stored is an insert (`$setOnInsert` on `_id`), and only a write over an older document
   * goes as the conditional replace ({@link olderThan}). Both servers answer an `_id` lookup from the
   * `_id` index; a filter with more than `_id` in it mongo-java-server answers by scanning the
   * collection, so each conditional write there cost more the larger the view. An insert that meets a
   * document written meanwhile goes again as the conditional replace: the newer one stays.
   */
  private async writeDocuments<V extends ViewName>(
    view: V,
    collection: Collection<ViewRecord>,
    batch: ViewBatch<V>,
  ): Promise<void> {
    const ids = [...new Set(batch.writes.map((w) => w.id))];
    const stored = new Map<string, ViewRecord>();
    for (const d of await collection.find({ _id: { $in: ids } }).toArray()) stored.set(d._id, d);
    const writes: { position: number; stored: ViewRecord & StoredMeta; insert: boolean }[] = [];
    for (const write of batch.writes) {
      const previous = stored.get(write.id) as (ViewRecord & Partial<StoredMeta>) | undefined;
      const encoded =
        write.kind === 'upsert'
          ? encodeDocument(view, write.id, write.document, this.search, write.trace)
          : encodeTombstone(write, previous && !previous._r ? decodeDocument(previous) : undefined);
      const size = BSON.calculateObjectSize(encoded);
      if (size > MAX_DOCUMENT_BYTES) {
        throw new RangeError(
          `VIEWSTORE-204 view ${view} document ${JSON.stringify(write.id)} is ${size} bytes, over MongoDB's limit of ${MAX_DOCUMENT_BYTES}`,
        );
      }
      if (previous?._rev && !isNewer(encoded._rev, previous._rev)) continue;
      const insert = previous === undefined && plainKeys(encoded);
      writes.push({ position: encoded.position as number, stored: encoded, insert });
    }
    writes.sort((a, b) => a.position - b.position);
    // Updates and replaces alike: the driver sends them as one batch, so the changes come in position order.
    const upserted = await bulkWriteApplied(
      collection,
      writes.map((w) => (w.insert ? insertIfAbsent(w.stored) : conditionalReplace(w.stored))),
    );
    const raced = writes.filter((w, index) => w.insert && !upserted.has(index));
    await bulkWriteApplied(
      collection,
      raced.map((w) => conditionalReplace(w.stored)),
    );
  }

  private async page<T>(
    view: ViewName,
    filter: Filter<ViewRecord>,
    sort: MongoSort,
    first: number,
    after: string | null | undefined,
  ): Promise<Page<T>> {
    const paged = after ? { $and: [filter, afterCursor(after, sort)] } : filter;
    const collection = this.liveCollection(view);
    const position = this.checkpoints.get(collection.collectionName) ?? 0;
    const [found, totalCount] = await Promise.all([
      collection
        .find(paged)
        .sort(sort.sort)
        .limit(first + 1)
        .toArray(),
      collection.countDocuments(filter),
    ]);
    const nodes = found.slice(0, first);
    const last = nodes[nodes.length - 1];
    return {
      nodes: nodes.map((d) => decodeDocument<T>(d)),
      totalCount,
      pageInfo: {
        hasNextPage: found.length > first,
        endCursor: last ? cursorOf(last, sort) : (after ?? null),
      },
      position,
    };
  }

  /** The search of a query that is ranked by relevance: one without an explicit sort. */
  private rankedSearch(
    search: unknown,
    sort: readonly unknown[] | null | undefined,
    field: string,
  ): SearchQuery | null {
    return sort && sort.length > 0 ? null : parseSearch(search, this.search, field);
  }

  /**
   * A page of search results by relevance. The relevance is computed here from the stored terms of the
   * matching documents (`_q`, `_qw`: read alone, without the documents), with the memory store's
   * function, so both stores rank alike; then only the page's documents are read.
   */
  private async rankedPage<T>(
    view: ViewName,
    filter: Filter<ViewRecord>,
    search: SearchQuery,
    first: number,
    after: string | null | undefined,
  ): Promise<Page<T>> {
    const collection = this.liveCollection(view);
    const position = this.checkpoints.get(collection.collectionName) ?? 0;
    const matched = await collection.find(filter, { projection: { _id: 1, _q: 1, _qw: 1 } }).toArray();
    const ranked = matched.map((d) => ({
      id: d._id,
      score: searchScore({ tokens: d._q as string[], weights: d._qw as number[] }, search),
      document: d._id,
    }));
    const page = selectRankedPage(ranked, first, after);
    const found =
      page.nodes.length === 0 ? [] : await collection.find({ _id: { $in: page.nodes } }).toArray();
    const byId = new Map(found.map((d) => [d._id, decodeDocument<T>(d)]));
    return {
      // A document that changed between the two reads is left out; the change feed delivers it.
      nodes: page.nodes.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : [])),
      totalCount: ranked.length,
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      position,
    };
  }

  private async visibleByIds<T>(
    view: ViewName,
    ids: readonly string[],
    viewer: Viewer,
  ): Promise<(T | null)[]> {
    if (ids.length === 0) return [];
    const found = await this.liveCollection(view)
      .find({ $and: [visibleTo(viewer), { _id: { $in: [...ids] } }] })
      .toArray();
    const byId = new Map(found.map((d) => [d._id, decodeDocument<T>(d)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  private async byId<T>(view: ViewName, id: string): Promise<T | null> {
    const found = await this.liveCollection(view).findOne({ _id: { $eq: id }, _r: false });
    return found ? decodeDocument<T>(found) : null;
  }

  private sawCheckpoint(collection: string, position: number): void {
    if (position <= (this.checkpoints.get(collection) ?? -1)) return;
    this.checkpoints.set(collection, position);
    this.waiters.wake();
  }

  private reached(views: readonly ViewName[]): number {
    return Math.min(...views.map((v) => this.checkpoints.get(this.live.get(v)!) ?? 0));
  }
}

/** Where two copies of a view differ, as changes at `position` (for live subscribers of a promotion). */
async function differences(
  view: ViewName,
  previous: Collection<ViewRecord>,
  next: Collection<ViewRecord>,
  position: number,
): Promise<ViewChange[]> {
  const old = new Map<string, Document>();
  for (const d of await previous.find({ _r: false }).toArray()) old.set(d._id, d);
  const changes: ViewChange[] = [];
  for (const d of await next.find({ _r: false }).toArray()) {
    const id = d._id;
    const before = old.get(id);
    old.delete(id);
    const change = changeOf(view, d)!;
    if (
      before &&
      JSON.stringify(canonical(decodeDocument(before))) === JSON.stringify(canonical(decodeDocument(d)))
    ) {
      continue;
    }
    changes.push({ ...change, position });
  }
  for (const [id, d] of old) {
    changes.push({ kind: 'removed', view, position, id, last: decodeDocument(d) } as ViewChange);
  }
  return changes;
}

/** A value with its object keys sorted, so that two documents compare equal whatever their field order. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
  );
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The replace of a document or tombstone that applies only over an older one, inserting when none is stored. */
function conditionalReplace(stored: ViewRecord & StoredMeta): AnyBulkWriteOperation<ViewRecord> {
  return { replaceOne: { filter: olderThan(stored._id, stored._rev), replacement: stored, upsert: true } };
}

/**
 * The insert of a document or tombstone of an id that was not stored; one stored meanwhile stays.
 * Only for {@link plainKeys} documents: an update operator may refuse field names that a replacement
 * keeps (`$`-prefixed, dotted).
 */
function insertIfAbsent(stored: ViewRecord & StoredMeta): AnyBulkWriteOperation<ViewRecord> {
  const { _id, ...fields } = stored;
  return { updateOne: { filter: { _id }, update: { $setOnInsert: fields }, upsert: true } };
}

/**
 * Writes `operations` unordered; resolves with the indexes of those that inserted. A duplicate key is
 * a write that met a document at that revision or newer (applied) or, for {@link insertIfAbsent}, one
 * written meanwhile (not inserted). Any other failure rejects.
 */
async function bulkWriteApplied(
  collection: Collection<ViewRecord>,
  operations: AnyBulkWriteOperation<ViewRecord>[],
): Promise<Set<number>> {
  if (operations.length === 0) return new Set();
  let result: BulkWriteResult;
  try {
    result = await collection.bulkWrite(operations, { ordered: false });
  } catch (error) {
    const failures = error instanceof MongoBulkWriteError ? [error.writeErrors].flat() : [];
    if (failures.length === 0 || failures.some((f) => f.code !== DUPLICATE_KEY)) throw error;
    result = (error as MongoBulkWriteError).result;
  }
  return new Set(Object.keys(result.upsertedIds).map(Number));
}

/** Whether no field name in `value`, at any depth, starts with `$` or holds a dot. */
function plainKeys(value: unknown): boolean {
  if (Array.isArray(value)) return value.every(plainKeys);
  if (value === null || typeof value !== 'object' || value instanceof Date) return true;
  return Object.entries(value).every(
    ([key, inner]) => !key.startsWith('$') && !key.includes('.') && plainKeys(inner),
  );
}
