/**
 * Distributed benchmark: `npm run bench -- distributed`.
 *
 * Commands from the command API (`POST /api/commands`) to a live `taskChanges` subscriber (graphql-ws)
 * in the distributed layout of `test/support/distributed-cluster.ts`: separate processes `collector,
 * core,relay` (which takes the commands), `projector` and two `api` replicas (the subscriber is on the
 * second), on PostgreSQL, Kafka and the MongoDB-compatible server; a command travels core -> event store
 * -> relay -> Kafka -> projector -> MongoDB view -> change stream -> api -> subscriber. Every command is
 * a `CreateTask` the subscriber may see, so each is one pushed change. Figures:
 * - accepted -> pushed p50 and p99 at a steady offered load of 100 commands/s (one command a request);
 * - commands per second through to the subscriber, a burst of 1,500 sent as fast as the command API
 *   takes them (20 a request, 3 requests at a time), from the first send to the last push.
 * Baseline in the same run: the single node (every role in one process, `EDDY_ROLES=all`) on the same
 * PostgreSQL event store and MongoDB views, which projects from the event store itself and pushes to a
 * subscriber of its own; measured first, then the distributed layout, one after the other so that
 * neither runs beside the other. Both without an engine (`EDDY_ENGINE=none`): the commands need none.
 *
 * The suite brings the servers up itself for each layout (`scripts/infra/infra.sh`, on the
 * `EDDY_INFRA_*` ports) and down after it, unless they were up before; a server that cannot start ends
 * the run with its reason. When a layout fails, its processes' logs are kept in `.eddy-tmp/bench-logs/`.
 */
import { aCreateTaskCommand } from '@eddy/testing/command.fixtures';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { wsClient } from '../test/helpers/graphql';
import { CommandBurst, type WireCommand } from '../test/support/command-burst';
import { type ClusterLayout, DistributedCluster } from '../test/support/distributed-cluster';
import { type EddyProcess } from '../test/support/eddy-process';
import { HopSpans, type HopFigures } from './lib/hop-spans';
import { now, percentile, perSecond } from './lib/measure';
import { PushLatency } from './lib/push-latency';
import { startRealServers } from './lib/real-servers';
import { type BenchResult, compared, round } from './lib/report';
import { sendAtSteadyRate } from './lib/steady-rate';
import { type BenchContext } from './lib/suite';

const SERVERS = ['postgres', 'kafka', 'mongo'] as const;
const STEADY_RATE = 100;
const STEADY_SECONDS = 15;
/** Commands at the steady rate before measuring: connections, JIT, the first view writes. */
const WARM_UP = 200;
const BURST = 1_500;
const BURST_BATCH = 20;
const BURST_CONCURRENCY = 3;
/**
 * How long the subscriber may go without a change of the phase before the run fails: generous, on a
 * loaded machine the projector writes its batches slowly, but a stalled pipeline must end the run.
 */
const PUSH_IDLE_MS = 120_000;
/** The floors of issue 12 (judged on a quiet machine): distributed throughput / single node, p99. */
const THROUGHPUT_FLOOR = 0.3;
const P99_CEILING_MS = 500;
const TRACE_HOPS = process.env.EDDY_BENCH_DISTRIBUTED_HOPS === 'on';

const clerk = { id: 'clara', groups: ['clerks'] };
const TASK_CHANGES = 'subscription { taskChanges { kind tasks { id } } }';

interface LayoutFigures {
  p50: number;
  p99: number;
  offeredPerSecond: number;
  /** Commands per second from the first send to the last push. */
  throughput: number;
  /** Commands per second from the first send to the last answer of the command API. */
  acceptedPerSecond: number;
  loadBefore: number;
  /** The hops of the steady phase (`EDDY_BENCH_DISTRIBUTED_HOPS=on`, distributed layout only). */
  hops?: HopFigures[];
}

/** A subscriber of every task the clerks see, handing each pushed task to the batch of the phase. */
async function subscribe(context: BenchContext, url: string, phase: Phase) {
  const client = wsClient(url, clerk);
  let snapshot: () => void = () => undefined;
  let failed: (error: Error) => void = () => undefined;
  const subscribed = new Promise<void>((resolve, reject) => {
    snapshot = resolve;
    // After the snapshot the failure ends the wait of the phase.
    failed = (error) => {
      context.log(`the subscription failed: ${error.message}`);
      reject(error);
      phase.failure ??= error;
      phase.current?.fail(error);
    };
  });
  client.subscribe<{ taskChanges: { kind: string; tasks: { id: string }[] } }>(
    { query: TASK_CHANGES },
    {
      next: (message) => {
        const change = message.data?.taskChanges;
        if (!change) return failed(new Error(`subscription error: ${JSON.stringify(message.errors)}`));
        if (change.kind === 'SNAPSHOT') return snapshot();
        const at = now();
        for (const task of change.tasks) phase.current?.pushed(task.id, at);
      },
      error: (error) => failed(subscriptionError(error)),
      complete: () => undefined,
    },
  );
  await subscribed;
  return client;
}

