import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type DeployedProcessDefinition, type EngineTransaction } from '../engine.port';

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
  waiters: { resolve: () => void; reject: (error: unknown) => void }[];
}

/** Durability of a commit: `full` survives a power loss, `normal` survives a crash of the process. */
export type EngineDurability = 'full' | 'normal';

/**
 * The embedded engine's SQLite file: deployments, the state of running instances, and the outbox of
 * transactions not yet acknowledged.
 *
 * Writes are group-committed: every step adds its instance state and its transaction to the current batch,
 * and one SQLite transaction (one fsync) writes the whole batch on the next turn of the event loop. A step
 * is durable, and its transaction deliverable, only once its batch is written.
 */
export class EmbeddedEngineStore {
  private readonly db: Database.Database;
  private batch: Batch | null = null;
  private readonly statements;

  /** `dataDir` null keeps everything in memory. */
  constructor(dataDir: string | null, durability: EngineDurability = 'full') {
    if (dataDir === null) {
      this.db = new Database(':memory:');
    } else {
      mkdirSync(dataDir, { recursive: true });
      this.db = new Database(join(dataDir, 'engine.sqlite'));
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
    `);
    this.statements = {
      insertDefinition: this.db.prepare(
        'INSERT INTO process_definitions (id, key, version, hash, xml, definition) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      upsertInstance: this.db.prepare(
        `INSERT INTO instances (id, meta, engine_state) VALUES (?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET meta = excluded.meta, engine_state = excluded.engine_state`,
      ),
      updateMeta: this.db.prepare('UPDATE instances SET meta = ? WHERE id = ?'),
      deleteInstance: this.db.prepare('DELETE FROM instances WHERE id = ?'),
      engineState: this.db.prepare('SELECT engine_state FROM instances WHERE id = ?').pluck(),
      insertOutbox: this.db.prepare('INSERT INTO outbox (tx) VALUES (?)'),
      deleteOutbox: this.db.prepare('DELETE FROM outbox WHERE seq = ?'),
    };
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
   * Adds one step's writes to the current batch. Resolves with the outbox entry of `tx` (if any) once the
   * batch is written.
   */
  commitStep(
    instanceId: string,
    write: InstanceWrite | 'delete',
    tx: EngineTransaction | null,
  ): Promise<OutboxEntry | undefined> {
    const batch = this.currentBatch();
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

  /** Writes the pending batch now. */
  flush(): void {
    const batch = this.batch;
    if (!batch) return;
    this.batch = null;
    try {
      this.db.transaction(() => {
        const s = this.statements;
        for (const id of batch.deletes) s.deleteInstance.run(id);
        for (const [id, w] of batch.instances) {
          if (w.engineState === undefined) s.updateMeta.run(w.meta, id);
          else s.upsertInstance.run(id, w.meta, w.engineState);
        }
        for (const slot of batch.outbox) {
          const info = s.insertOutbox.run(JSON.stringify(slot.tx));
          slot.entry = { seq: Number(info.lastInsertRowid), tx: slot.tx };
        }
        for (const seq of batch.acks) s.deleteOutbox.run(seq);
      })();
    } catch (error) {
      for (const w of batch.waiters) w.reject(error);
      return;
    }
    for (const w of batch.waiters) w.resolve();
  }

  close(): void {
    this.flush();
    this.db.close();
  }

  private currentBatch(): Batch {
    if (!this.batch) {
      this.batch = { instances: new Map(), deletes: new Set(), outbox: [], acks: [], waiters: [] };
      setImmediate(() => this.flush());
    }
    return this.batch;
  }
}
