/**
 * Projections benchmark: `npm run bench -- projections`.
 *
 * Over 500,000 realistic task events in a SQLite event store (140,000 tasks, 40,000 of them
 * completed, so 100,000 stay open):
 * - replay rate into the tasks view, against reading the same log with `readAll` (the ceiling);
 * - time from start-up (store opened, runner started) until every projection has caught up to the
 *   head it saw at start, against one plain `readAll` of the log;
 * - query latency of a user with 20 groups over the 100,000 open tasks with a payload filter and a
 *   sort, against a plain scan of an array of the same tasks;
 * - the same three over MongoDB views when a server is given (`lib/mongo-projections.bench.ts`).
 */
import { taskStreamId } from '@eddy/contracts';
import { type EventStore, type NewEvent, openSqliteEventStore } from '@eddy/eventstore';
import {
  DEFAULT_PROJECTIONS,
  LIVE_COPY,
  MemoryViewStore,
  ProjectionRunner,
  ProjectionWorker,
  type TaskView,
  tasksProjection,
  type Viewer,
} from '@eddy/projections';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { seededRandom as random } from '@eddy/testing/seeded-random';
import { LatencyRecorder, now, percentile } from './lib/measure';
import { benchMongoUrl, goldTierQuery, mongoRows, untilReady } from './lib/mongo-projections.bench';
import { type BenchResult, compared } from './lib/report';
import { type BenchContext } from './lib/suite';

/** The log: 500,000 events on 140,000 tasks, 40,000 of them completed. */
interface LogShape {
  events: number;
  tasks: number;
  completed: number;
}
const FULL_LOG: LogShape = { events: 500_000, tasks: 140_000, completed: 40_000 };
const GROUPS = 200;
const USERS = 2_000;
const QUERIES = 300;
/** Runs of each throughput figure, alternating with its baseline; the machine is shared, so the best (least disturbed) run of each is reported. */
const RUNS = 3;

const CITIES = [
  'Hamburg',
  'Berlin',
  'Munich',
  'Cologne',
  'Frankfurt',
  'Stuttgart',
  'Leipzig',
  'Dresden',
  'Bremen',
  'Hanover',
];
const TIERS = ['gold', 'silver', 'bronze'];

function taskEvents(rnd: () => number, shape: LogShape): { streamId: string; events: NewEvent[] }[] {
  const meta = (i: number) => ({
    commandId: `cmd-${i}`,
    correlationId: `corr-${i}`,
    userId: 'collector',
    timestamp: new Date(Date.UTC(2026, 0, 1) + i * 1_000).toISOString(),
  });
  let n = 0;
  const event = (type: string, data: Record<string, unknown>): NewEvent => ({
    id: `e-${++n}`,
    type,
    schemaVersion: 1,
    data,
    metadata: meta(n),
  });
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)];
  const group = () => `g${Math.floor(rnd() * GROUPS)}`;
  const user = () => `u${Math.floor(rnd() * USERS)}`;
  const extra = shape.events - shape.tasks;
  const streams: { streamId: string; events: NewEvent[] }[] = [];
  for (let t = 0; t < shape.tasks; t++) {
    const id = `t${t}`;
    const groups = [...new Set([group(), group()])];
    const events = [
      event('TaskCreated', {
        id,
        name: `${pick(['Approve', 'Check', 'Review', 'Pay'])} invoice ${t}`,
        taskDefinitionKey: pick(['approve', 'check', 'review', 'pay']),
        sourceReference: {
          type: 'process',
          instanceId: `pi-${t >> 1}`,
          definitionId: 'invoice:3',
          definitionKey: 'invoice',
          name: 'Invoice approval',
          applicationName: pick(['billing', 'purchasing', 'travel']),
        },
        description: 'Check the amounts and approve the invoice for payment',
        formKey: 'invoice-form',
        priority: Math.floor(rnd() * 100),
        createTime: new Date(Date.UTC(2026, 0, 1) + t * 60_000).toISOString(),
        dueDate:
          rnd() < 0.8
            ? new Date(Date.UTC(2026, 1, 1) + Math.floor(rnd() * 90) * 86_400_000).toISOString()
            : null,
        followUpDate: null,
        assignee: null,
        owner: null,
        candidateUsers: rnd() < 0.3 ? [user()] : [],
        candidateGroups: groups,
        businessKey: `INV-${t}`,
        payload: {
          invoiceId: `inv-${t}`,
          amount: Math.round(rnd() * 1_000_000) / 100,
          currency: 'EUR',
          customer: { name: `Customer ${t % 5_000}`, city: pick(CITIES), tier: pick(TIERS) },
        },
        correlations: [{ entryType: 'invoice', entryId: `inv-${t}` }],
      }),
    ];
    // Spread the remaining events: 2 or 3 more per task, the last one completing 40,000 of them.
    const more = Math.floor(((t + 1) * extra) / shape.tasks) - Math.floor((t * extra) / shape.tasks);
    for (let k = 0; k < more; k++) {
      const last = k === more - 1;
      if (last && t < shape.completed) events.push(event('TaskCompleted', { id, assignee: null }));
      else if (k % 3 === 0) events.push(event('TaskClaimed', { id, assignee: user() }));
      else if (k % 3 === 1) events.push(event('TaskUnclaimed', { id, previousAssignee: 'someone' }));
      else
        events.push(event('TaskAttributesUpdated', { id, changes: { priority: Math.floor(rnd() * 100) } }));
    }
    streams.push({ streamId: taskStreamId(id), events });
  }
  return streams;
}

