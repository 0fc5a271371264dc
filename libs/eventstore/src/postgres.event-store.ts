import { Logger } from '@nestjs/common';
import { Client, Pool } from 'pg';
import { backoffDelay, type Backoff } from '@eddy/observability';
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
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type StoredEvent,
  type SubscribeOptions,
  WrongExpectedRevisionError,
} from './event-store.port';
import { deliverablePrefix } from './postgres.deliverable-prefix';
import {
  validateAppend,
  validateCommandId,
  validateReadAll,
  validateReadStream,
  validateSubscribe,
} from './event-store.validation';

/** Options of {@link openPostgresEventStore}. */
export interface PostgresEventStoreOptions {
  /** `postgres://user:password@host:port/database`. */
  connectionString: string;
  /** PostgreSQL schema holding the store's tables; created when missing. Default `public`. */
  schema?: string;
  /** Largest number of pooled connections used for appends and reads. Default 10. */
  poolSize?: number;
  /** Largest batch a subscription delivers when the subscriber does not choose. Default 500. */
  defaultBatchSize?: number;
}

/** SQLSTATE raised by the append function when the expected revision does not hold. */
const WRONG_EXPECTED_REVISION = 'ED001';
/** SQLSTATE raised by the append function when its command id is in the command index already. */
const DUPLICATE_COMMAND = 'ED003';
/** Key of the session lock under which an append takes its transaction id and positions. */
const ALLOCATION_LOCK = 4_711_471_147;
/** While a subscriber waits for an older transaction to finish, it looks again after this long, doubling. */
const HELD_BACK_BACKOFF: Backoff = { initialDelayMs: 2, maxDelayMs: 250 };
/** While the LISTEN connection is down, waiting subscriptions look again this often. */
const DISCONNECTED_POLL_MS = 1_000;
/**
 * Waiting subscriptions look again this often even when no notification came: the notification is
 * sent after the commit, so a writer that dies in between would otherwise leave them asleep.
 */
const SAFETY_POLL_MS = 5_000;

const EXPECTED_CODES: Record<Exclude<ExpectedRevision, number>, number> = {
  no_stream: -1,
  stream_exists: -2,
  any: -3,
};

/**
 * The schema. `position` comes from a sequence and `transaction_id` is the writer's transaction id;
 * both are taken under one short session lock, so position order and transaction id order agree.
 * That lets a reader tell, for a position missing between two visible rows, whether a running
 * transaction may still commit it (see {@link deliverablePrefix}); readers stop there until it ends.
 */
