/**
 * PostgreSQL part of the event store benchmark, against raw `pg` inserts into the same table.
 * Loaded by `bench/eventstore.bench.ts` only when a PostgreSQL URL is configured.
 */
import { type NewEvent, openPostgresEventStore } from '@eddy/eventstore';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { adapterFigures, type WorkloadSizes } from './event-store.workloads';
import { benchEvents } from './event-store.bench-data';
import { type BenchResult } from './report';
import { type BenchContext } from './suite';

const SIZES: WorkloadSizes = {
  runs: 3,
  singleAppends: 1_000,
  batches: 50,
  batchSize: 100,
  writers: 50,
  appendsPerWriter: 100,
};
const POOL_SIZE = 10;

export async function postgresFigures(
  context: BenchContext,
  connectionString: string,
): Promise<BenchResult[]> {
  const suffix = randomUUID().replace(/-/g, '').slice(0, 12);
  const storeSchema = `bench_store_${suffix}`;
  const rawSchema = `bench_raw_${suffix}`;
  const store = await openPostgresEventStore({ connectionString, schema: storeSchema, poolSize: POOL_SIZE });
  // The raw baseline writes to a table created by the adapter itself, so both have the same indexes.
  await (await openPostgresEventStore({ connectionString, schema: rawSchema })).close();
  const pool = new Pool({ connectionString, max: POOL_SIZE });
  const raw = rawInserts(pool, rawSchema);
  try {
    const version = (await pool.query<{ server_version: string }>('SHOW server_version')).rows[0]
      .server_version;
    context.log(`postgres ${version}, ${POOL_SIZE} connections`);
    return await adapterFigures(context, 'postgres', store, SIZES, {
      singleAppends: async () => {
        const events = benchEvents(SIZES.singleAppends);
        for (let i = 0; i < events.length; i++) await raw.insert(`single-${i % 100}`, [events[i]]);
        return { items: events.length };
      },
      batchAppends: async () => {
        for (let i = 0; i < SIZES.batches; i++) await raw.insert(`batch-${i}`, benchEvents(SIZES.batchSize));
        return { items: SIZES.batches * SIZES.batchSize };
      },
      concurrentAppends: async (runId) => {
        await Promise.all(
          Array.from({ length: SIZES.writers }, async (_, w) => {
            for (const event of benchEvents(SIZES.appendsPerWriter))
              await raw.insert(`writer-${runId}-${w}`, [event]);
          }),
        );
        return { items: SIZES.writers * SIZES.appendsPerWriter };
      },
      readAll: () => raw.readAll(storeSchema),
    });
  } finally {
    await store.close();
    await pool.query(`DROP SCHEMA "${storeSchema}" CASCADE; DROP SCHEMA "${rawSchema}" CASCADE`);
    await pool.end();
  }
}

/** Hand-written `pg` inserts and reads: one multi-row INSERT per call, in its own transaction. */
function rawInserts(pool: Pool, schema: string) {
  const revisions = new Map<string, number>();
  return {
    async insert(streamId: string, events: NewEvent[]): Promise<void> {
      const first = (revisions.get(streamId) ?? -1) + 1;
      revisions.set(streamId, first + events.length - 1);
      await pool.query({
        name: `raw_insert_${schema}`,
        text: `INSERT INTO "${schema}".eddy_events
                 (position, transaction_id, event_id, stream_id, revision, type, schema_version, data, metadata)
               SELECT nextval('"${schema}".eddy_events_position'), pg_current_xact_id(), u.id, $1, $2 + u.o - 1,
                      u.type, u.version, u.data::jsonb, u.metadata::jsonb
               FROM unnest($3::text[], $4::text[], $5::int[], $6::text[], $7::text[]) WITH ORDINALITY
                 AS u(id, type, version, data, metadata, o)`,
        values: [
          streamId,
          first,
          events.map((e) => e.id),
          events.map((e) => e.type),
          events.map((e) => e.schemaVersion),
          events.map((e) => JSON.stringify(e.data)),
          events.map((e) => JSON.stringify(e.metadata)),
        ],
      });
    },
    async readAll(fromSchema: string) {
      let after = 0;
      let items = 0;
      for (;;) {
        const { rows } = await pool.query<{ position: string }>({
          name: `raw_read_${fromSchema}`,
          text: `SELECT position, event_id, stream_id, revision, type, schema_version, data, metadata
                 FROM "${fromSchema}".eddy_events WHERE position > $1 ORDER BY position LIMIT 1000`,
          values: [after],
        });
        if (rows.length === 0) return { items };
        items += rows.length;
        after = Number(rows[rows.length - 1].position);
      }
    },
  };
}
