import { eventStoreContract } from '@eddy/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from '@jest/globals';
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

  it('indexes the commands of a file written before the command index, keeping the first stream of a repeated id', async () => {
    const filename = join(dir, 'version-1.sqlite');
    const v1 = new Database(filename);
    v1.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY, event_id TEXT NOT NULL, stream_id TEXT NOT NULL,
      revision INTEGER NOT NULL, type TEXT NOT NULL, schema_version INTEGER NOT NULL, data TEXT NOT NULL,
      metadata TEXT NOT NULL)`);
    const insert = v1.prepare("INSERT INTO events VALUES (?, ?, ?, ?, 'T', 1, '{}', ?)");
    const metadata = (commandId: string) => JSON.stringify({ commandId, correlationId: 'k', timestamp: 't' });
    insert.run(1, 'e1', 'a', 0, metadata('c1'));
    insert.run(2, 'e2', 'a', 1, metadata('c1'));
    insert.run(3, 'e3', 'b', 0, metadata('c2'));
    insert.run(4, 'e4', 'a', 2, metadata('c2'));
    v1.pragma('user_version = 1');
    v1.close();

    const store = openSqliteEventStore({ filename });
    expect(await store.findCommand('c1')).toEqual({
      commandId: 'c1',
      streamId: 'a',
      revision: 1,
      position: 2,
    });
    expect(await store.findCommand('c2')).toEqual({
      commandId: 'c2',
      streamId: 'b',
      revision: 0,
      position: 3,
    });
    await expect(store.appendToStream('c', [event('e5')], { commandId: 'c1' })).rejects.toThrow(
      /accepted before/,
    );
    await store.close();
  });

  it('needs a file', () => {
    expect(() => openSqliteEventStore({ filename: ':memory:' })).toThrow(/filename/);
  });
});
