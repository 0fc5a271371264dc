import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where a subscriber of the event store's global log keeps the position up to which it has done its work,
 * so that it goes on from there after a restart.
 */
export interface CheckpointStore {
  /** The stored position of `name`; 0 (before the first event) when none is stored. */
  load(name: string): Promise<number>;
  /** Stores the position of `name`; once it resolves, a restart goes on from there. */
  save(name: string, position: number): Promise<void>;
  close(): Promise<void>;
}

/** Injection token of the {@link CheckpointStore} of the engine client. */
export const CHECKPOINT_STORE = Symbol('CHECKPOINT_STORE');

/** Keeps checkpoints in memory: for tests and for a memory event store, which loses its log anyway. */
export class MemoryCheckpointStore implements CheckpointStore {
  private readonly positions = new Map<string, number>();

  async load(name: string): Promise<number> {
    return this.positions.get(name) ?? 0;
  }

  async save(name: string, position: number): Promise<void> {
    this.positions.set(name, position);
  }

  async close(): Promise<void> {}
}

/** Keeps checkpoints in a small SQLite file of their own (`engine-client.sqlite` in the data folder). */
export class SqliteCheckpointStore implements CheckpointStore {
  private readonly db: Database.Database;
  private readonly select: Database.Statement<[string], { position: number }>;
  private readonly upsert: Database.Statement<[string, number]>;

  constructor(filename: string) {
    this.db = new Database(filename);
    this.db.pragma('journal_mode = WAL');
    this.db.exec('CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL)');
    this.select = this.db.prepare('SELECT position FROM checkpoints WHERE name = ?');
    this.upsert = this.db.prepare(
      'INSERT INTO checkpoints (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position',
    );
  }

  /** Opens (or creates) the checkpoint file in `dataDir`. */
  static inFolder(dataDir: string): SqliteCheckpointStore {
    mkdirSync(dataDir, { recursive: true });
    return new SqliteCheckpointStore(join(dataDir, 'engine-client.sqlite'));
  }

  async load(name: string): Promise<number> {
    return this.select.get(name)?.position ?? 0;
  }

  async save(name: string, position: number): Promise<void> {
    this.upsert.run(name, position);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
