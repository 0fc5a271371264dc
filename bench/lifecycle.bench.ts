/**
 * Process lifecycle benchmark: `npm run bench -- lifecycle`.
 *
 * How fast a started process instance becomes a task that a user can see: the embedded engine runs
 * `bpmn/invoice-approval.bpmn` (start event, then the user task "Review invoice" with FEEL attributes), the
 * collector turns each engine transaction into StartProcessInstance + CreateTask, the core appends them to the
 * SQLite event store, and the projection runner writes the task into the tasks view (memory view store). The
 * engine client follows the log as in production. Everything runs with the defaults: full durability (fsync)
 * for the engine's file and for the event store.
 *
 * The same pipeline with the engine on a thread of its own (`EDDY_ENGINE_THREAD=on`, `EmbeddedEngineThread`), its
 * figures against those of the pipeline with the engine on the main thread, measured just before in the same run.
 *
 * Baseline in the same run: the bare engine running the same process, its transactions acknowledged at once
 * by a handler that does nothing; "visible" is then the delivery of the transaction holding the task.
 *
 * Loads: as fast as it goes with a bounded number of instances in flight (the rate), and steady offered
 * loads (starts at fixed intervals, whatever the system does) for the latency percentiles: the target rate,
 * half and 80% of the full pipeline's measured rate.
 */
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { CommandBus } from '@nestjs/cqrs';
import { Logger } from '@nestjs/common';
import { upcastEvent, type CommandDispatcher } from '@eddy/contracts';
import {
  BpmnDeployer,
  EmbeddedEngineThread,
  EmbeddedProcessEngine,
  EngineClient,
  MemoryCheckpointStore,
  TransactionCollector,
  type ProcessEngine,
} from '@eddy/collector';
import { openSqliteEventStore, withUpcasting, type EventStore } from '@eddy/eventstore';
import { handleCommandOptions } from '@eddy/taskpool';
import {
  CoreCommandDispatcher,
  ExecuteProcessDefinitionCommand,
  ExecuteProcessInstanceCommand,
  ExecuteTaskCommand,
  ProcessDefinitionCommandHandler,
  ProcessInstanceCommandHandler,
  TaskCommandHandler,
} from '@eddy/taskpool';
import { DataEntryCommandHandler, ExecuteDataEntryCommand } from '@eddy/datapool';
import {
  MemoryViewStore,
  ProjectionRunner,
  processDefinitionsProjection,
  processInstancesProjection,
  tasksProjection,
} from '@eddy/projections';
import { bpmnEngineCeiling } from './lib/bpmn-engine-ceiling';
import { fsyncLatencyMs, now, percentile, perSecond } from './lib/measure';
import { compared, type BenchResult } from './lib/report';
import { type BenchContext } from './lib/suite';

const PROCESS = 'invoice-approval';
const APPLICATION = 'eddy';
const WARMUP = 100;
const MAX_RATE_INSTANCES = 1_000;
const IN_FLIGHT = 128;
/** The target rate, offered whether or not the system keeps up. */
const OFFERED_RATE = 500;
const OFFERED_SECONDS = 2;
/** A second steady load both subjects can carry: this share of the full pipeline's measured rate. */
const SUSTAINABLE_SHARE = 0.5;
const SUSTAINABLE_INSTANCES = 200;
/** The load of the latency target (a task visible within 0.5 s of its start): this share of the full rate. */
const NEAR_FULL_SHARE = 0.8;
const NEAR_FULL_INSTANCES = 400;
/** Instances each worker thread starts when the library's own ceiling is measured. */
const CEILING_INSTANCES = 3_000;
const variables = (i: number) => ({
  invoiceNumber: `INV-${i}`,
  supplier: 'ACME',
  amount: 100 + (i % 900),
  submitter: 'sam',
});

/** A running system under test: starts instances and tells when each one's first task is visible. */
interface Subject {
  engine: ProcessEngine;
  /** Resolves when the first task of the instance is visible. */
  visible(instanceId: string): Promise<void>;
  close(): Promise<void>;
}

/** Marks instances as visible and wakes whoever waits for them, whichever comes first. */
class Visibility {
  private readonly seen = new Set<string>();
  private readonly waiters = new Map<string, () => void>();

  mark(instanceId: string): void {
    const waiter = this.waiters.get(instanceId);
    if (waiter) {
      this.waiters.delete(instanceId);
      waiter();
    } else this.seen.add(instanceId);
  }

