import { eventStoreContract } from '@eddy/testing';
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
  const event = (id: string) => ({
    id,
    type: 'T',
    schemaVersion: 1,
    data: {},
    metadata: { commandId: 'c', correlationId: 'k', timestamp: 't' },
  });
  const internals = (store: SqliteEventStore) =>
    store as unknown as { groupsSent: number; writerSettings?: { journalMode: string; synchronous: number } };

  it('writes in WAL mode with full synchronous commits by default', async () => {
    const store = openSqliteEventStore({ filename: join(dir, 'pragmas.sqlite') });
    await store.appendToStream('s', [event('e')]);
    expect(internals(store).writerSettings).toEqual({ journalMode: 'wal', synchronous: 2 });
    await store.close();
  });

  it('commits appends of the same turn together, and those that arrive during a commit as the next group', async () => {
    const store = openSqliteEventStore({ filename: join(dir, 'group.sqlite') });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.appendToStream(`s-${i}`, [event(`e-${i}`)])),
    );
    expect(internals(store).groupsSent).toBe(1);

    const first = store.appendToStream('first', [event('first')]);
    // Let the first group go to the writer, then queue more while it commits.
    await new Promise((done) => setImmediate(done));
    expect(internals(store).groupsSent).toBe(2);
    const during = Array.from({ length: 10 }, (_, i) => store.appendToStream(`d-${i}`, [event(`d-${i}`)]));
    await Promise.all([first, ...during]);
    expect(internals(store).groupsSent).toBe(3);
    expect((await store.statistics()).events).toBe(31);
    await store.close();
  });

  it('commits what it accepted before closing', async () => {
    const filename = join(dir, 'close.sqlite');
    const store = openSqliteEventStore({ filename });
    const appends = Array.from({ length: 5 }, (_, i) => store.appendToStream(`c-${i}`, [event(`c-${i}`)]));
    await store.close();
    await Promise.all(appends);
    const reopened = openSqliteEventStore({ filename });
    expect((await reopened.statistics()).events).toBe(5);
    await reopened.close();
  });

  it('refuses a file written by a newer schema version', async () => {
    const filename = join(dir, 'newer.sqlite');
    const store = openSqliteEventStore({ filename });
    (store as unknown as { db: import('better-sqlite3').Database }).db.pragma('user_version = 99');
    await store.close();
    expect(() => new SqliteEventStore({ filename })).toThrow(/EVENTSTORE-001.*schema version 99/);
  });

  it('needs a file', () => {
    expect(() => openSqliteEventStore({ filename: ':memory:' })).toThrow(/filename/);
  });
});
