/**
 * Tasklist benchmark: `npm run bench -- tasklist`.
 *
 * Live fan-out: 100 users (10 groups), one graphql-ws connection each with 10 subscriptions (one
 * per task definition key: 1,000 subscriptions), while task changes arrive through the core at a
 * steady 500 per second. Every change is seen by the 10 users of its group, on one of their 10
 * subscriptions: 10 messages per change. Figures: command accepted -> change received (p50, p99)
 * and messages delivered per second, steady and saturated (changes sent as fast as the core takes
 * them). Baseline in the same run: a bare graphql-ws server (graphql-ws `makeServer` on `ws`, a
 * minimal schema, an in-memory pub/sub) pushing the same messages to the same clients.
 *
 * Then `tasks` query throughput over HTTP with 100,000 open tasks in the views.
 *
 * Clients, server and writer share this process and its cores: latencies include the clients' own
 * parsing. Nothing else should run on the machine meanwhile.
 */
import type { CommandResult } from '@eddy/contracts';
import { buildSchema, type GraphQLSchema } from 'graphql';
import { createClient, handleProtocols, makeServer, type Client } from 'graphql-ws';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { TasklistHarness } from '../test/support/tasklist-harness';
import { now, percentile, perSecond } from './lib/measure';
import { type BenchResult, compared, round } from './lib/report';
import type { BenchContext } from './lib/suite';

const USERS = 100;
const GROUPS = 10;
const KEYS = 10;
const POOL = 1_000;
const RATE = 500;
const STEADY_SECONDS = 10;
/** Changes sent at the steady rate before measuring, so that JIT compilation is not measured. */
const WARM_UP_CHANGES = 1_000;
const SATURATION_CHANGES = 3_000;
const QUERY_TASKS = 100_000;
const QUERY_SECONDS = 5;
const QUERY_CONCURRENCY = 8;
const SEED_CONCURRENCY = 32;
/** EDDY_BENCH_TASKLIST_LIVE_ONLY=1 skips the 100,000-task query phase (for quick runs). */
const LIVE_ONLY = process.env.EDDY_BENCH_TASKLIST_LIVE_ONLY === '1';

const SELECTION =
  '{ kind position removedIds tasks { id name assignee priority taskDefinitionKey version } }';
const SUBSCRIPTION = `subscription($key: String) { taskChanges(filter: { taskDefinitionKey: $key }) ${SELECTION} }`;

const groupOf = (user: number) => `team-${user % GROUPS}`;
const keyOf = (task: number) => `step-${task % KEYS}`;
const taskGroup = (task: number) => `team-${Math.floor(task / KEYS) % GROUPS}`;

interface Delivery {
  /** When each position was accepted (tasklist) or published (bare), by position. */
  sentAt: Map<number, number>;
  latencies: number[];
  received: number;
  lastReceivedAt: number;
}

const delivery = (): Delivery => ({ sentAt: new Map(), latencies: [], received: 0, lastReceivedAt: 0 });

/** Opens USERS connections with KEYS subscriptions each; resolves once every SNAPSHOT arrived. */
async function openSubscribers(
  url: string,
  params: (user: number) => Promise<Record<string, unknown>>,
  into: { current: Delivery },
): Promise<Client[]> {
  const clients: Client[] = [];
  let snapshots = 0;
  let allSnapshots: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (allSnapshots = resolve));
  for (let user = 0; user < USERS; user++) {
    const connectionParams = await params(user);
    const client = createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams,
      retryAttempts: 0,
      lazy: false,
    });
    clients.push(client);
    for (let key = 0; key < KEYS; key++) {
      client.subscribe<{ taskChanges: { kind: string; position: string } }>(
        { query: SUBSCRIPTION, variables: { key: `step-${key}` } },
        {
          next: (result) => {
            const change = result.data?.taskChanges;
            if (!change) throw new Error(`subscription error: ${JSON.stringify(result.errors)}`);
            if (change.kind === 'SNAPSHOT') {
              if (++snapshots === USERS * KEYS) allSnapshots();
              return;
            }
            const d = into.current;
            const at = now();
            d.received++;
            d.lastReceivedAt = at;
            const sent = d.sentAt.get(Number(change.position));
            if (sent !== undefined) d.latencies.push(at - sent);
          },
          error: (error) => {
            throw error instanceof Error ? error : new Error(JSON.stringify(error));
          },
          complete: () => undefined,
        },
      );
    }
  }
  await ready;
  return clients;
}