function schemaSql(schema: string): string {
  const s = `"${schema}"`;
  return `
    CREATE SCHEMA IF NOT EXISTS ${s};
    CREATE SEQUENCE IF NOT EXISTS ${s}.eddy_events_position AS bigint START 1;
    CREATE TABLE IF NOT EXISTS ${s}.eddy_events (
      position       bigint  PRIMARY KEY,
      transaction_id xid8    NOT NULL,
      event_id       text    NOT NULL,
      stream_id      text    NOT NULL,
      revision       integer NOT NULL,
      type           text    NOT NULL,
      schema_version integer NOT NULL,
      data           jsonb   NOT NULL,
      metadata       jsonb   NOT NULL,
      CONSTRAINT eddy_events_event_id_key UNIQUE (event_id),
      CONSTRAINT eddy_events_stream_revision_key UNIQUE (stream_id, revision)
    );
    CREATE TABLE IF NOT EXISTS ${s}.eddy_streams (
      stream_id text    PRIMARY KEY,
      revision  integer NOT NULL
    );
    -- The store-wide index of accepted commands; a store created before it is indexed from its events
    -- (a command id found on several streams keeps the stream it reached first).
    DO $migrate$
    BEGIN
      IF to_regclass('${s}.eddy_commands') IS NULL THEN
        CREATE TABLE ${s}.eddy_commands (
          command_id text    PRIMARY KEY,
          stream_id  text    NOT NULL,
          revision   integer NOT NULL,
          position   bigint  NOT NULL
        );
        INSERT INTO ${s}.eddy_commands (command_id, stream_id, revision, position)
          SELECT DISTINCT ON (command_id) command_id, stream_id, revision, position
          FROM (SELECT metadata->>'commandId' AS command_id, stream_id, max(revision) AS revision,
                       max(position) AS position, min(position) AS first
                FROM ${s}.eddy_events GROUP BY 1, 2) AS per_stream
          ORDER BY command_id, first;
      END IF;
    END
    $migrate$;
    -- The store's identity (see EventStore.identity), written once.
    CREATE TABLE IF NOT EXISTS ${s}.eddy_store (
      key   text PRIMARY KEY,
      value text NOT NULL
    );
    INSERT INTO ${s}.eddy_store (key, value) VALUES ('identity', gen_random_uuid()::text) ON CONFLICT DO NOTHING;
    DROP FUNCTION IF EXISTS ${s}.eddy_append(text, integer, text[], text[], integer[], text[], text[]);
    CREATE OR REPLACE FUNCTION ${s}.eddy_append(
      p_stream text, p_expected integer, p_ids text[], p_types text[], p_versions integer[],
      p_data text[], p_metadata text[], p_command text DEFAULT NULL,
      OUT next_revision integer, OUT last_position bigint)
    LANGUAGE plpgsql AS $fn$
    DECLARE
      v_count    integer := coalesce(array_length(p_ids, 1), 0);
      v_tx       xid8;
      v_first    bigint;
      v_current  integer;
      v_original text;
    BEGIN
      IF v_count = 0 THEN
        SELECT revision INTO v_current FROM ${s}.eddy_streams WHERE stream_id = p_stream;
        v_current := coalesce(v_current, -1);
      ELSE
        -- Transaction id and positions under one lock: their orders agree (see the schema comment).
        -- An id taken earlier (another write in the same transaction) would break that.
        IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
          RAISE EXCEPTION USING ERRCODE = 'ED002',
            MESSAGE = 'eddy_append must be the first write of its transaction';
        END IF;
        PERFORM pg_advisory_lock(${ALLOCATION_LOCK});
        v_tx := pg_current_xact_id();
        v_first := nextval('${s}.eddy_events_position');
        IF v_count > 1 THEN
          PERFORM setval('${s}.eddy_events_position', v_first + v_count - 1);
        END IF;
        PERFORM pg_advisory_unlock(${ALLOCATION_LOCK});

        SELECT revision INTO v_current FROM ${s}.eddy_streams WHERE stream_id = p_stream FOR UPDATE;
        IF NOT FOUND THEN
          INSERT INTO ${s}.eddy_streams (stream_id, revision) VALUES (p_stream, -1) ON CONFLICT DO NOTHING;
          IF FOUND THEN
            v_current := -1;
          ELSE
            -- Created by a concurrent writer that has committed meanwhile.
            SELECT revision INTO v_current FROM ${s}.eddy_streams WHERE stream_id = p_stream FOR UPDATE;
          END IF;
        END IF;
      END IF;

      IF NOT (p_expected = -3
              OR (p_expected = -1 AND v_current = -1)
              OR (p_expected = -2 AND v_current >= 0)
              OR p_expected = v_current) THEN
        RAISE EXCEPTION USING ERRCODE = '${WRONG_EXPECTED_REVISION}',
          MESSAGE = format('stream %s: wrong expected revision', p_stream), DETAIL = v_current::text;
      END IF;

      IF v_count = 0 THEN
        next_revision := v_current;
        last_position := 0;
        RETURN;
      END IF;

      IF p_command IS NOT NULL THEN
        -- Waits for a concurrent append of the same command; conflicts once that one committed.
        INSERT INTO ${s}.eddy_commands (command_id, stream_id, revision, position)
          VALUES (p_command, p_stream, v_current + v_count, v_first + v_count - 1) ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
          SELECT json_build_object('streamId', stream_id, 'revision', revision, 'position', position)::text
            INTO v_original FROM ${s}.eddy_commands WHERE command_id = p_command;
          RAISE EXCEPTION USING ERRCODE = '${DUPLICATE_COMMAND}',
            MESSAGE = format('command %s: accepted before', p_command), DETAIL = v_original;
        END IF;
      END IF;

      UPDATE ${s}.eddy_streams SET revision = v_current + v_count WHERE stream_id = p_stream;
      INSERT INTO ${s}.eddy_events
          (position, transaction_id, event_id, stream_id, revision, type, schema_version, data, metadata)
        SELECT v_first + u.o - 1, v_tx, u.id, p_stream, v_current + u.o, u.type, u.version, u.data::jsonb, u.metadata::jsonb
        FROM unnest(p_ids, p_types, p_versions, p_data, p_metadata) WITH ORDINALITY
          AS u(id, type, version, data, metadata, o);
      next_revision := v_current + v_count;
      last_position := v_first + v_count - 1;
    END
    $fn$;
  `;
}

