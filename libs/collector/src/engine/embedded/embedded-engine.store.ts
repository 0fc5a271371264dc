import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type DeployedProcessDefinition, type EngineTransaction, type Variables } from '../engine.port';
import {
  inlineBatchWriter,
  threadBatchWriter,
  type BatchWriter,
  type SerialisedBatch,
} from './embedded-engine.store-writer';

/** A stored process definition version with the XML it was deployed from. */
export interface StoredDefinition {
  definition: DeployedProcessDefinition;
  hash: string;
  xml: string;
}

/** A transaction waiting in the outbox; `seq` orders the outbox. */
export interface OutboxEntry {
  seq: number;
  tx: EngineTransaction;
}

/** A message that found no waiting instance, kept until `expiresAt` (epoch ms) for one that starts waiting. */
export interface BufferedMessage {
  id: string;
  name: string;
  correlationKey: string;
  variables: Variables;
  messageId: string | null;
  expiresAt: number;
}

/** A start made for a request id: a start repeated with that id (until `expiresAt`, epoch ms) answers with it. */
export interface StartRequestRecord {
  requestId: string;
  instanceId: string;
  definitionId: string;
  expiresAt: number;
}

/** Pending writes of one instance: its metadata, and its engine state when the engine moved. */
interface InstanceWrite {
  meta: string;
  engineState: string | undefined;
}

interface Batch {
  instances: Map<string, InstanceWrite>;
  deletes: Set<string>;
  outbox: { tx: EngineTransaction; entry?: OutboxEntry }[];
  acks: number[];
  bufferedMessages: BufferedMessage[];
  consumedMessages: string[];
  messageIds: { messageId: string; expiresAt: number }[];
  startRequests: StartRequestRecord[];
  waiters: { resolve: () => void; reject: (error: unknown) => void }[];
}

/** Durability of a commit: `full` survives a power loss, `normal` survives a crash of the process. */
export type EngineDurability = 'full' | 'normal';

/**
 * The embedded engine's SQLite file: deployments, the state of running instances, the outbox of
 * transactions not yet acknowledged, and the messages buffered for their time to live.
 *
 * Writes are group-committed: every step adds its instance state and its transaction to the current batch,
 * and one SQLite transaction (one fsync) writes the whole batch on the next turn of the event loop, or, while
 * a batch is being written, as soon as that one is. A file is written on a thread of its own
 * (embedded-engine.store-writer.ts), so that steps go on while a commit waits for the disk; reads and
 * deployments use this thread's connection. A step is durable, and its transaction deliverable, only once
 * its batch is written.
 */
export class EmbeddedEngineStore {
  private readonly db: Database.Database;
  private readonly writer: BatchWriter;
  private batch: Batch | null = null;
  /** The batch being written, if any; the next one waits for it. */
  private writing: Promise<void> | null = null;
  private readonly statements;

