/**
 * The MongoDB rows of `npm run bench -- projections`, over the same event log as the memory rows,
 * against the server of `EDDY_BENCH_MONGO_URL` (or `EDDY_TEST_MONGO_URL`, the real-server tier's):
 * - replay into the MongoDB tasks view, against the raw driver bulk-writing the same final documents
 *   (the replay's own stored records, indexes included) to the same server;
 * - start-up to ready over existing MongoDB views (all four at the head);
 * - task query p50/p95 (20 groups, payload filter, sort) through the store, against the same query
 *   written by hand for the raw driver on the same collection and indexes.
 */
import type { EventStore } from '@eddy/eventstore';
import {
  DEFAULT_PROJECTIONS,
  LIVE_COPY,
  MongoViewStore,
  ProjectionRunner,
  ProjectionWorker,
  tasksProjection,
  type TaskQuery,
  type Viewer,
} from '@eddy/projections';
import { MongoClient, type Document } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { LatencyRecorder, now, percentile } from './measure';
import { type BenchResult, compared } from './report';
import { type BenchContext } from './suite';

/**
 * The query of both suites' rows: a user's tasks whose customer is of the gold tier, by due date,
 * a page of 50.
 */
export function goldTierQuery(viewer: Viewer, queryNow: Date): TaskQuery {
  return {
    viewer,
    filter: { payload: [{ path: 'customer.tier', op: 'EQ', value: 'gold' }] },
    sort: [{ field: 'DUE_DATE', direction: 'ASC' }],
    first: 50,
    now: queryNow,
  };
}

/** Fewer queries than the memory rows: each is a round trip to the server. */
const QUERIES = 100;

/** The server of the rows, or undefined when none is set (the rows are then left out, with a line saying so). */
export function benchMongoUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.EDDY_BENCH_MONGO_URL ?? env.EDDY_TEST_MONGO_URL;
}

export async function mongoRows(
  context: BenchContext,
  url: string,
  open: () => EventStore,
  head: number,
  viewers: readonly Viewer[],
  queryNow: Date,
): Promise<BenchResult[]> {
  const client = new MongoClient(url);
  await client.connect();
  const database = `eddy_bench_${randomUUID().slice(0, 8)}`;
  const raw = `${database}_raw`;
  const results: BenchResult[] = [];
  const events = open();
  try {
    // Replay into the MongoDB tasks view.
    let views = await MongoViewStore.open({ client, database });
    const worker = new ProjectionWorker(tasksProjection, { view: 'tasks', copy: LIVE_COPY }, events, views, {
      batchSize: 1_000,
    });
    let start = now();
    if (!(await worker.catchUpTo(head))) throw new Error(`replay failed: ${worker.failure?.message}`);
    const replayMs = now() - start;
    context.log(`MongoDB replay: ${Math.round((head * 1000) / replayMs)} events/s`);

    // The same final documents through the raw driver, in bulk writes of 1,000, same indexes.
    const stored = await client.db(database).collection('tasks').find({}).toArray();
    const target = client.db(raw).collection<Document>('tasks');
    await target.createIndexes(
      (await client.db(database).collection('tasks').indexes())
        .filter((index) => index.name !== '_id_')
        .map((index) => ({ key: index.key })),
    );
    start = now();
    for (let i = 0; i < stored.length; i += 1_000) {
      await target.bulkWrite(
        stored.slice(i, i + 1_000).map((document) => ({ insertOne: { document } })),
        { ordered: false },
      );
    }
    const rawMs = now() - start;
    await client.db(raw).dropDatabase();
    context.log(`raw bulk write of ${stored.length} documents: ${Math.round(rawMs)} ms`);
    results.push(
      compared(
        `MongoDB: replay into the tasks view (${thousands(head)} events)`,
        (head * 1000) / replayMs,
        'events/s',
        (head * 1000) / rawMs,
      ),
    );
    await views.close();

    // Start-up to ready over existing views: bring all four to the head once, then measure restarts.
    views = await MongoViewStore.open({ client, database });
    const warm = new ProjectionRunner(events, views, DEFAULT_PROJECTIONS, { batchSize: 1_000 });
    await warm.start();
    await untilReady(warm);
    await warm.stop();
    await views.close();
    const readyTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      start = now();
      const restarted = await MongoViewStore.connect(url, database);
      const fresh = open();
      const runner = new ProjectionRunner(fresh, restarted, DEFAULT_PROJECTIONS, { batchSize: 1_000 });
      await runner.start();
      await untilReady(runner);
      readyTimes.push(now() - start);
      await runner.stop();
      await restarted.close();
      await fresh.close();
    }
    context.log(`MongoDB start-up to ready: ${readyTimes.map((t) => Math.round(t)).join(', ')} ms`);
    results.push({
      metric: `MongoDB: start-up to ready over existing views (${DEFAULT_PROJECTIONS.length} projections)`,
      value: Math.min(...readyTimes),
      unit: 'ms',
    });

    // Query latency through the store, against the raw driver with the same query and indexes.
    views = await MongoViewStore.open({ client, database });
    const collection = client.db(database).collection<Document>('tasks');
    const openTasks = await collection.countDocuments({ _r: false });
    const latency = new LatencyRecorder();
    const rawTimes: number[] = [];
    for (const viewer of viewers.slice(0, QUERIES)) {
      const page = await latency.time(() => views.findTasks(goldTierQuery(viewer, queryNow)));
      start = now();
      const filter = {
        _r: false,
        _p: { $in: [`u:${viewer.userId}`, ...viewer.groups.map((g) => `g:${g}`)] },
        $or: [{ '_s.followUpDate': null }, { '_s.followUpDate': { $lte: queryNow.getTime() } }],
        'payload.customer.tier': { $eq: 'gold' },
      };
      const [found, total] = await Promise.all([
        collection.find(filter).sort({ '_s.dueDate': 1, _id: 1 }).limit(51).toArray(),
        collection.countDocuments(filter),
      ]);
      rawTimes.push(now() - start);
      if (
        total !== page.totalCount ||
        found
          .slice(0, 50)
          .map((d) => d._id)
          .join() !== page.nodes.map((t) => t.id).join()
      ) {
        throw new Error('the MongoDB view store and the raw query disagree');
      }
    }
    await views.close();
    for (const p of [50, 95]) {
      results.push(
        compared(
          `MongoDB: task query p${p} (20 groups, ${thousands(openTasks)} open tasks, payload filter, sort)`,
          latency.percentile(p),
          'ms',
          percentile(rawTimes, p),
        ),
      );
    }
  } finally {
    await events.close();
    await client
      .db(database)
      .dropDatabase()
      .catch(() => undefined);
    await client
      .db(raw)
      .dropDatabase()
      .catch(() => undefined);
    await client.close();
  }
  return results;
}

/** 500000 -> "500k". */
function thousands(n: number): string {
  return n >= 1_000 ? `${Math.round(n / 1_000)}k` : String(n);
}

/** Resolves once every projection reached the head it saw at start; rejects when one failed. */
export async function untilReady(runner: ProjectionRunner): Promise<void> {
  while (!runner.isCaughtUpToStartupHead()) {
    if (runner.failures().length > 0)
      throw new Error(`projection failed: ${JSON.stringify(runner.failures())}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
