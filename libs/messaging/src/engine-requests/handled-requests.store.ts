import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { START_REQUEST_RETENTION_MS } from '@eddy/collector';
import type { EngineReply } from './engine-request';

/** How long an answer is kept for a redelivery of its request: as long as the engine remembers a start. */
const KEPT_MS = START_REQUEST_RETENTION_MS;

/**
 * The answers the collector gave to engine requests, by request id, in a small SQLite file of the data
 * folder (`engine-requests.sqlite`): a request delivered again (Kafka delivers at least once) is answered
 * with the stored answer instead of starting a second instance. Answers are kept for seven days. A start
 * also carries its request id to the engine, which (embedded) records it with the instance itself, for a
 * crash between the start and `keep`.
 */
export class HandledRequestsStore {
  private readonly db: Database.Database;
  private readonly select: Database.Statement<[string], { reply: string }>;
  private readonly insert: Database.Statement<[string, string, number]>;

  constructor(filename: string, now = Date.now()) {
    this.db = new Database(filename);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS handled_requests (request_id TEXT PRIMARY KEY, reply TEXT NOT NULL, handled_at INTEGER NOT NULL)',
    );
    this.db.prepare('DELETE FROM handled_requests WHERE handled_at < ?').run(now - KEPT_MS);
    this.select = this.db.prepare('SELECT reply FROM handled_requests WHERE request_id = ?');
    this.insert = this.db.prepare(
      'INSERT OR IGNORE INTO handled_requests (request_id, reply, handled_at) VALUES (?, ?, ?)',
    );
  }

  static inFolder(dataDir: string): HandledRequestsStore {
    mkdirSync(dataDir, { recursive: true });
    return new HandledRequestsStore(join(dataDir, 'engine-requests.sqlite'));
  }

  /** The answer given to this request, or null when it was not handled yet. */
  answered(requestId: string): EngineReply | null {
    const row = this.select.get(requestId);
    return row ? (JSON.parse(row.reply) as EngineReply) : null;
  }

  /** Keeps the answer; once it returns, a redelivery is answered with it. */
  keep(requestId: string, reply: EngineReply, now = Date.now()): void {
    this.insert.run(requestId, JSON.stringify(reply), now);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