  wait(instanceId: string): Promise<void> {
    if (this.seen.delete(instanceId)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.set(instanceId, resolve));
  }
}

export async function run(context: BenchContext): Promise<BenchResult[]> {
  // The suite measures, it does not log: Nest's per-instance log lines would cost more than the work.
  Logger.overrideLogger(['error']);
  const probeDir = context.tempDir('fsync');
  const fsyncBefore = fsyncLatencyMs(probeDir);
  const bpmnDir = resolve(context.root, 'bpmn');

  // The full pipeline first: half its rate is the steady load that both subjects are then offered.
  context.log('engine + collector + core + event store + tasks view');
  const full = await fullPipeline(context.tempDir('full'), bpmnDir);
  const fullFigures = await measure(context, full.subject);
  const storeRate = full.storeRate();
  await full.subject.close();

  context.log('the same with the engine on a thread of its own');
  const threaded = await fullPipeline(context.tempDir('threaded'), bpmnDir, 'thread');
  const threadedFigures = await measure(context, threaded.subject);
  await threaded.subject.close();

  context.log('bare engine');
  const bare = await bareEngine(context.tempDir('bare'), bpmnDir);
  const bareFigures = await measure(context, bare, fullFigures);
  await bare.close();

  // What bpmn-engine alone reaches on this machine, with nothing of Eddy's around it: the bound on any
  // adapter built on it (see bench/lib/bpmn-engine-ceiling.ts).
  const bpmnFile = join(bpmnDir, `${PROCESS}.bpmn`);
  const cores = availableParallelism();
  context.log('bpmn-engine alone (no FEEL, nothing stored), one worker thread, then one per core');
  const ceilingOne = await bpmnEngineCeiling(bpmnFile, 1, CEILING_INSTANCES);
  const ceilingAll = await bpmnEngineCeiling(bpmnFile, cores, CEILING_INSTANCES);
  context.log(`  ${Math.round(ceilingOne)}/s on one thread, ${Math.round(ceilingAll)}/s on ${cores}`);

  return [
    compared(
      `instances/s to first task in the tasks view (${IN_FLIGHT} in flight)`,
      fullFigures.rate,
      'instances/s',
      bareFigures.rate,
    ),
    {
      metric: 'instances/s to first task in the event store (same run)',
      value: storeRate,
      unit: 'instances/s',
    },
    compared(
      `offered ${OFFERED_RATE}/s for ${OFFERED_SECONDS} s: achieved`,
      fullFigures.offered.rate,
      'instances/s',
      bareFigures.offered.rate,
    ),
    compared(
      `offered ${OFFERED_RATE}/s: start to visible task p50`,
      fullFigures.offered.p50,
      'ms',
      bareFigures.offered.p50,
    ),
    compared(
      `offered ${OFFERED_RATE}/s: start to visible task p99`,
      fullFigures.offered.p99,
      'ms',
      bareFigures.offered.p99,
    ),
    compared(
      `offered ${fullFigures.steadyRate}/s (half the full rate): start to visible task p50`,
      fullFigures.steady.p50,
      'ms',
      bareFigures.steady.p50,
    ),
    compared(
      `offered ${fullFigures.steadyRate}/s (half the full rate): start to visible task p99`,
      fullFigures.steady.p99,
      'ms',
      bareFigures.steady.p99,
    ),
    compared(
      `offered ${fullFigures.nearFullRate}/s (80% of the full rate): start to visible task p50`,
      fullFigures.nearFull.p50,
      'ms',
      bareFigures.nearFull.p50,
    ),
    compared(
      `offered ${fullFigures.nearFullRate}/s (80% of the full rate): start to visible task p99`,
      fullFigures.nearFull.p99,
      'ms',
      bareFigures.nearFull.p99,
    ),
    compared(
      `engine on its own thread: instances/s to first task in the tasks view (against the engine on the main thread)`,
      threadedFigures.rate,
      'instances/s',
      fullFigures.rate,
    ),
    compared(
      `engine on its own thread: offered ${OFFERED_RATE}/s: start to visible task p99 (against the main thread)`,
      threadedFigures.offered.p99,
      'ms',
      fullFigures.offered.p99,
    ),
    compared(
      `engine on its own thread: offered ${threadedFigures.nearFullRate}/s (80% of its rate): p50 (against the main thread's at 80% of its rate)`,
      threadedFigures.nearFull.p50,
      'ms',
      fullFigures.nearFull.p50,
    ),
    compared(
      `engine on its own thread: offered ${threadedFigures.nearFullRate}/s (80% of its rate): p99 (against the main thread's at 80% of its rate)`,
      threadedFigures.nearFull.p99,
      'ms',
      fullFigures.nearFull.p99,
    ),
    compared(
      'engine on its own thread: bpmn-engine alone, 1 thread (threaded pipeline against it)',
      threadedFigures.rate,
      'instances/s',
      ceilingOne,
    ),
    compared(
      'bpmn-engine alone, 1 thread: starts to first wait (full pipeline against it)',
      fullFigures.rate,
      'instances/s',
      ceilingOne,
    ),
    {
      metric: `bpmn-engine alone, ${cores} threads (one per core): starts to first wait`,
      value: ceilingAll,
      unit: 'instances/s',
    },
    { metric: 'disk fsync latency p50, before the run', value: fsyncBefore, unit: 'ms' },
    { metric: 'disk fsync latency p50, after the run', value: fsyncLatencyMs(probeDir), unit: 'ms' },
  ];
}

