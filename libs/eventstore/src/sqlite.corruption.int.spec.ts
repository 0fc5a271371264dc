import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { EventStoreUnavailableError, type NewEvent } from './event-store.port';
import { openSqliteEventStore } from './sqlite.event-store';

const dir = mkdtempSync(join(tmpdir(), 'eddy-sqlite-corruption-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let sequence = 0;
const events = (count: number): NewEvent[] =>
  Array.from({ length: count }, () => ({
    id: `e-${++sequence}`,
    type: 'Filled',
    schemaVersion: 1,
    data: { text: 'x'.repeat(1_000) },
    metadata: { commandId: `c-${sequence}`, correlationId: 'k', timestamp: '2026-12-01T00:00:00Z' },
  }));

/** A closed store file of about 4 MiB, so that its middle lies in the events' pages. */
async function filledFile(name: string): Promise<string> {
  const filename = join(dir, name);
  const store = openSqliteEventStore({ filename });
  for (let i = 0; i < 40; i++) await store.appendToStream(`s-${i}`, events(100));
  await store.close();
  return filename;
}

/** Writes 8 KiB of random bytes in the middle of the file, on a page boundary. */
function corruptMiddle(filename: string): void {
  const offset = Math.floor(statSync(filename).size / 2 / 4096) * 4096;
  const fd = openSync(filename, 'r+');
  try {
    writeSync(fd, randomBytes(8 * 1024), 0, 8 * 1024, offset);
  } finally {
    closeSync(fd);
  }
}

/** What opening the file throws. */
function openingError(filename: string): unknown {
  try {
    openSqliteEventStore({ filename });
  } catch (error) {
    return error;
  }
  throw new Error(`${filename} opened`);
}

describe('sqlite event store on a damaged file', () => {
  it('refuses to open a file with 8 KiB of garbage in the middle, naming the file', async () => {
    const filename = await filledFile('corrupt-at-rest.sqlite');
    corruptMiddle(filename);
    const error = openingError(filename);
    expect(error).toBeInstanceOf(EventStoreUnavailableError);
    expect((error as Error).message).toMatch(
      /^EVENTSTORE-006 .*corrupt-at-rest\.sqlite: the event store file is corrupt \(/,
    );
    expect((error as Error).message).toContain('restore it from a back-up');
  });

  it('fails closed when a read meets corruption while it runs: appends, reads and the head are refused', async () => {
    const filename = await filledFile('corrupt-while-open.sqlite');
    const store = openSqliteEventStore({ filename });
    // No page of the file stays cached, so that the reads meet what is on disk.
    (store as unknown as { db: import('better-sqlite3').Database }).db.pragma('cache_size = 1');
    const head = await store.headPosition();
    corruptMiddle(filename);

    const read = await store.readAll().catch((e: unknown) => e);
    expect(read).toBeInstanceOf(EventStoreUnavailableError);
    expect((read as Error).message).toMatch(
      new RegExp(
        `^EVENTSTORE-007 ${filename.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the event store file is corrupt \\(SQLITE_CORRUPT`,
      ),
    );
    const append = await store.appendToStream('after', events(1)).catch((e: unknown) => e);
    expect(append).toBe(read);
    await expect(store.readStream('s-1')).rejects.toBe(read);
    await expect(store.findCommand('c-1')).rejects.toBe(read);
    await expect(store.headPosition()).rejects.toBe(read);
    await store.close();
    expect(head).toBe(4_000);
  });

  it('names the file when it cannot be opened at all', () => {
    const folder = join(dir, 'a-folder.sqlite');
    mkdirSync(folder);
    expect(() => openSqliteEventStore({ filename: folder })).toThrow(
      new RegExp(`EVENTSTORE-005 .*a-folder\\.sqlite: the event store file cannot be opened: SQLITE_`),
    );
  });

  it('names the file when it is not a database', async () => {
    const filename = join(dir, 'not-a-database.sqlite');
    const fd = openSync(filename, 'w');
    writeSync(fd, randomBytes(64 * 1024));
    closeSync(fd);
    const error = openingError(filename);
    expect(error).toBeInstanceOf(EventStoreUnavailableError);
    expect((error as Error).message).toContain(
      `EVENTSTORE-006 ${filename}: the event store file is corrupt (SQLITE_NOTADB`,
    );
  });
});
