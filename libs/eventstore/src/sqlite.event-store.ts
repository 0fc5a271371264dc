import { Logger } from '@nestjs/common';
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { catchUpSubscription } from './catch-up-subscription';
import { CommitNotifier } from './commit-notifier';
import {
  type AppendOptions,
  type AppendResult,
  DuplicateEventIdError,
  type EventStore,
  EventStoreClosedError,
  type EventStoreStatistics,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type StoredEvent,
  type SubscribeOptions,
  WrongExpectedRevisionError,
} from './event-store.port';
import {
  satisfiesExpectedRevision,
  validateAppend,
  validateReadAll,
  validateReadStream,
  validateSubscribe,
} from './event-store.validation';

/** Options of {@link openSqliteEventStore}. */
export interface SqliteEventStoreOptions {
  /** Path of the database file; the file and its folder are created when missing. */
  filename: string;
  /**
   * `full` (default): an acknowledged append survives a crash of the process and of the machine.
   * `normal`: it survives a crash of the process only (WAL not synced on every commit).
   */
  synchronous?: 'full' | 'normal';
  /** Largest batch a subscription delivers when the subscriber does not choose. Default 500. */
  defaultBatchSize?: number;
}

const SCHEMA_VERSION = 1;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    position       INTEGER PRIMARY KEY,
    event_id       TEXT    NOT NULL,
    stream_id      TEXT    NOT NULL,
    revision       INTEGER NOT NULL,
    type           TEXT    NOT NULL,
    schema_version INTEGER NOT NULL,
    data           TEXT    NOT NULL,
    metadata       TEXT    NOT NULL
  );
  CREATE UNIQUE INDEX IF NOT EXISTS events_event_id ON events (event_id);
  CREATE UNIQUE INDEX IF NOT EXISTS events_stream_revision ON events (stream_id, revision);