function channelName(schema: string): string {
  return `eddy_events.${schema}`;
}

interface EventRow {
  position: string;
  tx: string;
  previous_tx: string | null;
  running: string[] | null;
  event_id: string;
  stream_id: string;
  revision: number;
  type: string;
  schema_version: number;
  data: Record<string, unknown>;
  metadata: StoredEvent['metadata'];
}

/**
 * Opens the PostgreSQL event store: connects, creates the schema when missing (idempotent, safe
 * when several instances start at once) and starts listening for commits.
 */
export async function openPostgresEventStore(
  options: PostgresEventStoreOptions,
): Promise<PostgresEventStore> {
  const store = new PostgresEventStore(options);
  try {
    await store.start();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

/**
 * The event store on PostgreSQL (13 or later; run against 15).
 *
 * Each append is one call of the `eddy_append` function, in its own transaction: allocation, stream
 * row lock, revision check and inserts, so concurrent writers to distinct streams only share a
 * microsecond-long allocation lock and PostgreSQL's own group commit. The NOTIFY for other
 * instances follows the commit (see {@link announce}).
 *
 * Readers (`readAll`, `headPosition`, subscriptions) see a gap-free prefix of the log: they stop
 * before a missing position that a running append may still commit, until that append ends (see
 * {@link deliverablePrefix}). Positions may have holes (a failed append leaves its positions unused);
 * readers pass them once no transaction that may hold them runs. `readStream` reads committed
 * events directly.
 *
 * Live subscriptions wake on LISTEN/NOTIFY (and at once for appends made through this instance);
 * they look again on a short, growing timer only while an older transaction holds events back.
 *
 * **Duplicate event ids** are refused with {@link DuplicateEventIdError} (unique constraint).
 */
export class PostgresEventStore implements EventStore {
  private readonly logger = new Logger(PostgresEventStore.name);
  private readonly pool: Pool;
  private readonly schema: string;
  private readonly table: string;
  private readonly notifier = new CommitNotifier();
  private readonly defaultBatchSize: number;
  private listener: Client | undefined;
  private listening = false;
  private announcing = false;
  private announceUpTo = 0;
  private announced = 0;
  private closed = false;

  constructor(readonly options: PostgresEventStoreOptions) {
    const schema = options.schema ?? 'public';
    if (!/^[a-z_][a-z0-9_]{0,47}$/.test(schema)) {
      throw new Error(`schema: must be a lower-case SQL identifier of at most 48 characters, got ${schema}`);
    }
    this.schema = schema;
    this.table = `"${schema}".eddy_events`;
    this.defaultBatchSize = options.defaultBatchSize ?? 500;
    this.pool = new Pool({ connectionString: options.connectionString, max: options.poolSize ?? 10 });
    this.pool.on('error', (error) =>
      this.logger.warn(`EVENTSTORE-010 schema ${schema}: idle connection failed: ${error.message}`),
    );
  }

  /** Creates the schema and starts listening; called by {@link openPostgresEventStore}. */
  async start(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Serialises concurrent start-ups: CREATE ... IF NOT EXISTS alone races on the catalog.
      await client.query('SELECT pg_advisory_xact_lock(4711471148)');
      await client.query(schemaSql(this.schema));
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    this.notifier.notify(await this.headPosition());
    await this.listen();
  }

  async appendToStream(
    streamId: string,
    events: readonly NewEvent[],
    options?: AppendOptions,
  ): Promise<AppendResult> {
    const expected = validateAppend(streamId, events, options);
    this.assertOpen();
    // Serialised before the first await, so that later changes by the caller do not leak in.
    const values = [
      streamId,
      typeof expected === 'number' ? expected : EXPECTED_CODES[expected],
      events.map((e) => e.id),
      events.map((e) => e.type),
      events.map((e) => e.schemaVersion),
      events.map((e) => JSON.stringify(e.data)),
      events.map((e) => JSON.stringify(e.metadata)),
      options?.commandId ?? null,
    ];
    const client = await this.pool.connect();
    let broken = false;
    try {
      const { rows } = await client.query<{ next_revision: number; last_position: string }>({
        name: `eddy_append_${this.schema}`,
        text: `SELECT next_revision, last_position FROM "${this.schema}".eddy_append($1, $2, $3, $4, $5, $6, $7, $8)`,
        values,
      });
      if (events.length === 0) {
        return { nextExpectedRevision: rows[0].next_revision, position: await this.headPosition() };
      }
      const result = { nextExpectedRevision: rows[0].next_revision, position: Number(rows[0].last_position) };
      this.notifier.notify(result.position);
      this.announce(result.position);
      return result;
    } catch (error) {
      const pgError = error as { code?: string; constraint?: string; detail?: string };
      if (pgError.code === WRONG_EXPECTED_REVISION) {
        throw new WrongExpectedRevisionError(streamId, expected, Number(pgError.detail));
      }
      if (pgError.code === DUPLICATE_COMMAND) {
        const original = JSON.parse(pgError.detail ?? '{}') as Omit<AcceptedCommand, 'commandId'>;
        throw new DuplicateCommandError(streamId, { commandId: options!.commandId!, ...original });
      }
      if (pgError.code === '23505' && pgError.constraint === 'eddy_events_event_id_key') {
        throw new DuplicateEventIdError(streamId, /=\((.*)\)/.exec(pgError.detail ?? '')?.[1]);
      }
      // The connection may hold the allocation lock after an unexpected failure: drop it.
      broken = true;
      this.logger.error(`EVENTSTORE-012 stream ${streamId}: append failed: ${String(error)}`);
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<StoredEvent[]> {
    validateReadStream(streamId, options);
    this.assertOpen();
    const { rows } = await this.pool.query<EventRow>({
      name: `eddy_read_stream_${this.schema}`,
      text: `SELECT position, event_id, stream_id, revision, type, schema_version, data, metadata
             FROM ${this.table} WHERE stream_id = $1 AND revision >= $2 ORDER BY revision LIMIT $3`,
      values: [streamId, options?.fromRevision ?? 0, options?.maxCount ?? null],
    });
    return rows.map(toStoredEvent);
  }

  async readAll(options?: ReadAllOptions): Promise<StoredEvent[]> {
    validateReadAll(options);
    return this.readAfter(options?.after ?? 0, options?.maxCount ?? null);
  }

  subscribeToAll(options?: SubscribeOptions): AsyncIterable<readonly StoredEvent[]> {
    validateSubscribe(options);
    this.assertOpen();
    let heldBackWaits = 0;
    let lastWaitAfter = -1;
    return catchUpSubscription(
      {
        readAfter: (after, max) => this.readAfter(after, max),
        waitForEvents: (after, signal) => {
          if (after !== lastWaitAfter) heldBackWaits = 0;
          lastWaitAfter = after;
          if (this.notifier.latest > after) {
            // Committed events exist beyond what is readable: an older transaction still runs.
            // Its commit may bring no notification (it may have written nothing), so look again soon.
            return this.notifier.waitBeyond(
              this.notifier.latest,
              signal,
              backoffDelay(HELD_BACK_BACKOFF, ++heldBackWaits),
            );
          }
          return this.notifier.waitBeyond(
            after,
            signal,
            this.listening ? SAFETY_POLL_MS : DISCONNECTED_POLL_MS,
          );
        },
        isClosed: () => this.closed,
      },
      options,
      this.defaultBatchSize,
    );
  }

  /**
   * The last position readers can reach: all rows whose transaction is older than every running one
   * are safe; from there, the rows read as {@link readAfter} would deliver them.
   */
  async headPosition(): Promise<number> {
    this.assertOpen();
    const { rows } = await this.pool.query<{ position: string | null }>(
      `SELECT max(position) AS position FROM ${this.table}
       WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())`,
    );
    let head = Number(rows[0].position ?? 0);
    const page = 1000;
    for (;;) {
      const { events, complete } = await this.readPage(head, page, false);
      if (events.length > 0) head = events[events.length - 1].position;
      if (!complete || events.length < page) return head;
    }
  }

  async findCommand(commandId: string): Promise<AcceptedCommand | undefined> {
    validateCommandId(commandId);
    this.assertOpen();
    const { rows } = await this.pool.query<{ stream_id: string; revision: number; position: string }>({
      name: `eddy_find_command_${this.schema}`,
      text: `SELECT stream_id, revision, position FROM "${this.schema}".eddy_commands WHERE command_id = $1`,
      values: [commandId],
    });
    if (rows.length === 0) return undefined;
    return {
      commandId,
      streamId: rows[0].stream_id,
      revision: rows[0].revision,
      position: Number(rows[0].position),
    };
  }

  async statistics(): Promise<EventStoreStatistics> {
    this.assertOpen();
    const { rows } = await this.pool.query<{ streams: string; events: string }>(
      `SELECT (SELECT count(*) FROM "${this.schema}".eddy_streams) AS streams,
              (SELECT count(*) FROM ${this.table}) AS events`,
    );
    return {
      headPosition: await this.headPosition(),
      streams: Number(rows[0].streams),
      events: Number(rows[0].events),
    };
  }

  async identity(): Promise<string> {
    this.assertOpen();
    const { rows } = await this.pool.query<{ value: string }>(
      `SELECT value FROM "${this.schema}".eddy_store WHERE key = 'identity'`,
    );
    return rows[0].value;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.notifier.close();
    const listener = this.listener;
    this.listener = undefined;
    this.listening = false;
    await listener?.end().catch(() => undefined);
    await this.pool.end();
  }

  private async readAfter(after: number, maxCount: number | null): Promise<StoredEvent[]> {
    return (await this.readPage(after, maxCount, true)).events;
  }

  /**
   * Reads visible rows after `after` and keeps the prefix that never passes a position a running
   * transaction may still commit; `complete` is false when it stopped at such a position. The rows,
   * the previous row's transaction id and the running transactions come from one statement, hence
   * one snapshot. Without `withData`, only positions are read (for the head position).
   */
  private async readPage(
    after: number,
    maxCount: number | null,
    withData: boolean,
  ): Promise<{ events: StoredEvent[]; complete: boolean }> {
    this.assertOpen();
    const columns = withData
      ? 'position, transaction_id::text AS tx, event_id, stream_id, revision, type, schema_version, data, metadata'
      : 'position, transaction_id::text AS tx';
    const { rows } = await this.pool.query<EventRow>({
      name: `eddy_read_${withData ? 'all' : 'positions'}_${this.schema}`,
      text: `WITH page AS (
               SELECT ${columns} FROM ${this.table} WHERE position > $1 ORDER BY position LIMIT $2
             )
             SELECT page.*,
               (SELECT transaction_id::text FROM ${this.table} WHERE position <= $1
                ORDER BY position DESC LIMIT 1) AS previous_tx,
               (SELECT array_agg(x::text) FROM pg_snapshot_xip(pg_current_snapshot()) AS x) AS running
             FROM page ORDER BY position`,
      values: [after, maxCount],
    });
    if (rows.length === 0) return { events: [], complete: true };
    const deliverable = deliverablePrefix(
      rows.map((row) => ({ position: Number(row.position), transactionId: BigInt(row.tx) })),
      after,
      rows[0].previous_tx === null ? undefined : BigInt(rows[0].previous_tx),
      (rows[0].running ?? []).map((id) => BigInt(id)),
    );
    const kept = rows.slice(0, deliverable);
    return {
      events: withData
        ? kept.map(toStoredEvent)
        : kept.map((row) => ({ position: Number(row.position) }) as StoredEvent),
      complete: deliverable === rows.length,
    };
  }

  /**
   * Tells other instances about a commit with NOTIFY on the LISTEN connection, after the commit and
   * outside the append's transaction: a NOTIFY inside it would serialise every append's commit on
   * PostgreSQL's notification queue lock. Announcements made while one is in flight are coalesced
   * into one carrying the highest position; the connection does not wait for the WAL flush, as a
   * lost notification only delays a wake-up (see SAFETY_POLL_MS).
   */
  private announce(position: number): void {
    this.announceUpTo = Math.max(this.announceUpTo, position);
    if (this.announcing || this.listener === undefined) return;
    this.announcing = true;
    void (async () => {
      try {
        while (this.announceUpTo > this.announced && this.listener !== undefined && !this.closed) {
          const upTo = this.announceUpTo;
          await this.listener.query('SELECT pg_notify($1, $2)', [channelName(this.schema), String(upTo)]);
          this.announced = upTo;
        }
      } catch (error) {
        if (!this.closed) {
          this.logger.warn(`EVENTSTORE-013 schema ${this.schema}: notification failed: ${String(error)}`);
        }
      } finally {
        this.announcing = false;
      }
    })();
  }

  /** Opens the LISTEN connection; on failure, reconnects until the store closes. */
  private async listen(): Promise<void> {
    const client = new Client({ connectionString: this.options.connectionString });
    client.on('notification', (message) => {
      const position = Number(message.payload);
      if (Number.isFinite(position)) this.notifier.notify(position);
    });
    client.on('error', (error) => {
      if (this.listener !== client) return;
      this.logger.warn(`EVENTSTORE-011 schema ${this.schema}: LISTEN connection lost: ${error.message}`);
      this.listener = undefined;
      this.listening = false;
      this.notifier.wakeAll();
      void client.end().catch(() => undefined);
      setTimeout(() => void this.reconnect(), DISCONNECTED_POLL_MS).unref();
    });
    await client.connect();
    await client.query('SET synchronous_commit = off');
    await client.query(`LISTEN "${channelName(this.schema)}"`);
    if (this.closed) {
      await client.end();
      return;
    }
    this.listener = client;
    this.listening = true;
    // Commits made while nobody listened: let every subscription look.
    this.notifier.wakeAll();
  }

  private async reconnect(): Promise<void> {
    if (this.closed) return;
    try {
      await this.listen();
    } catch (error) {
      this.logger.warn(`EVENTSTORE-011 schema ${this.schema}: LISTEN reconnect failed: ${String(error)}`);
      setTimeout(() => void this.reconnect(), DISCONNECTED_POLL_MS).unref();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreClosedError();
  }
}

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    position: Number(row.position),
    id: row.event_id,
    streamId: row.stream_id,
    revision: row.revision,
    type: row.type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: row.metadata,
  };
}