/**
 * The subject's figures; the steady loads are shares of its own rate, or the rates of `offeredAs` (the full
 * pipeline's) so that the baseline carries the same loads.
 */
async function measure(
  context: BenchContext,
  subject: Subject,
  offeredAs?: { steadyRate: number; nearFullRate: number },
) {
  let counter = 0;
  /** Starts one instance; resolves with the ms from `from` (default: now) to its visible task. */
  const startOne = async (from = now()): Promise<number> => {
    const { instanceId } = await subject.engine.startProcessInstance({
      definitionKey: PROCESS,
      variables: variables(counter),
      businessKey: `INV-${counter++}`,
    });
    await subject.visible(instanceId);
    return now() - from;
  };

  // Closed loop: at most IN_FLIGHT instances between their start and their visible task.
  const closedLoop = async (count: number) => {
    let left = count;
    const begin = now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (left > 0) {
          left--;
          await startOne();
        }
      }),
    );
    return perSecond(count, now() - begin);
  };

  await closedLoop(WARMUP);
  const rate = await closedLoop(MAX_RATE_INSTANCES);
  context.log(`  ${Math.round(rate)} instances/s with ${IN_FLIGHT} in flight`);

  const offered = await openLoop(OFFERED_RATE, OFFERED_RATE * OFFERED_SECONDS);
  context.log(
    `  offered ${OFFERED_RATE}/s: ${Math.round(offered.rate)}/s achieved, p50 ${offered.p50.toFixed(1)} ms, p99 ${offered.p99.toFixed(1)} ms`,
  );
  const steadyRate = offeredAs?.steadyRate ?? Math.max(1, Math.floor(rate * SUSTAINABLE_SHARE));
  const steady = await openLoop(steadyRate, SUSTAINABLE_INSTANCES);
  context.log(
    `  offered ${steadyRate}/s: ${Math.round(steady.rate)}/s achieved, p50 ${steady.p50.toFixed(1)} ms, p99 ${steady.p99.toFixed(1)} ms`,
  );
  const nearFullRate = offeredAs?.nearFullRate ?? Math.max(1, Math.floor(rate * NEAR_FULL_SHARE));
  const nearFull = await openLoop(nearFullRate, NEAR_FULL_INSTANCES);
  context.log(
    `  offered ${nearFullRate}/s: ${Math.round(nearFull.rate)}/s achieved, p50 ${nearFull.p50.toFixed(1)} ms, p99 ${nearFull.p99.toFixed(1)} ms`,
  );
  return { rate, offered, steadyRate, steady, nearFullRate, nearFull };

  /** Starts at fixed intervals whatever the system does; latency counts from the planned start. */
  async function openLoop(perSecondRate: number, total: number) {
    const latencies: number[] = [];
    const begin = now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = begin + (i * 1000) / perSecondRate;
      const wait = due - now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      pending.push(startOne(due).then((ms) => void latencies.push(ms)));
    }
    await Promise.all(pending);
    return {
      rate: perSecond(total, now() - begin),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
    };
  }
}