async function fill(store: EventStore, context: BenchContext, shape: LogShape): Promise<number> {
  const streams = taskEvents(random(42), shape);
  const start = now();
  const parallel = 2_000;
  for (let i = 0; i < streams.length; i += parallel) {
    await Promise.all(
      streams
        .slice(i, i + parallel)
        .map((s) => store.appendToStream(s.streamId, s.events, { expectedRevision: 'no_stream' })),
    );
  }
  const head = await store.headPosition();
  context.log(`wrote ${head} events in ${((now() - start) / 1000).toFixed(1)} s`);
  return head;
}

async function writeLog(file: string, context: BenchContext, shape: LogShape): Promise<number> {
  const writer = openSqliteEventStore({ filename: file, synchronous: 'normal' });
  try {
    return await fill(writer, context, shape);
  } finally {
    await writer.close();
  }
}

/**
 * The log of the MongoDB rows: the full one, or the first `EDDY_BENCH_MONGO_EVENTS` events' worth
 * at the same proportions (mongo-java-server scans the collection for every conditional write, so
 * the full log takes hours there; see docs/benchmarks.md).
 */
function mongoLogShape(env: NodeJS.ProcessEnv = process.env): LogShape {
  const wanted = env.EDDY_BENCH_MONGO_EVENTS;
  if (wanted === undefined) return FULL_LOG;
  const events = Number(wanted);
  if (!Number.isInteger(events) || events < 1_000 || events > FULL_LOG.events) {
    throw new Error(
      `EDDY_BENCH_MONGO_EVENTS must be a whole number from 1000 to ${FULL_LOG.events}, not ${wanted}`,
    );
  }
  const scale = events / FULL_LOG.events;
  return {
    events,
    tasks: Math.round(FULL_LOG.tasks * scale),
    completed: Math.round(FULL_LOG.completed * scale),
  };
}

async function readWholeLog(store: EventStore): Promise<number> {
  let after = 0;
  let count = 0;
  for (;;) {
    const events = await store.readAll({ after, maxCount: 1_000 });
    if (events.length === 0) return count;
    count += events.length;
    after = events[events.length - 1].position;
  }
}

function viewerWith20Groups(rnd: () => number): Viewer {
  const groups = new Set<string>();
  while (groups.size < 20) groups.add(`g${Math.floor(rnd() * GROUPS)}`);
  return { userId: `u${Math.floor(rnd() * USERS)}`, groups: [...groups] };
}

