/**
 * Event store benchmark: `npm run bench -- eventstore`.
 *
 * Each adapter figure is compared with the raw driver doing the same inserts into the same table
 * (same indexes, JSON serialised the same way), so the ratio shows what the adapter costs.
 * PostgreSQL runs when EDDY_BENCH_POSTGRES_URL or EDDY_TEST_POSTGRES_URL is set.
 */
import { type NewEvent, openSqliteEventStore } from '@eddy/eventstore';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { commandHandlingFigures } from './lib/command-handling.bench';
import { benchEvents } from './lib/event-store.bench-data';
import { adapterFigures, type WorkloadSizes } from './lib/event-store.workloads';
import { fsyncLatencyMs } from './lib/measure';
import { type BenchResult } from './lib/report';
import { type BenchContext } from './lib/suite';

const SIZES: WorkloadSizes = {
  runs: 5,
  singleAppends: 2_000,
  batches: 100,
  batchSize: 100,
  writers: 50,
  appendsPerWriter: 200,
};

export async function run(context: BenchContext): Promise<BenchResult[]> {
  const probeDir = context.tempDir('fsync');
  const fsyncBefore = fsyncLatencyMs(probeDir);
  const results = await sqliteFigures(context);
  results.push(...(await commandHandlingFigures(context)));
  const postgresUrl = process.env.EDDY_BENCH_POSTGRES_URL ?? process.env.EDDY_TEST_POSTGRES_URL;
  if (postgresUrl === undefined || postgresUrl === '') {
    context.log('PostgreSQL skipped: neither EDDY_BENCH_POSTGRES_URL nor EDDY_TEST_POSTGRES_URL is set');
  } else {
    const { postgresFigures } = await import('./lib/postgres.event-store.bench');
    results.push(...(await postgresFigures(context, postgresUrl)));
  }
  // Durable commits cost at least one fsync: on a shared disk this floor moves, so it is reported.
  results.push({ metric: 'disk fsync latency p50, before the run', value: fsyncBefore, unit: 'ms' });
  results.push({
    metric: 'disk fsync latency p50, after the run',
    value: fsyncLatencyMs(probeDir),
    unit: 'ms',
  });
  return results;
}

async function sqliteFigures(context: BenchContext): Promise<BenchResult[]> {
  const dir = context.tempDir('sqlite');
  const storeFile = join(dir, 'store.sqlite');
  const store = openSqliteEventStore({ filename: storeFile });
  const raw = await openRawSqlite(join(dir, 'raw.sqlite'));
  try {
    const results = await adapterFigures(
      context,
      'sqlite',
      store,
      SIZES,
      {
        singleAppends: () => {
          const events = benchEvents(SIZES.singleAppends);
          for (const event of events) raw.insertMany('single', [event]);
          return { items: events.length };
        },
        batchAppends: () => {
          for (let i = 0; i < SIZES.batches; i++) raw.insertMany(`batch-${i}`, benchEvents(SIZES.batchSize));
          return { items: SIZES.batches * SIZES.batchSize };
        },
        // The hand-written equivalent of group commit: one transaction per 50 single-row inserts.
        concurrentAppends: () => {
          for (let i = 0; i < SIZES.appendsPerWriter; i++)
            raw.insertMany(`grouped-${i}`, benchEvents(SIZES.writers));
          return { items: SIZES.writers * SIZES.appendsPerWriter };
        },
        readAll: () => raw.readAll(storeFile),
      },
      ' (group commit)',
    );
    results.push({
      metric: 'sqlite events in the store after the run',
      value: await store.headPosition(),
      unit: 'events',
    });
    return results;
  } finally {
    await store.close();
    raw.close();
  }
}

/**
 * The baseline: better-sqlite3 by hand, with the event store's own table (read from a fresh store
 * file, so it cannot drift), WAL and synchronous=FULL, one transaction per call.
 */
async function openRawSqlite(filename: string) {
  await openSqliteEventStore({ filename }).close();
  const db = new Database(filename);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  const insert = db.prepare(
    'INSERT INTO events (event_id, stream_id, revision, type, schema_version, data, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const revisions = new Map<string, number>();
  const insertMany = db.transaction((streamId: string, events: NewEvent[]) => {
    let revision = revisions.get(streamId) ?? -1;
    for (const e of events) {
      insert.run(
        e.id,
        streamId,
        ++revision,
        e.type,
        e.schemaVersion,
        JSON.stringify(e.data),
        JSON.stringify(e.metadata),
      );
    }
    revisions.set(streamId, revision);
  });
  return {
    insertMany: (streamId: string, events: NewEvent[]) => insertMany(streamId, events),
    /** Reads another file's log with a plain SELECT and JSON.parse, in pages of 1000. */
    readAll: (file: string) => {
      const reader = new Database(file, { readonly: true });
      const page = reader
        .prepare(
          'SELECT position, event_id, stream_id, revision, type, schema_version, data, metadata FROM events WHERE position > ? ORDER BY position LIMIT 1000',
        )
        .raw();
      let after = 0;
      let items = 0;
      for (;;) {
        const rows = page.all(after) as unknown[][];
        if (rows.length === 0) break;
        for (const row of rows) {
          row[6] = JSON.parse(row[6] as string);
          row[7] = JSON.parse(row[7] as string);
        }
        items += rows.length;
        after = rows[rows.length - 1][0] as number;
      }
      reader.close();
      return { items };
    },
    close: () => db.close(),
  };
}