  /** `dataDir` null keeps everything in memory. */
  constructor(dataDir: string | null, durability: EngineDurability = 'full') {
    if (dataDir === null) {
      this.db = new Database(':memory:');
    } else {
      mkdirSync(dataDir, { recursive: true });
      // A deployment waits for a commit of the writer thread in progress.
      this.db = new Database(join(dataDir, 'engine.sqlite'), { timeout: 10_000 });
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS process_definitions (
        id TEXT PRIMARY KEY,
        key TEXT NOT NULL,
        version INTEGER NOT NULL,
        hash TEXT NOT NULL,
        xml TEXT NOT NULL,
        definition TEXT NOT NULL,
        UNIQUE (key, version)
      );
      CREATE TABLE IF NOT EXISTS instances (
        id TEXT PRIMARY KEY,
        meta TEXT NOT NULL,
        engine_state TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        tx TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS buffered_messages (
        id TEXT PRIMARY KEY,
        message TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS message_ids (
        message_id TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS start_requests (
        request_id TEXT PRIMARY KEY,
        instance_id TEXT NOT NULL,
        definition_id TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );
    `);
    this.statements = {
      insertDefinition: this.db.prepare(
        'INSERT INTO process_definitions (id, key, version, hash, xml, definition) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      engineState: this.db.prepare('SELECT engine_state FROM instances WHERE id = ?').pluck(),
      startRequest: this.db.prepare<
        [string],
        { instance_id: string; definition_id: string; expires_at: number }
      >('SELECT instance_id, definition_id, expires_at FROM start_requests WHERE request_id = ?'),
    };
    this.writer =
      dataDir === null
        ? inlineBatchWriter(this.db)
        : threadBatchWriter(join(dataDir, 'engine.sqlite'), durability === 'full' ? 'FULL' : 'NORMAL');
  }

  loadDefinitions(): StoredDefinition[] {
    const rows = this.db
      .prepare('SELECT hash, xml, definition FROM process_definitions ORDER BY key, version')
      .all() as { hash: string; xml: string; definition: string }[];
    return rows.map((r) => ({ hash: r.hash, xml: r.xml, definition: JSON.parse(r.definition) }));
  }

  insertDefinitions(definitions: StoredDefinition[]): void {
    this.db.transaction(() => {
      for (const { definition: d, hash, xml } of definitions) {
        this.statements.insertDefinition.run(d.id, d.key, d.version, hash, xml, JSON.stringify(d));
      }
    })();
  }

  /** The metadata of every stored instance (without engine states, read one at a time when needed). */
  loadInstanceMetas(): { id: string; meta: string }[] {
    return this.db.prepare('SELECT id, meta FROM instances').all() as { id: string; meta: string }[];
  }

  loadEngineState(instanceId: string): string | undefined {
    return this.statements.engineState.get(instanceId) as string | undefined;
  }

  loadOutbox(): OutboxEntry[] {
    const rows = this.db.prepare('SELECT seq, tx FROM outbox ORDER BY seq').all() as {
      seq: number;
      tx: string;
    }[];
    return rows.map((r) => ({ seq: r.seq, tx: JSON.parse(r.tx) }));
  }

  /**
   * The buffered messages and remembered message ids that have not expired at `now` (epoch ms); the
   * expired ones are deleted.
   */
  loadMessages(now: number): { messages: BufferedMessage[]; messageIds: Map<string, number> } {
    this.db.prepare('DELETE FROM buffered_messages WHERE expires_at <= ?').run(now);
    this.db.prepare('DELETE FROM message_ids WHERE expires_at <= ?').run(now);
    const messages = (
      this.db.prepare('SELECT message FROM buffered_messages ORDER BY rowid').pluck().all() as string[]
    ).map((m) => JSON.parse(m) as BufferedMessage);
    const rows = this.db.prepare('SELECT message_id, expires_at FROM message_ids').all() as {
      message_id: string;
      expires_at: number;
    }[];
    return { messages, messageIds: new Map(rows.map((r) => [r.message_id, r.expires_at])) };
  }

  /** Deletes the starts of request ids whose time has passed at `now` (epoch ms; when the engine opens). */
  pruneStartRequests(now: number): void {
    this.db.prepare('DELETE FROM start_requests WHERE expires_at <= ?').run(now);
  }

  /** The start made for `requestId`, if it is written and has not expired at `now` (epoch ms). */
  findStartRequest(requestId: string, now: number): StartRequestRecord | null {
    const row = this.statements.startRequest.get(requestId);
    if (!row || row.expires_at <= now) return null;
    return {
      requestId,
      instanceId: row.instance_id,
      definitionId: row.definition_id,
      expiresAt: row.expires_at,
    };
  }

  /**
   * Buffers a message and remembers its id (if any) with the next batch; resolves once it is written.
   * `message` null only remembers the id.
   */
  storeMessage(
    message: BufferedMessage | null,
    messageId: { messageId: string; expiresAt: number } | null,
  ): Promise<void> {
    const batch = this.currentBatch();
    if (message) batch.bufferedMessages.push(message);
    if (messageId) batch.messageIds.push(messageId);
    return new Promise((resolve, reject) => batch.waiters.push({ resolve, reject }));
  }

  /**
   * Adds one step's writes to the current batch, with the buffered messages it consumed and the start request
   * it answers (a new instance's first step). Resolves with the outbox entry of `tx` (if any) once the batch
   * is written.
   */
  commitStep(
    instanceId: string,
    write: InstanceWrite | 'delete',
    tx: EngineTransaction | null,
    consumedMessages: readonly string[] = [],
    startRequest: StartRequestRecord | null = null,
  ): Promise<OutboxEntry | undefined> {
    const batch = this.currentBatch();
    batch.consumedMessages.push(...consumedMessages);
    if (startRequest) batch.startRequests.push(startRequest);
    if (write === 'delete') {
      batch.instances.delete(instanceId);
      batch.deletes.add(instanceId);
    } else {
      const previous = batch.instances.get(instanceId);
      batch.deletes.delete(instanceId);
      batch.instances.set(instanceId, {
        meta: write.meta,
        engineState: write.engineState ?? previous?.engineState,
      });
    }
    const slot: Batch['outbox'][number] | undefined = tx ? { tx } : undefined;
    if (slot) batch.outbox.push(slot);
    return new Promise((resolve, reject) => {
      batch.waiters.push({ resolve: () => resolve(slot?.entry), reject });
    });
  }

  /** Removes an acknowledged transaction from the outbox (with the next batch). */
  acknowledge(seq: number): void {
    this.currentBatch().acks.push(seq);
  }

  /** Writes the pending batch now, or as soon as the batch being written is. */
  flush(): void {
    if (this.writing || !this.batch) return;
    const batch = this.batch;
    this.batch = null;
    this.writing = this.writer
      .write(serialise(batch))
      .then(
        (seqs) => {
          batch.outbox.forEach((slot, i) => (slot.entry = { seq: seqs[i], tx: slot.tx }));
          for (const w of batch.waiters) w.resolve();
        },
        (error: unknown) => {
          for (const w of batch.waiters) w.reject(error);
        },
      )
      .finally(() => {
        this.writing = null;
        this.flush();
      });
  }

  /** Writes what is pending, then closes the file. */
  async close(): Promise<void> {
    this.flush();
    while (this.writing) await this.writing;
    await this.writer.close();
    this.db.close();
  }

  private currentBatch(): Batch {
    if (!this.batch) {
      this.batch = {
        instances: new Map(),
        deletes: new Set(),
        outbox: [],
        acks: [],
        bufferedMessages: [],
        consumedMessages: [],
        messageIds: [],
        startRequests: [],
        waiters: [],
      };
      setImmediate(() => this.flush());
    }
    return this.batch;
  }
}

function serialise(batch: Batch): SerialisedBatch {
  return {
    deletes: [...batch.deletes],
    instances: [...batch.instances].map(([id, w]) => [id, w.meta, w.engineState ?? null]),
    outbox: batch.outbox.map((slot) => JSON.stringify(slot.tx)),
    acks: batch.acks,
    bufferedMessages: batch.bufferedMessages.map((m) => [m.id, JSON.stringify(m), m.expiresAt]),
    consumedMessages: batch.consumedMessages,
    messageIds: batch.messageIds.map((m) => [m.messageId, m.expiresAt]),
    startRequests: batch.startRequests.map((r) => [r.requestId, r.instanceId, r.definitionId, r.expiresAt]),
  };
}