async function deploy(engine: ProcessEngine, bpmnDir: string): Promise<void> {
  const { readFileSync } = await import('node:fs');
  const file = `${PROCESS}.bpmn`;
  await engine.deploy({ xml: readFileSync(join(bpmnDir, file), 'utf8'), resourceName: file });
}

async function bareEngine(dataDir: string, bpmnDir: string): Promise<Subject> {
  const engine = await EmbeddedProcessEngine.open({ dataDir });
  const visibility = new Visibility();
  engine.onTransaction(async (tx) => {
    if (tx.events.some((e) => e.type === 'task.created')) visibility.mark(tx.processInstanceId);
  });
  await deploy(engine, bpmnDir);
  return { engine, visible: (id) => visibility.wait(id), close: () => engine.close() };
}

/** The core's dispatcher with its handlers, wired by hand: tsx does not emit the metadata Nest's injection reads. */
function coreDispatcher(store: EventStore): CommandDispatcher {
  const options = { maxRetries: 5 };
  const task = new TaskCommandHandler(store, options);
  const definitions = new ProcessDefinitionCommandHandler(store, options);
  const instances = new ProcessInstanceCommandHandler(store, options);
  const entries = new DataEntryCommandHandler(store, handleCommandOptions(options));
  const bus = {
    execute: (message: object) => {
      if (message instanceof ExecuteTaskCommand) return task.execute(message);
      if (message instanceof ExecuteProcessInstanceCommand) return instances.execute(message);
      if (message instanceof ExecuteProcessDefinitionCommand) return definitions.execute(message);
      if (message instanceof ExecuteDataEntryCommand) return entries.execute(message);
      throw new Error(`no handler for ${message.constructor.name}`);
    },
  };
  return new CoreCommandDispatcher(bus as unknown as CommandBus);
}

/** The full pipeline, with the engine on the main thread or on a thread of its own. */
async function fullPipeline(dataDir: string, bpmnDir: string, engineOn: 'main' | 'thread' = 'main') {
  const store = withUpcasting(
    openSqliteEventStore({ filename: join(dataDir, 'events.sqlite') }),
    upcastEvent,
  );
  const dispatcher = coreDispatcher(store);
  const engine =
    engineOn === 'thread'
      ? await EmbeddedEngineThread.open({ dataDir })
      : await EmbeddedProcessEngine.open({ dataDir });
  const collector = new TransactionCollector(engine, dispatcher, {
    applicationName: APPLICATION,
    correlations: [{ processDefinitionKey: PROCESS, variable: 'invoiceNumber', entryType: 'invoice' }],
  });
  collector.start();
  await new BpmnDeployer(engine, dispatcher, { applicationName: APPLICATION, bpmnDir }).deployAll();
  const client = new EngineClient(store, engine, new MemoryCheckpointStore(), {
    applicationName: APPLICATION,
  });
  await client.start();

  const views = new MemoryViewStore();
  const runner = new ProjectionRunner(store, views, [
    tasksProjection,
    processInstancesProjection,
    processDefinitionsProjection,
  ]);
  await runner.start();
  const visibility = new Visibility();
  const subscription = await views.subscribe(
    { after: 0, views: ['tasks'] },
    {
      next: (changes) => {
        for (const change of changes) {
          if (change.kind === 'upserted' && change.view === 'tasks' && change.document.version === 0) {
            visibility.mark(change.document.sourceReference.instanceId);
          }
        }
      },
    },
  );

  // The event store's own figure: tasks created per second, over the busiest stretch of the log.
  const abort = new AbortController();
  const created: number[] = [];
  const following = (async () => {
    for await (const batch of store.subscribeToAll({ signal: abort.signal })) {
      for (const event of batch) if (event.type === 'TaskCreated') created.push(now());
    }
  })().catch(() => undefined);

  return {
    subject: {
      engine,
      visible: (id: string) => visibility.wait(id),
      close: async () => {
        abort.abort();
        subscription.close();
        await following;
        await client.stop();
        await runner.stop();
        await engine.close();
        collector.stop();
        await store.close();
      },
    } satisfies Subject,
    /** Tasks created per second over the closed-loop measurement (after the warm-up). */
    storeRate: () => {
      const stretch = created.slice(WARMUP, WARMUP + MAX_RATE_INSTANCES);
      return perSecond(stretch.length - 1, stretch[stretch.length - 1] - stretch[0]);
    },
  };
}
