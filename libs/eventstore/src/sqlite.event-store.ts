import { Logger } from '@nestjs/common';
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { catchUpSubscription } from './catch-up-subscription';
import { CommitNotifier } from './commit-notifier';
import {
  type AcceptedCommand,
  type AppendOptions,
  type AppendResult,
  DuplicateCommandError,
  DuplicateEventIdError,
  type EventStore,
  EventStoreClosedError,
  type EventStoreStatistics,
  EventStoreUnavailableError,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type StoredEvent,
  type SubscribeOptions,
  WrongExpectedRevisionError,
} from './event-store.port';
import {
  describeSqliteFailure,
  isSqliteFailure,
  isStorageCorruption,
  type SqliteFailure,
} from './sqlite.storage-errors';
import {
  validateAppend,
  validateCommandId,
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

/** 1: events; 2: the store-wide index of accepted commands and the store's identity. */
const SCHEMA_VERSION = 2;

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
  CREATE TABLE IF NOT EXISTS commands (
    command_id TEXT    PRIMARY KEY,
    stream_id  TEXT    NOT NULL,
    revision   INTEGER NOT NULL,
    position   INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS store (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
`;

/**
 * Fills the command index from the events of a version 1 file. A command id found on several
 * streams (version 1 de-duplicated per stream only) keeps the stream it reached first.
 */
const INDEX_EXISTING_COMMANDS = `
  INSERT OR IGNORE INTO commands (command_id, stream_id, revision, position)
    SELECT json_extract(metadata, '$.commandId'), stream_id, max(revision), max(position)
    FROM events GROUP BY json_extract(metadata, '$.commandId'), stream_id ORDER BY min(position)
`;

const COLUMNS = 'position, event_id, stream_id, revision, type, schema_version, data, metadata';

type EventRow = [number, string, string, number, string, number, string, string];

/** An event serialised when the append is called, so later changes by the caller do not leak in. */
type SerialisedEvent = [id: string, type: string, schemaVersion: number, data: string, metadata: string];

/** One append as the writer thread receives it. */
interface WriterAppend {
  streamId: string;
  expected: ExpectedRevision;
  events: SerialisedEvent[];
  commandId: string | undefined;
}

/** What the writer thread answers for one append of a group. */
type WriterOutcome =
  | { ok: true; nextExpectedRevision: number; position: number; created: boolean; count: number }
  | { ok: false; kind: 'conflict'; actual: number }
  | { ok: false; kind: 'duplicate'; eventId: string }
  | { ok: false; kind: 'duplicateCommand'; original: AcceptedCommand }
  | { ok: false; kind: 'failed'; message: string; code?: string };

type WriterMessage =
  | { type: 'ready'; journalMode: string; synchronous: number }
  | { type: 'committed'; group: number; outcomes: WriterOutcome[]; head: number }
  | { type: 'closed' };

interface PendingAppend extends WriterAppend {
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/**
 * The writer thread. It is sent to the worker as source text, so it must not use anything from the
 * module around it: it requires what it needs and repeats the small revision check.
 *
 * Each message is a group of appends, committed in one transaction; with several appends in the
 * group, each multi-event append runs in a savepoint so that its failure undoes it alone (a failed
 * single insert writes nothing, and a lone append is undone with the transaction).
 */
function writerThread(): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const Driver = require(workerData.driver) as typeof import('better-sqlite3');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const db = new Driver(workerData.filename as string);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${workerData.synchronous as string}`);
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');
  const savepoint = db.prepare('SAVEPOINT append');
  const release = db.prepare('RELEASE append');
  const rollbackToSavepoint = db.prepare('ROLLBACK TO append');
  const insert = db.prepare(
    'INSERT INTO events (position, event_id, stream_id, revision, type, schema_version, data, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const commandById = db
    .prepare('SELECT stream_id, revision, position FROM commands WHERE command_id = ?')
    .raw();
  const insertCommand = db.prepare(
    'INSERT INTO commands (command_id, stream_id, revision, position) VALUES (?, ?, ?, ?)',
  );
  const streamRevision = db
    .prepare('SELECT revision FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1')
    .pluck();
  let head = (db.prepare('SELECT max(position) FROM events').pluck().get() as number | null) ?? 0;
  parentPort!.postMessage({
    type: 'ready',
    journalMode: db.pragma('journal_mode', { simple: true }),
    synchronous: db.pragma('synchronous', { simple: true }),
  });

  const satisfies = (expected: unknown, actual: number): boolean =>
    expected === 'any' ||
    (expected === 'no_stream' && actual === -1) ||
    (expected === 'stream_exists' && actual >= 0) ||
    expected === actual;

  const apply = (append: WriterAppend, useSavepoint: boolean): WriterOutcome => {
    const actual = (streamRevision.get(append.streamId) as number | undefined) ?? -1;
    if (!satisfies(append.expected, actual)) return { ok: false, kind: 'conflict', actual };
    if (append.events.length === 0) {
      return { ok: true, nextExpectedRevision: actual, position: head, created: false, count: 0 };
    }
    const { commandId } = append;
    if (commandId !== undefined) {
      const original = commandById.get(commandId) as [string, number, number] | undefined;
      if (original !== undefined) {
        const [streamId, revision, position] = original;
        return { ok: false, kind: 'duplicateCommand', original: { commandId, streamId, revision, position } };
      }
    }
    const headBefore = head;
    let revision = actual;
    let current = '';
    if (useSavepoint) savepoint.run();
    try {
      for (const event of append.events) {
        current = event[0];
        revision += 1;
        insert.run(head + 1, event[0], append.streamId, revision, event[1], event[2], event[3], event[4]);
        head += 1;
      }
      if (commandId !== undefined) insertCommand.run(commandId, append.streamId, revision, head);
      if (useSavepoint) release.run();
    } catch (error) {
      if (useSavepoint) {
        rollbackToSavepoint.run();
        release.run();
      }
      head = headBefore;
      const e = error as { code?: string; message?: string };
      if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' && String(e.message).includes('events.event_id')) {
        return { ok: false, kind: 'duplicate', eventId: current };
      }
      return { ok: false, kind: 'failed', message: String(e.message ?? error), code: e.code };
    }
    return {
      ok: true,
      nextExpectedRevision: revision,
      position: head,
      created: actual === -1,
      count: append.events.length,
    };
  };

  parentPort!.on(
    'message',
    (message: { type: 'commit'; group: number; appends: WriterAppend[] } | { type: 'close' }) => {
      if (message.type === 'close') {
        db.close();
        parentPort!.postMessage({ type: 'closed' });
        parentPort!.close();
        return;
      }
      const { appends } = message;
      const headBefore = head;
      let outcomes: WriterOutcome[] = [];
      try {
        begin.run();
        for (const append of appends)
          // A lone insert that fails writes nothing; several inserts need a savepoint to be undone.
          outcomes.push(
            apply(
              append,
              appends.length > 1 && append.events.length + (append.commandId === undefined ? 0 : 1) > 1,
            ),
          );
        if (appends.length === 1 && !outcomes[0].ok) rollback.run();
        else commit.run();
      } catch (error) {
        // The transaction itself failed (I/O error, disk full): nothing of the group is stored.
        if (db.inTransaction) rollback.run();
        head = headBefore;
        const failed: WriterOutcome = {
          ok: false,
          kind: 'failed',
          message: `commit failed: ${String(error)}`,
          code: (error as { code?: string }).code,
        };
        outcomes = appends.map(() => failed);
      }
      parentPort!.postMessage({ type: 'committed', group: message.group, outcomes, head });
    },
  );
}

/**
 * Opens (or creates) the embedded event store in one SQLite file.
 *
 * The file is in WAL mode; one process owns it (the store keeps its counters in memory), which is
 * what the embedded deployment runs.
 */
export function openSqliteEventStore(options: SqliteEventStoreOptions): SqliteEventStore {
  return new SqliteEventStore(options);
}

/**
 * The embedded event store on better-sqlite3.
 *
 * **Writes happen in a worker thread**, so the event loop keeps running while a commit waits for
 * the disk. **Group commit:** appends queue up while a commit is in flight (and within the same turn
 * of the event loop) and are sent to the writer together, as one transaction; each append is still
 * checked on its own, and a conflict or a duplicate event id fails that append only.
 *
 * **Durability.** An append resolves only after its transaction committed with `synchronous=FULL`
 * (by default), so an acknowledged event survives `kill -9` and power loss.
 *
 * **Reads** use their own connection on the main thread (WAL lets it read while the writer writes);
 * a resolved append is visible to every read started after it.
 *
 * **Duplicate event ids** are refused with {@link DuplicateEventIdError} (unique index on the id).
 */
export class SqliteEventStore implements EventStore {
  private readonly logger = new Logger(SqliteEventStore.name);
  private readonly db: Database.Database;
  private readonly writer: Worker;
  private readonly notifier = new CommitNotifier();
  private readonly defaultBatchSize: number;
  private pending: PendingAppend[] = [];
  private flushScheduled = false;
  /** The group the writer is committing, if any. */
  private inFlight: { group: number; appends: PendingAppend[] } | undefined;
  private groupsSent = 0;
  private closed = false;
  /** Set once the file was found corrupt: the store fails closed. */
  private unavailable: EventStoreUnavailableError | undefined;
  private writerError: Error | undefined;
  private readonly writerClosed: Promise<void>;
  private drained: (() => void) | undefined;
  /** The writer connection's settings, once it has started (for tests and diagnostics). */
  private writerSettings: { journalMode: string; synchronous: number } | undefined;
  private head: number;
  private streamCount: number;
  private eventCount: number;

  private readonly statements: {
    readAll: Database.Statement;
    readStream: Database.Statement;
    findCommand: Database.Statement;
  };
  /** The random id written into the file when it was created (see `EventStore.identity`). */
  private readonly storeIdentity: string;

  constructor(readonly options: SqliteEventStoreOptions) {
    if (options.filename === ':memory:' || options.filename === '') {
      throw new Error('filename: the SQLite event store needs a file (use MemoryEventStore for memory)');
    }
    this.defaultBatchSize = options.defaultBatchSize ?? 500;
    mkdirSync(dirname(options.filename), { recursive: true });
    this.db = openFile(options.filename);
    try {
      this.db.pragma('journal_mode = WAL');
      // Fail closed from the start: a damaged file is found before anything is read or acknowledged.
      const check = this.db.pragma('quick_check(5)', { simple: false }) as Array<{ quick_check: string }>;
      if (check.length !== 1 || check[0].quick_check !== 'ok') {
        throw new EventStoreUnavailableError(
          `EVENTSTORE-006 ${options.filename}: the event store file is corrupt (${check.map((row) => row.quick_check).join('; ')}); restore it from a back-up (docs/operations.md, back-ups)`,
        );
      }
      const version = this.db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new Error(
          `EVENTSTORE-001 ${options.filename}: schema version ${version} is newer than this version of Eddy (${SCHEMA_VERSION})`,
        );
      }
      this.db.transaction(() => {
        this.db.exec(SCHEMA);
        if (version === 1) this.db.exec(INDEX_EXISTING_COMMANDS);
        this.db.prepare("INSERT OR IGNORE INTO store (key, value) VALUES ('identity', ?)").run(randomUUID());
        this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })();
      this.storeIdentity = this.db
        .prepare("SELECT value FROM store WHERE key = 'identity'")
        .pluck()
        .get() as string;
      this.statements = {
        readAll: this.db
          .prepare(`SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`)
          .raw(),
        readStream: this.db
          .prepare(
            `SELECT ${COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?`,
          )
          .raw(),
        findCommand: this.db
          .prepare('SELECT stream_id, revision, position FROM commands WHERE command_id = ?')
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
      if (isSqliteFailure(error) && isStorageCorruption(error)) {
        throw new EventStoreUnavailableError(
          `EVENTSTORE-006 ${options.filename}: the event store file is corrupt (${describeSqliteFailure(error)}); restore it from a back-up (docs/operations.md, back-ups)`,
          { cause: error },
        );
      }
      if (isSqliteFailure(error)) {
        throw new EventStoreUnavailableError(
          `EVENTSTORE-005 ${options.filename}: the event store file cannot be opened: ${describeSqliteFailure(error)}`,
          { cause: error },
        );
      }
      throw error;
    }

    // esbuild (tsx) wraps named functions in a `__name` helper of the module; the source sent to the
    // thread does not carry it, so a no-op stands in.
    this.writer = new Worker(`var __name = (target) => target;\n(${writerThread.toString()})()`, {
      eval: true,
      workerData: {
        driver: require.resolve('better-sqlite3'),
        filename: options.filename,
        synchronous: options.synchronous === 'normal' ? 'NORMAL' : 'FULL',
      },
    });
    // The thread keeps the process alive only while it has work (see flush), as a file would not.
    this.writer.unref();
    this.writer.on('message', (message: WriterMessage) => this.onWriterMessage(message));
    this.writerClosed = new Promise((done) => this.writer.once('exit', () => done()));
    this.writer.on('error', (error) => this.onWriterFailure(error));
    this.writer.once('exit', (code) => {
      if (!this.closed) this.onWriterFailure(new Error(`the writer thread exited with code ${code}`));
    });
  }

  appendToStream(
    streamId: string,
    events: readonly NewEvent[],
    options?: AppendOptions,
  ): Promise<AppendResult> {
    try {
      const expected = validateAppend(streamId, events, options);
      this.assertOpen();
      if (this.writerError) throw this.writerError;
      const serialised = events.map((e): SerialisedEvent => [
        e.id,
        e.type,
        e.schemaVersion,
        JSON.stringify(e.data),
        JSON.stringify(e.metadata),
      ]);
      return new Promise<AppendResult>((resolve, reject) => {
        const commandId = options?.commandId;
        this.pending.push({ streamId, expected, events: serialised, commandId, resolve, reject });
        this.scheduleFlush();
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<StoredEvent[]> {
    validateReadStream(streamId, options);
    this.assertOpen();
    const rows = this.guarded(
      () =>
        this.statements.readStream.all(
          streamId,
          options?.fromRevision ?? 0,
          options?.maxCount ?? -1,
        ) as EventRow[],
    );
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
      options,
      this.defaultBatchSize,
    );
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    return this.head;
  }

  async findCommand(commandId: string): Promise<AcceptedCommand | undefined> {
    validateCommandId(commandId);
    this.assertOpen();
    const row = this.guarded(
      () => this.statements.findCommand.get(commandId) as [string, number, number] | undefined,
    );
    if (row === undefined) return undefined;
    return { commandId, streamId: row[0], revision: row[1], position: row[2] };
  }

  async statistics(): Promise<EventStoreStatistics> {
    this.assertOpen();
    return { headPosition: this.head, streams: this.streamCount, events: this.eventCount };
  }

  async identity(): Promise<string> {
    this.assertOpen();
    return this.storeIdentity;
  }

  /** Commits the appends already accepted, then stops the writer, closes the file and ends subscriptions. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.writerError && (this.inFlight !== undefined || this.pending.length > 0)) {
      await new Promise<void>((done) => {
        this.drained = done;
        this.flush();
      });
    }
    this.notifier.close();
    this.writer.ref();
    if (!this.writerError) this.writer.postMessage({ type: 'close' });
    else void this.writer.terminate();
    await this.writerClosed;
    this.db.close();
  }

  private readAfter(after: number, maxCount: number): StoredEvent[] {
    this.assertOpen();
    return this.guarded(() => this.statements.readAll.all(after, maxCount) as EventRow[]).map(toStoredEvent);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.inFlight !== undefined) return;
    this.flushScheduled = true;
    // Appends made in the same turn of the event loop join the group.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Sends every queued append to the writer as one group, unless a group is in flight. */
  private flush(): void {
    if (this.inFlight !== undefined) return;
    if (this.pending.length === 0) {
      this.drained?.();
      return;
    }
    const appends = this.pending;
    this.pending = [];
    this.groupsSent += 1;
    this.inFlight = { group: this.groupsSent, appends };
    this.writer.ref();
    this.writer.postMessage({
      type: 'commit',
      group: this.groupsSent,
      appends: appends.map(({ streamId, expected, events, commandId }) => ({
        streamId,
        expected,
        events,
        commandId,
      })),
    });
  }

  private onWriterMessage(message: WriterMessage): void {
    if (message.type === 'ready') {
      this.writerSettings = { journalMode: message.journalMode, synchronous: message.synchronous };
      return;
    }
    if (message.type !== 'committed') return;
    const inFlight = this.inFlight;
    if (inFlight === undefined || inFlight.group !== message.group) return;
    this.inFlight = undefined;
    for (const outcome of message.outcomes) {
      if (outcome.ok) {
        this.eventCount += outcome.count;
        if (outcome.created && outcome.count > 0) this.streamCount += 1;
      }
    }
    if (message.head > this.head) {
      this.head = message.head;
      this.notifier.notify(this.head);
    }
    inFlight.appends.forEach((append, i) => {
      const outcome = message.outcomes[i];
      if (outcome.ok) {
        append.resolve({ nextExpectedRevision: outcome.nextExpectedRevision, position: outcome.position });
        return;
      }
      switch (outcome.kind) {
        case 'conflict':
          append.reject(new WrongExpectedRevisionError(append.streamId, append.expected, outcome.actual));
          return;
        case 'duplicate':
          append.reject(new DuplicateEventIdError(append.streamId, outcome.eventId));
          return;
        case 'duplicateCommand':
          append.reject(new DuplicateCommandError(append.streamId, outcome.original));
          return;
        case 'failed':
          if (isStorageCorruption(outcome)) {
            append.reject(this.failClosed(outcome));
            return;
          }
          this.logger.error(`EVENTSTORE-003 stream ${append.streamId}: append failed: ${outcome.message}`);
          append.reject(
            new Error(`EVENTSTORE-003 stream ${append.streamId}: append failed: ${outcome.message}`),
          );
          return;
        default: {
          const unknown: never = outcome;
          throw new Error(`unknown writer outcome ${JSON.stringify(unknown)}`);
        }
      }
    });
    // Appends that queued up while this group was committed form the next group at once.
    this.flush();
    if (this.inFlight === undefined) this.writer.unref();
  }

  private onWriterFailure(error: Error): void {
    if (this.writerError) return;
    if (isStorageCorruption(error)) this.failClosed(error);
    this.writerError = new Error(
      `EVENTSTORE-004 ${this.options.filename}: the writer stopped: ${error.message}`,
    );
    this.logger.error(this.writerError.message);
    const waiting = [...(this.inFlight?.appends ?? []), ...this.pending];
    this.inFlight = undefined;
    this.pending = [];
    for (const append of waiting) append.reject(this.writerError);
    this.drained?.();
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreClosedError();
    if (this.unavailable) throw this.unavailable;
  }

  /** Runs a read; a corruption it meets makes the store fail closed. */
  private guarded<T>(read: () => T): T {
    try {
      return read();
    } catch (error) {
      if (isSqliteFailure(error) && isStorageCorruption(error)) throw this.failClosed(error);
      throw error;
    }
  }

  /**
   * The file is corrupt: from now on every append and read is refused with one error naming the
   * file (appends queued behind the failure included), and readiness, which reads the head, stays down.
   */
  private failClosed(failure: SqliteFailure): EventStoreUnavailableError {
    if (this.unavailable) return this.unavailable;
    this.unavailable = new EventStoreUnavailableError(
      `EVENTSTORE-007 ${this.options.filename}: the event store file is corrupt (${describeSqliteFailure(failure)}); appends and reads are refused until it is restored from a back-up (docs/operations.md, back-ups)`,
      { cause: failure },
    );
    this.logger.error(this.unavailable.message);
    const waiting = this.pending;
    this.pending = [];
    for (const append of waiting) append.reject(this.unavailable);
    return this.unavailable;
  }
}

function openFile(filename: string): Database.Database {
  try {
    return new Database(filename);
  } catch (error) {
    if (!isSqliteFailure(error)) throw error;
    throw new EventStoreUnavailableError(
      `EVENTSTORE-005 ${filename}: the event store file cannot be opened: ${describeSqliteFailure(error)}`,
      { cause: error },
    );
  }
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
