import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineTask } from '../engine.port';

/**
 * The open tasks the Camunda 8 adapter has reported to Eddy (created and not yet reported ended), as last
 * reported. A task is written here only after the collector accepted its transaction, so this is what the task
 * pool holds of this engine; the re-sync compares it with Camunda's open user tasks.
 */
export interface ReportedTasksStore {
  get(taskId: string): EngineTask | undefined;
  all(): EngineTask[];
  put(task: EngineTask): void;
  remove(taskId: string): void;
  close(): void;
}

/** In memory: for tests, and for a memory event store, which forgets its tasks anyway. */
export class MemoryReportedTasksStore implements ReportedTasksStore {
  private readonly tasks = new Map<string, EngineTask>();

  get(taskId: string): EngineTask | undefined {
    return this.tasks.get(taskId);
  }

  all(): EngineTask[] {
    return [...this.tasks.values()];
  }

  put(task: EngineTask): void {
    this.tasks.set(task.id, task);
  }

  remove(taskId: string): void {
    this.tasks.delete(taskId);
  }

  close(): void {}
}

/** In `camunda8.sqlite` in the data folder, so that a restart knows what it reported before. */
export class SqliteReportedTasksStore implements ReportedTasksStore {
  private readonly db: Database.Database;
  private readonly selectOne: Database.Statement<[string], { task: string }>;
  private readonly selectAll: Database.Statement<[], { task: string }>;
  private readonly upsert: Database.Statement<[string, string]>;
  private readonly delete: Database.Statement<[string]>;

  constructor(filename: string) {
    this.db = new Database(filename);
    this.db.pragma('journal_mode = WAL');
    this.db.exec('CREATE TABLE IF NOT EXISTS reported_tasks (id TEXT PRIMARY KEY, task TEXT NOT NULL)');
    this.selectOne = this.db.prepare('SELECT task FROM reported_tasks WHERE id = ?');
    this.selectAll = this.db.prepare('SELECT task FROM reported_tasks ORDER BY id');
    this.upsert = this.db.prepare(
      'INSERT INTO reported_tasks (id, task) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET task = excluded.task',
    );
    this.delete = this.db.prepare('DELETE FROM reported_tasks WHERE id = ?');
  }

  /** Opens (or creates) `camunda8.sqlite` in `dataDir`. */
  static inFolder(dataDir: string): SqliteReportedTasksStore {
    mkdirSync(dataDir, { recursive: true });
    return new SqliteReportedTasksStore(join(dataDir, 'camunda8.sqlite'));
  }

  get(taskId: string): EngineTask | undefined {
    const row = this.selectOne.get(taskId);
    return row ? (JSON.parse(row.task) as EngineTask) : undefined;
  }

  all(): EngineTask[] {
    return this.selectAll.all().map((row) => JSON.parse(row.task) as EngineTask);
  }

  put(task: EngineTask): void {
    this.upsert.run(task.id, JSON.stringify(task));
  }

  remove(taskId: string): void {
    this.delete.run(taskId);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