/** graphql-ws ends a subscription with an error, a close event of the socket, or GraphQL errors. */
function subscriptionError(error: unknown): Error {
  if (error instanceof Error) return error;
  const close = error as { code?: unknown; reason?: unknown };
  if (typeof close.code === 'number')
    return new Error(
      `the socket closed with ${close.code}${close.reason ? ` (${String(close.reason)})` : ''}`,
    );
  return new Error(JSON.stringify(error));
}

/** The commands of one phase: new tasks for the clerks, `<phase>-t-<i>`. */
function phaseCommands(phase: string, count: number): WireCommand[] {
  return Array.from({ length: count }, (_, i) =>
    aCreateTaskCommand(`${phase}-c-${i}`, `${phase}-t-${i}`, { candidateGroups: clerk.groups }),
  );
}

/** The batch of the phase that is measured, and why the subscription ended if it did. */
interface Phase {
  current?: PushLatency;
  failure?: Error;
}

/** Starts the phase of `commands`: the batch that waits for their pushes. */
function startPhase(phase: Phase, commands: readonly WireCommand[]): PushLatency {
  phase.current = new PushLatency(new Set(commands.map((c) => String(c.data.id))));
  if (phase.failure) phase.current.fail(phase.failure);
  return phase.current;
}

/** Sends `commands` one a request at the steady rate; resolves once each was pushed. */
async function steady(core: EddyProcess, commands: readonly WireCommand[], batch: PushLatency) {
  const sender = new CommandBurst(() => [core], { batchSize: 1, concurrency: 1 });
  const run = await sendAtSteadyRate(commands.length, STEADY_RATE, async (i) => {
    await sender.send([commands[i]]);
    if (!sender.accepted.has(commands[i].commandId))
      throw new Error(`the command API refused ${JSON.stringify(sender.refused)}`);
    batch.accepted(String(commands[i].data.id));
  });
  await batch.allPushed(PUSH_IDLE_MS);
  return run;
}

async function measure(context: BenchContext, layout: ClusterLayout): Promise<LayoutFigures> {
  const loadBefore = loadavg()[0];
  context.log(`${layout}: starting (load average ${loadBefore.toFixed(1)})`);
  const spans = TRACE_HOPS && layout === 'distributed' ? await new HopSpans().start() : undefined;
  const cluster = await DistributedCluster.start({
    layout,
    prefix: 'distbench',
    env: { EDDY_ENGINE: 'none', ...(spans ? { EDDY_TRACING_OTLP_URL: spans.url } : {}) },
  });
  const phase: Phase = {};
  try {
    const core = cluster.process(layout === 'single-node' ? 'node' : 'core');
    const subscriber = await subscribe(
      context,
      cluster.url(layout === 'single-node' ? 'node' : 'api2'),
      phase,
    );
    try {
      context.log(`${layout}: warm-up, ${WARM_UP} commands at ${STEADY_RATE}/s`);
      const warmUp = phaseCommands('warm-up', WARM_UP);
      await steady(core, warmUp, startPhase(phase, warmUp));

      context.log(`${layout}: ${STEADY_RATE} commands/s for ${STEADY_SECONDS} s`);
      const steadyCommands = phaseCommands('steady', STEADY_RATE * STEADY_SECONDS);
      const steadyBatch = startPhase(phase, steadyCommands);
      const offered = await steady(core, steadyCommands, steadyBatch);
      const latencies = steadyBatch.latencies();
      const hops = spans && (await steadyHops(context, spans, steadyCommands));

      context.log(
        `${layout}: a burst of ${BURST} commands, ${BURST_BATCH} a request, ${BURST_CONCURRENCY} at a time`,
      );
      const burstCommands = phaseCommands('burst', BURST);
      const burstBatch = startPhase(phase, burstCommands);
      const burst = new CommandBurst(() => [core], {
        batchSize: BURST_BATCH,
        concurrency: BURST_CONCURRENCY,
      });
      const start = now();
      await burst.send(burstCommands);
      const answeredAt = now();
      if (burst.refused.length > 0)
        throw new Error(
          `the command API refused ${burst.refused.length} commands: ${JSON.stringify(burst.refused[0])}`,
        );
      await burstBatch.allPushed(PUSH_IDLE_MS);
      const figures: LayoutFigures = {
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        offeredPerSecond: offered.offeredPerSecond,
        throughput: perSecond(BURST, burstBatch.lastPushedAt - start),
        acceptedPerSecond: perSecond(BURST, answeredAt - start),
        loadBefore,
        ...(hops ? { hops } : {}),
      };
      context.log(
        `${layout}: p50 ${round(figures.p50)} ms, p99 ${round(figures.p99)} ms, ${round(figures.throughput)} commands/s`,
      );
      return figures;
    } finally {
      await subscriber.dispose();
    }
  } catch (error) {
    throw new Error(
      `${layout}: ${error instanceof Error ? error.message : String(error)}; ${keepLogs(context, cluster)}`,
      {
        cause: error,
      },
    );
  } finally {
    await cluster.stop();
    await spans?.stop();
  }
}

