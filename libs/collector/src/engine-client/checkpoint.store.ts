import Database from 'better-sqlite3';
import type { Checkpoint } from '@eddy/eventstore';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where a subscriber of the event store's global log keeps the position up to which it has done its work,
 * with the identity of the store it was taken on, so that it goes on from there after a restart, and only
 * on the same store (see `checkCheckpoint` of `@eddy/eventstore`).
 */
export interface CheckpointStore {
  /** The stored checkpoint of `name`; `undefined` when none is stored. */
  load(name: string): Promise<Checkpoint | undefined>;
  /** Stores the checkpoint of `name`; once it resolves, a restart goes on from there. */
  save(name: string, checkpoint: Checkpoint): Promise<void>;
  close(): Promise<void>;
}

/** Injection token of the {@link CheckpointStore} of the engine client. */
export const CHECKPOINT_STORE = Symbol('CHECKPOINT_STORE');

/** Keeps checkpoints in memory: for tests and for a memory event store, which loses its log anyway. */
export class MemoryCheckpointStore implements CheckpointStore {
  private readonly checkpoints = new Map<string, Checkpoint>();

  async load(name: string): Promise<Checkpoint | undefined> {
    const checkpoint = this.checkpoints.get(name);
    return checkpoint === undefined ? undefined : { ...checkpoint };
  }

  async save(name: string, checkpoint: Checkpoint): Promise<void> {
    this.checkpoints.set(name, { ...checkpoint });
  }

  async close(): Promise<void> {}
}

/** Keeps checkpoints in a small SQLite file of their own (`engine-client.sqlite` in the data folder). */
export class SqliteCheckpointStore implements CheckpointStore {
  private readonly db: Database.Database;
  private readonly select: Database.Statement<[string], { position: number; store_identity: string | null }>;
  private readonly upsert: Database.Statement<[string, number, string | null]>;

  constructor(filename: string) {
    this.db = new Database(filename);
    this.db.pragma('journal_mode = WAL');
    this.db.exec('CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL)');
    const columns = this.db.pragma('table_info(checkpoints)') as Array<{ name: string }>;
    // Files written before checkpoints carried their store's identity get the column, empty.
    if (!columns.some((column) => column.name === 'store_identity')) {
      this.db.exec('ALTER TABLE checkpoints ADD COLUMN store_identity TEXT');
    }
    this.select = this.db.prepare('SELECT position, store_identity FROM checkpoints WHERE name = ?');
    this.upsert = this.db.prepare(
      'INSERT INTO checkpoints (name, position, store_identity) VALUES (?, ?, ?) ' +
        'ON CONFLICT (name) DO UPDATE SET position = excluded.position, store_identity = excluded.store_identity',
    );
  }

  /** Opens (or creates) the checkpoint file in `dataDir`. */
  static inFolder(dataDir: string): SqliteCheckpointStore {
    mkdirSync(dataDir, { recursive: true });
    return new SqliteCheckpointStore(join(dataDir, 'engine-client.sqlite'));
  }

  async load(name: string): Promise<Checkpoint | undefined> {
    const row = this.select.get(name);
    return row === undefined ? undefined : { position: row.position, storeIdentity: row.store_identity };
  }

  async save(name: string, checkpoint: Checkpoint): Promise<void> {
    this.upsert.run(name, checkpoint.position, checkpoint.storeIdentity);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
