import { eventStoreContract } from '@eddy/testing/event-store.contract';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteEventStore, SqliteEventStore } from './sqlite.event-store';

const dir = mkdtempSync(join(tmpdir(), 'eddy-sqlite-event-store-'));
let counter = 0;
let last = '';

afterAll(() => rmSync(dir, { recursive: true, force: true }));

eventStoreContract('sqlite', {
  create: async () => {
    last = join(dir, `events-${++counter}.sqlite`);
    return openSqliteEventStore({ filename: last });
  },
  reopen: async () => openSqliteEventStore({ filename: last }),
  childOpener: () => ({
    module: resolve(__dirname, 'sqlite.event-store.ts'),
    exportName: 'openSqliteEventStore',
    options: { filename: last },
  }),
});

describe('sqlite event store', () => {
  it('uses WAL with full synchronous commits by default', () => {
    const store = openSqliteEventStore({ filename: join(dir, 'pragmas.sqlite') });
    const db = (store as unknown as { db: import('better-sqlite3').Database }).db;
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    return store.close();
  });

  it('commits appends that arrive together in one transaction', async () => {
    const store = openSqliteEventStore({ filename: join(dir, 'group.sqlite') });
    const commits = countCommits(store);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.appendToStream(`s-${i}`, [
          {
            id: `e-${i}`,
            type: 'T',
            schemaVersion: 1,
            data: {},
            metadata: { commandId: 'c', correlationId: 'k', timestamp: 't' },
          },
        ]),
      ),
    );
    expect(commits()).toBe(1);
    expect((await store.statistics()).events).toBe(20);
    await store.close();
  });

  it('refuses a file written by a newer schema version', () => {
    const filename = join(dir, 'newer.sqlite');
    const store = openSqliteEventStore({ filename });
    (store as unknown as { db: import('better-sqlite3').Database }).db.pragma('user_version = 99');
    void store.close();
    expect(() => new SqliteEventStore({ filename })).toThrow(/EVENTSTORE-001.*schema version 99/);
  });
});

/** Counts COMMIT statements run by the store from now on. */
function countCommits(store: SqliteEventStore): () => number {
  const statements = (store as unknown as { statements: { commit: { run(): unknown } } }).statements;
  const original = statements.commit.run.bind(statements.commit);
  let count = 0;
  statements.commit.run = () => {
    count += 1;
    return original();
  };
  return () => count;
}