/** The hops of the steady phase's traces, once the processes have exported them. */
async function steadyHops(
  context: BenchContext,
  spans: HopSpans,
  commands: readonly WireCommand[],
): Promise<HopFigures[]> {
  const ids = new Set(commands.map((c) => String(c.data.id)));
  await spans.settled(ids);
  const { complete, figures } = spans.hops(ids);
  context.log(`hops of ${complete} of ${ids.size} traces of the steady phase:`);
  for (const f of figures) context.log(`  ${f.hop}: p50 ${round(f.p50)} ms, p99 ${round(f.p99)} ms`);
  return figures;
}

/** Writes the log of every process of `cluster` to `.eddy-tmp/bench-logs/` (kept); says where. */
function keepLogs(context: BenchContext, cluster: DistributedCluster): string {
  const dir = join(context.root, '.eddy-tmp', 'bench-logs', `distributed-${cluster.run}`);
  mkdirSync(dir, { recursive: true });
  for (const member of [...Object.values(cluster.members), ...cluster.extras])
    if (member) writeFileSync(join(dir, `${member.name}.log`), member.log.join('\n'));
  return `the processes' logs are in ${dir}`;
}

export async function run(context: BenchContext): Promise<BenchResult[]> {
  const single = await onFreshServers(context, 'single-node');
  const distributed = await onFreshServers(context, 'distributed');
  const results: BenchResult[] = [
    compared(
      `commands/s, command API -> subscriber on another api (burst of ${BURST})`,
      distributed.throughput,
      'commands/s',
      single.throughput,
    ),
    compared(`accepted -> pushed p50 at ${STEADY_RATE} commands/s`, distributed.p50, 'ms', single.p50),
    compared(`accepted -> pushed p99 at ${STEADY_RATE} commands/s`, distributed.p99, 'ms', single.p99),
    compared(
      'of which: commands/s answered by the command API (burst)',
      distributed.acceptedPerSecond,
      'commands/s',
      single.acceptedPerSecond,
    ),
    compared(
      'offered load of the steady phase',
      distributed.offeredPerSecond,
      'commands/s',
      single.offeredPerSecond,
    ),
    compared('load average (1 min) before the layout started', distributed.loadBefore, '', single.loadBefore),
    { metric: 'load average (1 min) after the run', value: loadavg()[0], unit: '' },
    ...(distributed.hops ?? []).flatMap((h) => [
      { metric: `hop p50 at ${STEADY_RATE}/s: ${h.hop}`, value: round(h.p50), unit: 'ms' },
      { metric: `hop p99 at ${STEADY_RATE}/s: ${h.hop}`, value: round(h.p99), unit: 'ms' },
    ]),
  ];
  const ratio = distributed.throughput / single.throughput;
  context.log(
    `floors (judged on a quiet machine): throughput ${ratio.toFixed(2)} of single node (>= ${THROUGHPUT_FLOOR}: ${
      ratio >= THROUGHPUT_FLOOR ? 'met' : 'MISSED'
    }), p99 ${round(distributed.p99)} ms at ${STEADY_RATE}/s (< ${P99_CEILING_MS}: ${
      distributed.p99 < P99_CEILING_MS ? 'met' : 'MISSED'
    })`,
  );
  return results;
}

/**
 * Measures `layout` on servers brought up for it and down after it, so that what one layout left in
 * them (the MongoDB-compatible server keeps everything in memory, its oplog included) does not weigh on
 * the next. Servers that were up before the run are kept, and then shared by both layouts.
 */
async function onFreshServers(context: BenchContext, layout: ClusterLayout): Promise<LayoutFigures> {
  const servers = startRealServers(context, SERVERS);
  try {
    return await measure(context, layout);
  } finally {
    servers.stop();
  }
}