`;

const COLUMNS = 'position, event_id, stream_id, revision, type, schema_version, data, metadata';

type EventRow = [number, string, string, number, string, number, string, string];

/** An event serialised when the append is called, so later changes by the caller do not leak in. */
type SerialisedEvent = [id: string, type: string, schemaVersion: number, data: string, metadata: string];

interface PendingAppend {
  streamId: string;
  events: SerialisedEvent[];
  expected: ExpectedRevision;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/**
 * Opens (or creates) the embedded event store in one SQLite file.
 *
 * The file is in WAL mode; one process owns it (the store keeps its head position and counters in
 * memory), which is what the embedded deployment runs.
 */
export function openSqliteEventStore(options: SqliteEventStoreOptions): SqliteEventStore {
  return new SqliteEventStore(options);
}

/**
 * The embedded event store on better-sqlite3.
 *
 * **Group commit.** Appends are queued and committed together in one SQLite transaction on the next
 * turn of the event loop, so concurrent writers share one WAL sync. Each append still runs in its
 * own savepoint with its own revision check: a conflict or a duplicate event id fails that append
 * only, the others of the group commit.
 *
 * **Durability.** An append resolves only after its transaction committed with `synchronous=FULL`
 * (by default), so an acknowledged event survives `kill -9` and power loss.
 *
 * **Duplicate event ids** are refused with {@link DuplicateEventIdError} (unique index on the id).
 */
export class SqliteEventStore implements EventStore {
  private readonly logger = new Logger(SqliteEventStore.name);
  private readonly db: Database.Database;
  private readonly notifier = new CommitNotifier();
  private readonly defaultBatchSize: number;
  private pending: PendingAppend[] = [];
  private flushScheduled = false;
  private closed = false;
  private head: number;
  private streamCount: number;
  private eventCount: number;

  private readonly statements: {
    begin: Database.Statement;
    commit: Database.Statement;
    rollback: Database.Statement;
    savepoint: Database.Statement;
    release: Database.Statement;
    rollbackToSavepoint: Database.Statement;
    insert: Database.Statement;
    streamRevision: Database.Statement;
    readAll: Database.Statement;
    readStream: Database.Statement;
  };

  constructor(readonly options: SqliteEventStoreOptions) {
    this.defaultBatchSize = options.defaultBatchSize ?? 500;
    if (options.filename !== ':memory:') mkdirSync(dirname(options.filename), { recursive: true });
    this.db = new Database(options.filename);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
      const version = this.db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new Error(
          `EVENTSTORE-001 ${options.filename}: schema version ${version} is newer than this version of Eddy (${SCHEMA_VERSION})`,
        );
      }
      this.db.exec(SCHEMA);
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
      this.statements = {
        begin: this.db.prepare('BEGIN IMMEDIATE'),
        commit: this.db.prepare('COMMIT'),
        rollback: this.db.prepare('ROLLBACK'),
        savepoint: this.db.prepare('SAVEPOINT append'),
        release: this.db.prepare('RELEASE append'),
        rollbackToSavepoint: this.db.prepare('ROLLBACK TO append'),
        insert: this.db.prepare(`INSERT INTO events (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
        streamRevision: this.db
          .prepare('SELECT revision FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1')
          .pluck(),
        readAll: this.db
          .prepare(`SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`)
          .raw(),
        readStream: this.db
          .prepare(
            `SELECT ${COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?`,
          )
          .raw(),
      };
      this.head = (this.db.prepare('SELECT max(position) FROM events').pluck().get() as number | null) ?? 0;
      this.eventCount = this.db.prepare('SELECT count(*) FROM events').pluck().get() as number;
      this.streamCount = this.db
        .prepare('SELECT count(DISTINCT stream_id) FROM events')
        .pluck()
        .get() as number;
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  appendToStream(
    streamId: string,
    events: readonly NewEvent[],
    options?: AppendOptions,
  ): Promise<AppendResult> {
    try {
      const expected = validateAppend(streamId, events, options);
      this.assertOpen();
      return new Promise<AppendResult>((resolve, reject) => {
        const serialised = events.map((e): SerialisedEvent => [
          e.id,
          e.type,
          e.schemaVersion,
          JSON.stringify(e.data),
          JSON.stringify(e.metadata),
        ]);
        this.pending.push({ streamId, events: serialised, expected, resolve, reject });
        if (!this.flushScheduled) {
          this.flushScheduled = true;
          setImmediate(() => this.flush());
        }
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<StoredEvent[]> {
    validateReadStream(streamId, options);
    this.assertOpen();
    const rows = this.statements.readStream.all(
      streamId,
      options?.fromRevision ?? 0,
      options?.maxCount ?? -1,
    ) as EventRow[];
    return rows.map(toStoredEvent);
  }

  async readAll(options?: ReadAllOptions): Promise<StoredEvent[]> {
    validateReadAll(options);
    return this.readAfter(options?.after ?? 0, options?.maxCount ?? -1);
  }

  subscribeToAll(options?: SubscribeOptions): AsyncIterable<readonly StoredEvent[]> {
    validateSubscribe(options);
    this.assertOpen();
    return catchUpSubscription(
      {
        readAfter: async (after, max) => this.readAfter(after, max),
        waitForEvents: (after, signal) => this.notifier.waitBeyond(after, signal),
        isClosed: () => this.closed,
      },
      {
        after: options?.after ?? 0,
        maxBatchSize: options?.maxBatchSize ?? this.defaultBatchSize,
        signal: options?.signal,
      },
    );
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    return this.head;
  }

  async statistics(): Promise<EventStoreStatistics> {
    this.assertOpen();
    return { headPosition: this.head, streams: this.streamCount, events: this.eventCount };
  }

  /** Commits the appends already queued, then closes the file and ends every subscription. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.notifier.close();
    this.db.close();
  }

  private readAfter(after: number, maxCount: number): StoredEvent[] {
    this.assertOpen();
    return (this.statements.readAll.all(after, maxCount) as EventRow[]).map(toStoredEvent);
  }

  /** Commits every queued append in one transaction; see the class comment. */
  private flush(): void {
    this.flushScheduled = false;
    const group = this.pending;
    this.pending = [];
    if (group.length === 0) return;
    const before = { head: this.head, streams: this.streamCount, events: this.eventCount };
    const outcomes: Array<AppendResult | Error> = [];
    const { statements } = this;
    try {
      statements.begin.run();
      // A savepoint undoes a failed append without touching the rest of the group. A lone append
      // needs none (the transaction is its unit), nor does a single event (a failed insert writes nothing).
      for (const append of group)
        outcomes.push(this.apply(append, group.length > 1 && append.events.length > 1));
      if (group.length === 1 && outcomes[0] instanceof Error) statements.rollback.run();
      else statements.commit.run();
    } catch (error) {
      // The transaction itself failed (I/O error, disk full): nothing of the group is stored.
      if (this.db.inTransaction) statements.rollback.run();
      this.head = before.head;
      this.streamCount = before.streams;
      this.eventCount = before.events;
      this.logger.error(
        `EVENTSTORE-002 ${this.options.filename}: commit of ${group.length} appends failed: ${String(error)}`,
      );
      for (const append of group) append.reject(error);
      return;
    }
    if (this.head > before.head) this.notifier.notify(this.head);
    group.forEach((append, i) => {
      const outcome = outcomes[i];
      if (outcome instanceof Error) append.reject(outcome);
      else append.resolve(outcome);
    });
  }

  /** Checks and writes one append; with `savepoint`, a failure undoes this append only. */
  private apply(append: PendingAppend, savepoint: boolean): AppendResult | Error {
    const { streamId, events, expected } = append;
    const { statements } = this;
    const actual = (statements.streamRevision.get(streamId) as number | undefined) ?? -1;
    if (!satisfiesExpectedRevision(expected, actual)) {
      return new WrongExpectedRevisionError(streamId, expected, actual);
    }
    if (events.length === 0) return { nextExpectedRevision: actual, position: this.head };

    const headBefore = this.head;
    let revision = actual;
    let current: SerialisedEvent | undefined;
    if (savepoint) statements.savepoint.run();
    try {
      for (const event of events) {
        current = event;
        revision += 1;
        statements.insert.run(
          this.head + 1,
          event[0],
          streamId,
          revision,
          event[1],
          event[2],
          event[3],
          event[4],
        );
        this.head += 1;
      }
      if (savepoint) statements.release.run();
    } catch (error) {
      if (savepoint) {
        statements.rollbackToSavepoint.run();
        statements.release.run();
      }
      this.head = headBefore;
      if (isUniqueViolation(error, 'events.event_id'))
        return new DuplicateEventIdError(streamId, current?.[0]);
      this.logger.error(`EVENTSTORE-003 stream ${streamId}: append failed: ${String(error)}`);
      return error instanceof Error ? error : new Error(String(error));
    }
    this.eventCount += events.length;
    if (actual === -1) this.streamCount += 1;
    return { nextExpectedRevision: revision, position: this.head };
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreClosedError();
  }
}

function isUniqueViolation(error: unknown, column: string): boolean {
  return (
    error instanceof Error &&
    (error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' &&
    error.message.includes(column)
  );
}

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    position: row[0],
    id: row[1],
    streamId: row[2],
    revision: row[3],
    type: row[4],
    schemaVersion: row[5],
    data: JSON.parse(row[6]) as Record<string, unknown>,
    metadata: JSON.parse(row[7]) as StoredEvent['metadata'],
  };
}