/** Sends `count` changes at `rate` per second (or as fast as possible), then waits for their delivery. */
async function drive(
  d: Delivery,
  count: number,
  rate: number | null,
  send: (i: number) => Promise<number>,
): Promise<{ elapsedMs: number }> {
  const expected = count * (USERS / GROUPS);
  const start = now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    if (rate !== null) {
      const due = start + (i * 1000) / rate;
      const wait = due - now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    }
    inFlight.push(
      send(i).then((position) => {
        // Recorded when the command was accepted; a change may already have arrived (then no sample).
        if (!d.sentAt.has(position)) d.sentAt.set(position, now());
      }),
    );
    if (rate === null && inFlight.length >= 50) await Promise.all(inFlight.splice(0));
  }
  await Promise.all(inFlight);
  const deadline = now() + 60_000;
  while (d.received < expected && now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (d.received < expected) throw new Error(`only ${d.received} of ${expected} messages arrived`);
  return { elapsedMs: d.lastReceivedAt - start };
}

// ------------------------------------------------------------------ bare graphql-ws baseline

interface BareSubscription {
  user: number;
  key: string;
  push(value: unknown): void;
}

/** A bare graphql-ws server: no Nest, no auth, no views; publish() pushes to matching subscriptions. */
async function bareServer(): Promise<{
  url: string;
  publish(task: number, position: number): void;
  close(): Promise<void>;
}> {
  const subscriptions = new Set<BareSubscription>();
  const schema: GraphQLSchema = buildSchema(`
    type Task { id: ID! name: String! assignee: String priority: Int taskDefinitionKey: String! version: Int! }
    type TaskChange { kind: String! tasks: [Task!]! removedIds: [ID!]! position: String! }
    input TaskFilter { taskDefinitionKey: String }
    type Query { ok: Boolean }
    type Subscription { taskChanges(filter: TaskFilter): TaskChange! }
  `);
  const subscriptionType = schema.getSubscriptionType()!;
  const field = subscriptionType.getFields().taskChanges;
  field.resolve = (value) => value;
  field.subscribe = (_root, args: { filter?: { taskDefinitionKey?: string } }, context: { user: number }) => {
    const queue: unknown[] = [];
    let waiting: ((r: IteratorResult<unknown>) => void) | null = null;
    const subscription: BareSubscription = {
      user: context.user,
      key: args.filter?.taskDefinitionKey ?? '',
      push: (value) => {
        if (waiting) {
          const w = waiting;
          waiting = null;
          w({ value, done: false });
        } else queue.push(value);
      },
    };
    subscriptions.add(subscription);
    subscription.push({ kind: 'SNAPSHOT', tasks: [], removedIds: [], position: '0' });
    const iterator: AsyncIterableIterator<unknown> = {
      next: () =>
        queue.length > 0
          ? Promise.resolve({ value: queue.shift(), done: false })
          : new Promise((resolve) => (waiting = resolve)),
      return: () => {
        subscriptions.delete(subscription);
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  };
  const protocol = makeServer<Record<string, unknown> | undefined, { user: number }>({
    schema,
    context: (ctx) => ({ user: Number(ctx.connectionParams?.user) }),
  });
  const http: Server = createServer();
  const wss = new WebSocketServer({
    server: http,
    path: '/graphql',
    handleProtocols: (p) => handleProtocols(p),
  });
  wss.on('connection', (socket) => {
    const closed = protocol.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => socket.send(data, (e) => (e ? reject(e) : resolve()))),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) => socket.on('message', (data) => void handle(String(data))),
      },
      { user: -1 },
    );
    socket.once('close', (code, reason) => void closed(code, String(reason)));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  const versions = new Map<number, number>();
  return {
    url: `ws://127.0.0.1:${port}/graphql`,
    publish: (task, position) => {
      const version = (versions.get(task) ?? 0) + 1;
      versions.set(task, version);
      const message = {
        kind: 'UPSERTED',
        removedIds: [],
        position: String(position),
        tasks: [
          {
            id: `t-${task}`,
            name: `Task ${task}`,
            assignee: null,
            priority: version % 100,
            taskDefinitionKey: keyOf(task),
            version,
          },
        ],
      };
      for (const s of subscriptions)
        if (groupOf(s.user) === taskGroup(task) && s.key === keyOf(task)) s.push(message);
    },
    close: async () => {
      for (const client of wss.clients) client.close(1001);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

// ------------------------------------------------------------------ the suite

export async function run(context: BenchContext): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const current = { current: delivery() };

  context.log('bare graphql-ws baseline');
  const bare = await bareServer();
  const bareClients = await openSubscribers(bare.url, async (user) => ({ user }), current);
  let sequence = 0;
  const publishAt = (task: number) => {
    const position = ++sequence;
    bare.publish(task, position);
    return Promise.resolve(position);
  };
  await drive(current.current, WARM_UP_CHANGES, RATE, (i) => publishAt(i % POOL));
  current.current = delivery();
  const bareSteady = await drive(current.current, RATE * STEADY_SECONDS, RATE, (i) => publishAt(i % POOL));
  const bareSteadyFigures = figures(current.current, bareSteady.elapsedMs);
  current.current = delivery();
  const bareSaturated = await drive(current.current, SATURATION_CHANGES, null, (i) => publishAt(i % POOL));
  const bareSaturatedRate = perSecond(current.current.received, bareSaturated.elapsedMs);
  await Promise.all(bareClients.map((c) => c.dispose()));
  await bare.close();

  context.log('tasklist: seeding the pool');
  const harness = await TasklistHarness.start({
    tasklist: { maxSubscriptionsPerConnection: KEYS, maxQueuedChanges: 100_000, maxPageSize: 1_000 },
  });
  try {
    for (let task = 0; task < POOL; task++) {
      await harness.createTask(
        `t-${task}`,
        { taskDefinitionKey: keyOf(task), candidateGroups: [taskGroup(task)], priority: 0 },
        { wait: false },
      );
    }
    await harness.settle(60_000);
    context.log('tasklist: opening 1000 subscriptions');
    current.current = delivery();
    const clients = await openSubscribers(
      harness.wsUrl,
      async (user) => ({ Authorization: `Bearer ${await harness.token(`user-${user}`, [groupOf(user)])}` }),
      current,
    );
    let priority = 0;
    let projected: number[] = [];
    const change = async (i: number): Promise<number> => {
      const result: CommandResult = await harness.dispatch({
        type: 'UpdateTaskAttributes',
        data: { id: `t-${i % POOL}`, priority: ++priority % 1_000_000 },
      });
      if (result.status === 'rejected') throw new Error(result.error.message);
      // Where the time goes: how long the tasks view takes to show the change.
      const accepted = now();
      void harness.viewStore
        .waitForPosition(result.position, 60_000, ['tasks'])
        .then(() => projected.push(now() - accepted));
      return result.position;
    };
    context.log(`tasklist: warm-up, then ${RATE} changes per second for ${STEADY_SECONDS} s`);
    await drive(current.current, WARM_UP_CHANGES, RATE, change);
    current.current = delivery();
    projected = [];
    const steady = await drive(current.current, RATE * STEADY_SECONDS, RATE, change);
    const steadyFigures = figures(current.current, steady.elapsedMs);
    const steadyProjected = projected;
    projected = [];
    context.log(`tasklist: ${SATURATION_CHANGES} changes as fast as the core takes them`);
    current.current = delivery();
    const saturated = await drive(current.current, SATURATION_CHANGES, null, change);
    const saturatedRate = perSecond(current.current.received, saturated.elapsedMs);
    await Promise.all(clients.map((c) => c.dispose()));

    results.push(
      compared(
        'live: accepted -> received p50 at 500 changes/s',
        steadyFigures.p50,
        'ms',
        bareSteadyFigures.p50,
      ),
      compared(
        'live: accepted -> received p99 at 500 changes/s',
        steadyFigures.p99,
        'ms',
        bareSteadyFigures.p99,
      ),
      compared(
        'live: messages delivered at 500 changes/s',
        steadyFigures.rate,
        'msg/s',
        bareSteadyFigures.rate,
      ),
      compared('live: messages delivered, saturated', saturatedRate, 'msg/s', bareSaturatedRate),
      {
        metric: 'of which accepted -> tasks view written p50',
        value: percentile(steadyProjected, 50),
        unit: 'ms',
      },
      {
        metric: 'of which accepted -> tasks view written p99',
        value: percentile(steadyProjected, 99),
        unit: 'ms',
      },
    );

    if (LIVE_ONLY) return finish(context, results);
    context.log(`tasklist: seeding ${QUERY_TASKS} open tasks`);
    for (let task = POOL; task < QUERY_TASKS; task += SEED_CONCURRENCY) {
      await Promise.all(
        Array.from({ length: Math.min(SEED_CONCURRENCY, QUERY_TASKS - task) }, (_, k) =>
          harness.createTask(
            `t-${task + k}`,
            {
              taskDefinitionKey: keyOf(task + k),
              candidateGroups: [taskGroup(task + k)],
              priority: (task + k) % 100,
            },
            { wait: false },
          ),
        ),
      );
    }
    await harness.settle(300_000);
    context.log(`tasklist: tasks queries for ${QUERY_SECONDS} s, ${QUERY_CONCURRENCY} at a time`);
    const headers = await harness.as('user-3', [groupOf(3)]);
    const query =
      '{ tasks(first: 50, sort: [{ field: PRIORITY, direction: DESC }]) { totalCount nodes { id name priority } } }';
    const probe = await harness.graphql<{ tasks: { totalCount: number } }>(query, {}, headers);
    if (!probe.data) throw new Error(`tasks query failed: ${JSON.stringify(probe.errors)}`);
    // Baseline: the same query straight against the view store, without HTTP and GraphQL.
    const viewer = { userId: 'user-3', groups: [groupOf(3)] };
    const direct = await timed(() =>
      harness.viewStore.findTasks({ viewer, first: 50, sort: [{ field: 'PRIORITY', direction: 'DESC' }] }),
    );
    const api = await timed(async () => {
      const answer = await harness.graphql(query, {}, headers);
      if (!answer.data) throw new Error(JSON.stringify(answer.errors));
    });
    results.push(
      compared(
        `tasks query (first 50 of ${probe.data.tasks.totalCount} visible, ${QUERY_TASKS} open)`,
        api.rate,
        'queries/s',
        direct.rate,
      ),
      compared('tasks query latency p50', api.p50, 'ms', direct.p50),
      compared('tasks query latency p99', api.p99, 'ms', direct.p99),
    );
  } finally {
    await harness.close();
  }
  return finish(context, results);
}

/** Says whether the targets are met: p99 under 100 ms, saturated delivery at least half the bare rate. */
function finish(context: BenchContext, results: BenchResult[]): BenchResult[] {
  const p99 = results.find((r) => r.metric.includes('p99 at 500'))!;
  const saturatedResult = results.find((r) => r.metric.includes('saturated'))!;
  context.log(
    `targets: p99 ${round(p99.value)} ms (< 100: ${p99.value < 100 ? 'met' : 'MISSED'}), saturated delivery ${round(
      (saturatedResult.ratio ?? 0) * 100,
    )}% of bare (>= 50%: ${(saturatedResult.ratio ?? 0) >= 0.5 ? 'met' : 'MISSED'})`,
  );
  return results;
}

/** Runs `operation` QUERY_CONCURRENCY at a time for QUERY_SECONDS: rate and latency percentiles. */
async function timed(operation: () => Promise<unknown>): Promise<{ rate: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  const start = now();
  await Promise.all(
    Array.from({ length: QUERY_CONCURRENCY }, async () => {
      while (now() - start < QUERY_SECONDS * 1000) {
        const t0 = now();
        await operation();
        latencies.push(now() - t0);
      }
    }),
  );
  return {
    rate: perSecond(latencies.length, now() - start),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

function figures(d: Delivery, elapsedMs: number): { p50: number; p99: number; rate: number } {
  return {
    p50: percentile(d.latencies, 50),
    p99: percentile(d.latencies, 99),
    rate: perSecond(d.received, elapsedMs),
  };
}
