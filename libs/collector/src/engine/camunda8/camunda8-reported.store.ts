import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineTask } from '../engine.port';

/**
 * What the Camunda 8 adapter has reported to Eddy: the open tasks (created and not yet reported ended), as
 * last reported, and the running instances whose start was reported. Written only after the collector
 * accepted the transaction, so this is what the task pool holds of this engine; the re-sync compares the
 * tasks with Camunda's open user tasks.
 */
export interface ReportedStore {
  get(taskId: string): EngineTask | undefined;
  all(): EngineTask[];
  put(task: EngineTask): void;
  remove(taskId: string): void;
  hasInstance(instanceId: string): boolean;
  putInstance(instanceId: string): void;
  removeInstance(instanceId: string): void;
  close(): void;
}

/** In memory: for tests, and for a memory event store, which forgets its tasks anyway. */
export class MemoryReportedStore implements ReportedStore {
  private readonly tasks = new Map<string, EngineTask>();
  private readonly instances = new Set<string>();

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

  hasInstance(instanceId: string): boolean {
    return this.instances.has(instanceId);
  }

  putInstance(instanceId: string): void {
    this.instances.add(instanceId);
  }

  removeInstance(instanceId: string): void {
    this.instances.delete(instanceId);
  }

  close(): void {}
}

/** In `camunda8.sqlite` in the data folder, so that a restart knows what it reported before. */
export class SqliteReportedStore implements ReportedStore {
  private readonly db: Database.Database;
  private readonly selectOne: Database.Statement<[string], { task: string }>;
  private readonly selectAll: Database.Statement<[], { task: string }>;
  private readonly upsert: Database.Statement<[string, string]>;
  private readonly delete: Database.Statement<[string]>;
  private readonly selectInstance: Database.Statement<[string], { id: string }>;
  private readonly insertInstance: Database.Statement<[string]>;
  private readonly deleteInstance: Database.Statement<[string]>;

  constructor(filename: string) {
    this.db = new Database(filename);
    this.db.pragma('journal_mode = WAL');
    this.db.exec('CREATE TABLE IF NOT EXISTS reported_tasks (id TEXT PRIMARY KEY, task TEXT NOT NULL)');
    this.db.exec('CREATE TABLE IF NOT EXISTS reported_instances (id TEXT PRIMARY KEY)');
    this.selectInstance = this.db.prepare('SELECT id FROM reported_instances WHERE id = ?');
    this.insertInstance = this.db.prepare('INSERT OR IGNORE INTO reported_instances (id) VALUES (?)');
    this.deleteInstance = this.db.prepare('DELETE FROM reported_instances WHERE id = ?');
    this.selectOne = this.db.prepare('SELECT task FROM reported_tasks WHERE id = ?');
    this.selectAll = this.db.prepare('SELECT task FROM reported_tasks ORDER BY id');
    this.upsert = this.db.prepare(
      'INSERT INTO reported_tasks (id, task) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET task = excluded.task',
    );
    this.delete = this.db.prepare('DELETE FROM reported_tasks WHERE id = ?');
  }

  /** Opens (or creates) `camunda8.sqlite` in `dataDir`. */
  static inFolder(dataDir: string): SqliteReportedStore {
    mkdirSync(dataDir, { recursive: true });
    return new SqliteReportedStore(join(dataDir, 'camunda8.sqlite'));
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

  hasInstance(instanceId: string): boolean {
    return this.selectInstance.get(instanceId) !== undefined;
  }

  putInstance(instanceId: string): void {
    this.insertInstance.run(instanceId);
  }

  removeInstance(instanceId: string): void {
    this.deleteInstance.run(instanceId);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