/** The baseline query: a plain scan of an array with the same predicate, then a sort of the matches. */
function scanQuery(tasks: readonly TaskView[], viewer: Viewer, nowMs: number): TaskView[] {
  const groups = new Set(viewer.groups);
  const found: TaskView[] = [];
  for (const t of tasks) {
    const visible =
      t.assignee === viewer.userId ||
      t.candidateUsers.includes(viewer.userId) ||
      t.candidateGroups.some((g) => groups.has(g));
    if (!visible) continue;
    if (t.followUpDate !== null && Date.parse(t.followUpDate) > nowMs) continue;
    const customer = t.payload.customer as { tier?: string } | undefined;
    if (customer?.tier !== 'gold') continue;
    found.push(t);
  }
  const key = (t: TaskView) => (t.dueDate === null ? -Infinity : Date.parse(t.dueDate));
  found.sort((a, b) => key(a) - key(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return found.slice(0, 50);
}

export async function run(context: BenchContext): Promise<BenchResult[]> {
  const file = join(context.tempDir('store'), 'events.sqlite');
  const head = await writeLog(file, context, FULL_LOG);

  const results: BenchResult[] = [];
  const store = openSqliteEventStore({ filename: file });
  try {
    // Replay into the tasks view against the raw read of the same log, alternating.
    const replayRates: number[] = [];
    const readRates: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      let start = now();
      const read = await readWholeLog(store);
      readRates.push((read * 1000) / (now() - start));
      const views = new MemoryViewStore();
      const worker = new ProjectionWorker(tasksProjection, { view: 'tasks', copy: LIVE_COPY }, store, views, {
        batchSize: 1_000,
      });
      start = now();
      if (!(await worker.catchUpTo(head))) throw new Error(`replay failed: ${worker.failure?.message}`);
      replayRates.push((head * 1000) / (now() - start));
      context.log(
        `run ${i + 1}: readAll ${Math.round(readRates[i])} events/s, replay ${Math.round(replayRates[i])} events/s`,
      );
      await views.close();
    }
    results.push(
      compared(
        'replay into the tasks view (500k events)',
        Math.max(...replayRates),
        'events/s',
        Math.max(...readRates),
      ),
    );

    // Start-up to ready: every projection caught up to the head seen at start.
    const readyTimes: number[] = [];
    const readTimes: number[] = [];
    let views = new MemoryViewStore();
    for (let i = 0; i < RUNS; i++) {
      let start = now();
      const fresh = openSqliteEventStore({ filename: file });
      await readWholeLog(fresh);
      readTimes.push(now() - start);
      await fresh.close();

      await views.close();
      start = now();
      const events = openSqliteEventStore({ filename: file });
      views = new MemoryViewStore();
      const runner = new ProjectionRunner(events, views, DEFAULT_PROJECTIONS, { batchSize: 1_000 });
      await runner.start();
      await untilReady(runner);
      readyTimes.push(now() - start);
      await runner.stop();
      await events.close();
      context.log(
        `run ${i + 1}: ready in ${Math.round(readyTimes[i])} ms, plain read ${Math.round(readTimes[i])} ms`,
      );
    }
    results.push(
      compared(
        `start-up to ready (500k events, ${DEFAULT_PROJECTIONS.length} projections)`,
        Math.min(...readyTimes),
        'ms',
        Math.min(...readTimes),
      ),
    );

    // Query latency over the open tasks of the last start-up.
    const tasks = await views.documents({ view: 'tasks', copy: LIVE_COPY });
    context.log(`${tasks.length} open tasks in the view`);
    const rnd = random(7);
    const viewers = Array.from({ length: QUERIES }, () => viewerWith20Groups(rnd));
    const queryNow = new Date('2026-06-01T00:00:00Z');
    const latency = new LatencyRecorder();
    const scan: number[] = [];
    let matched = 0;
    for (const viewer of viewers) {
      const page = await latency.time(() => views.findTasks(goldTierQuery(viewer, queryNow)));
      matched += page.totalCount;
      const start = now();
      const expected = scanQuery(tasks, viewer, queryNow.getTime());
      scan.push(now() - start);
      if (expected.map((t) => t.id).join() !== page.nodes.map((t) => t.id).join()) {
        throw new Error('the view store and the plain scan disagree');
      }
    }
    context.log(`${QUERIES} queries, ${Math.round(matched / QUERIES)} matching tasks per query on average`);
    results.push(
      compared(
        'task query p50 (20 groups, 100k open tasks, payload filter, sort)',
        latency.percentile(50),
        'ms',
        percentile(scan, 50),
      ),
    );
    results.push(
      compared(
        'task query p95 (20 groups, 100k open tasks, payload filter, sort)',
        latency.percentile(95),
        'ms',
        percentile(scan, 95),
      ),
    );
    await views.close();
    const mongoUrl = benchMongoUrl();
    if (mongoUrl) {
      const shape = mongoLogShape();
      let mongoFile = file;
      let mongoHead = head;
      if (shape.events !== FULL_LOG.events) {
        mongoFile = join(context.tempDir('mongo-store'), 'events.sqlite');
        mongoHead = await writeLog(mongoFile, context, shape);
      }
      const open = () => openSqliteEventStore({ filename: mongoFile });
      results.push(...(await mongoRows(context, mongoUrl, open, mongoHead, viewers, queryNow)));
    } else {
      context.log('no EDDY_BENCH_MONGO_URL (or EDDY_TEST_MONGO_URL): the MongoDB rows are left out');
    }
    // The machine is shared: say how busy it was, since every absolute figure depends on it.
    results.push({
      metric: 'load average (1 min) at the end, on 2 cores',
      value: loadavg()[0],
      unit: 'processes',
    });
  } finally {
    await store.close();
  }
  return results;
}
