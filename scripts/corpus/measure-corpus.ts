/**
 * Measures how much of a corpus of Camunda 8 models the embedded engine runs (docs/corpus.md):
 *   npx tsx scripts/corpus/measure-corpus.ts <folder> [--json]
 * Every `.bpmn` file below the folder is one model; the `.dmn` files of its folder are deployed with it.
 * Per model it reports: deployed, refused (naming the elements and why), or broken (any other error); for a
 * deployed one, how far an instance gets (started at its none start event, or else by the message of its
 * message start event or the signal of its signal start event) when every job is completed at once and nobody acts: a user task, its end, a wait
 * that Camunda 8 would wait at too (a message, a timer, a job: `waits as on Camunda`, naming the elements), another
 * wait (`waiting`, naming the elements), or an incident. Reads the folder only; fetches nothing.
 */
import { Logger } from '@nestjs/common';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { EngineError } from '../../libs/collector/src/engine/engine.errors';
import { type Runtime } from '../../libs/collector/src/engine/embedded/instance-state';
import { type EngineTransaction } from '../../libs/collector/src/engine/engine.port';
import {
  EmbeddedProcessEngine,
  type ServiceTaskHandler,
} from '../../libs/collector/src/engine/embedded/embedded.engine';

type Outcome = 'user task' | 'ended' | 'waits as on Camunda' | 'waiting' | 'incident' | 'not started';

interface ModelResult {
  model: string;
  status: 'deployed' | 'refused' | 'broken';
  /** Refused: `elementId (type): reason` per element; broken: the error. */
  problems: string[];
  hasUserTasks: boolean;
  outcome?: Outcome;
  detail?: string;
}

/** How long an instance may stay without a new transaction before it counts as waiting. */
const QUIET_MS = 1_500;

/**
 * The inputs of a scenario (`scenarios.json`): what a start gives and what the workers of a job type answer,
 * chosen to take a model to its first user task (each with the reason why it leads there).
 */
interface Scenario {
  why: string;
  variables?: Record<string, unknown>;
  /** Per job type: the variables the worker completes it with, or the BPMN error it throws. */
  jobs?: Record<string, { complete: Record<string, unknown> } | { throwError: string }>;
}

/**
 * Every job type has an in-process worker that completes it at once (with the scenario's variables for its
 * type, or none), except the types whose scenario worker throws a BPMN error: those wait for the worker of
 * {@link serveWaitingJobs}, as do task listeners' jobs (in-process handlers do not serve them).
 */
function workers(scenario: Scenario | undefined): Record<string, ServiceTaskHandler> {
  const throws = (type: string) => 'throwError' in (scenario?.jobs?.[type] ?? {});
  return new Proxy({} as Record<string, ServiceTaskHandler>, {
    get: (_, type: string) => {
      if (throws(type)) return undefined;
      const answer = scenario?.jobs?.[type];
      return () => (answer && 'complete' in answer ? answer.complete : {});
    },
    has: (_, type: string) => !throws(type),
  });
}

async function measureModel(root: string, file: string, scenario?: Scenario): Promise<ModelResult> {
  const xml = readFileSync(file, 'utf8');
  const model = relative(root, file);
  const hasUserTasks = /<(\w+:)?userTask\b/.test(xml);
  const engine = await EmbeddedProcessEngine.open({
    dataDir: tmpdir(),
    inMemory: true,
    serviceHandlers: workers(scenario),
    serviceRetries: { maxAttempts: 1 },
  });
  const result: ModelResult = { model, status: 'deployed', problems: [], hasUserTasks };
  try {
    const folder = dirname(file);
    for (const dmn of readdirSync(folder).filter((f) => f.endsWith('.dmn'))) {
      try {
        await engine.deploy({ xml: readFileSync(join(folder, dmn), 'utf8'), resourceName: dmn });
      } catch (error) {
        result.problems.push(`${dmn}: ${(error as Error).message}`);
      }
    }
    let definitionKey: string;
    try {
      const [deployed] = await engine.deploy({ xml, resourceName: basename(file) });
      definitionKey = deployed.key;
    } catch (error) {
      if (error instanceof EngineError && error.code === 'UNSUPPORTED_ELEMENT') {
        result.status = 'refused';
        result.problems.push(...error.details.map((d) => `${d.elementId} (${d.elementType}): ${d.reason}`));
      } else {
        result.status = 'broken';
        result.problems.push((error as Error).message);
      }
      return result;
    }
    result.outcome = 'not started';
    const followed = follow(engine, () => serveWaitingJobs(engine, instanceId, scenario));
    let instanceId: string | undefined;
    try {
      instanceId = (await engine.startProcessInstance({ definitionKey, variables: scenario?.variables }))
        .instanceId;
    } catch (error) {
      // A process without a none start event is started on Camunda by its message start event's message, or
      // by a broadcast of its signal start event's signal.
      const messageName = startReferenceOf(xml, 'message');
      const signalName = startReferenceOf(xml, 'signal');
      if (!(error instanceof EngineError && error.code === 'NOT_STARTABLE' && (messageName || signalName))) {
        followed.stop();
        result.detail = (error as Error).message;
        return result;
      }
      const started = messageName
        ? await engine.correlateMessage({ name: messageName, correlationKey: '' })
        : await engine.broadcastSignal({ signalName: signalName! });
      instanceId = started.instanceIds[0];
    }
    const { outcome, detail } = await followed.outcome;
    result.outcome = outcome;
    result.detail = detail;
    if (outcome === 'waiting' && instanceId) {
      const waits = waitsOf(engine, instanceId);
      result.detail = waits.map((w) => `${w.elementId} (${w.kind})`).join(', ');
      if (waits.length > 0 && waits.every((w) => w.asOnCamunda)) result.outcome = 'waits as on Camunda';
    }
    return result;
  } finally {
    await engine.close();
  }
}

/**
 * The worker of the jobs that wait (task listeners' jobs, and the job types whose scenario worker throws a
 * BPMN error), as a job worker of the process application would serve them through the job API: completes
 * each waiting job, or throws the scenario's error. Resolves with how many it served.
 */
async function serveWaitingJobs(
  engine: EmbeddedProcessEngine,
  instanceId: string | undefined,
  scenario: Scenario | undefined,
): Promise<number> {
  const rt = instanceId === undefined ? undefined : runtimeOf(engine, instanceId);
  const waiting = Object.values(rt?.meta.jobs ?? {}).filter((job) => !job.incident);
  let served = 0;
  for (const type of new Set(waiting.map((job) => job.type))) {
    const jobs = await engine.jobs.activate({
      type,
      worker: 'corpus',
      timeoutMs: 60_000,
      maxJobsToActivate: 100,
      requestTimeoutMs: -1,
    });
    const answer = scenario?.jobs?.[type];
    for (const job of jobs) {
      if (answer && 'throwError' in answer)
        await engine.jobs.throwError(job.jobKey, { errorCode: answer.throwError });
      else await engine.jobs.complete(job.jobKey, answer?.complete ?? {});
      served++;
    }
  }
  return served;
}

/**
 * The first user task, end or incident of the instance; `waiting` when nothing happens for a while and
 * `serveJobs` served no waiting job.
 */
function follow(engine: EmbeddedProcessEngine, serveJobs: () => Promise<number>) {
  let settle: (value: { outcome: Outcome; detail?: string }) => void = () => undefined;
  const outcome = new Promise<{ outcome: Outcome; detail?: string }>((resolve) => (settle = resolve));
  let quiet: NodeJS.Timeout | undefined;
  const restartQuiet = () => {
    clearTimeout(quiet);
    quiet = setTimeout(() => {
      serveJobs().then(
        (served) => (served > 0 ? restartQuiet() : settle({ outcome: 'waiting' })),
        (error: unknown) =>
          settle({ outcome: 'incident', detail: `the job worker failed: ${String(error)}` }),
      );
    }, QUIET_MS);
  };
  restartQuiet();
  const unsubscribe = engine.onTransaction(async (tx: EngineTransaction) => {
    restartQuiet();
    for (const event of tx.events) {
      if (event.type === 'task.created')
        settle({ outcome: 'user task', detail: event.task.taskDefinitionKey });
      if (event.type === 'processInstance.finished') settle({ outcome: 'ended' });
      if (event.type === 'processInstance.cancelled')
        settle({ outcome: 'incident', detail: 'error' in event ? String(event.error) : event.reason });
    }
  });
  const stop = () => {
    clearTimeout(quiet);
    unsubscribe();
  };
  return { outcome: outcome.finally(stop), stop };
}

/** The name of the message (or signal) the first message (or signal) start event of the model refers to. */
function startReferenceOf(xml: string, kind: 'message' | 'signal'): string | undefined {
  const start = /<(?:\w+:)?startEvent\b[^>]*>([\s\S]*?)<\/(?:\w+:)?startEvent>/g;
  const definition = new RegExp(`<(?:\\w+:)?${kind}EventDefinition\\b[^>]*${kind}Ref="([^"]+)"`);
  for (const [, body] of xml.matchAll(start)) {
    const ref = definition.exec(body)?.[1];
    if (!ref) continue;
    const message = new RegExp(`<(?:\\w+:)?${kind}\\b[^>]*id="${ref}"[^>]*>`).exec(xml)?.[0];
    const name = message && /name="([^"]+)"/.exec(message)?.[1];
    if (name) return name;
  }
  return undefined;
}

interface Wait {
  elementId: string;
  kind: string;
  /** Camunda 8 waits there too without anyone acting: a message, a timer, a signal, a job for a worker. */
  asOnCamunda: boolean;
}

interface PostponedApi {
  id: string;
  type: string;
  content?: { isSubProcess?: boolean };
  owner?: {
    type?: string;
    eventDefinitions?: { type: string }[];
    behaviour?: { eventDefinitions?: { type: string }[] };
  };
  getPostponed?: () => PostponedApi[];
}

/**
 * What a waiting instance waits at: the engine's waiting elements, read from the instance's runtime (a
 * measurement's look inside the engine, which has no port for it).
 */
function waitsOf(engine: EmbeddedProcessEngine, instanceId: string): Wait[] {
  const rt = runtimeOf(engine, instanceId);
  const execution = (rt?.engine as unknown as { execution?: { getPostponed(): PostponedApi[] } } | null)
    ?.execution;
  if (!rt || !execution) return [];
  const waits: Wait[] = [];
  const visit = (apis: PostponedApi[]) => {
    for (const api of apis) {
      // Flows that are being taken are listed too: they are not waits.
      if (api.type === 'bpmn:SequenceFlow') continue;
      const inner = api.getPostponed?.().filter((a) => a.id !== api.id) ?? [];
      if (api.type === 'bpmn:SubProcess' && inner.length > 0) {
        visit(inner);
        continue;
      }
      const definitions = (api.owner?.behaviour?.eventDefinitions ?? []).map((d) => d.type);
      // A boundary event waits beside its activity, and a link catch event for its throw: neither is the wait.
      if (api.owner?.type === 'bpmn:BoundaryEvent' || definitions.includes('bpmn:LinkEventDefinition'))
        continue;
      const job = Object.values(rt.meta.jobs ?? {}).find((j) => j.elementId === api.id);
      let kind = api.type;
      let asOnCamunda = false;
      if (job) {
        // A job that waits for a worker waits on Camunda too; one with an incident does not go on there either.
        kind = job.incident ? `incident: ${job.incident.errorMessage}` : `job ${job.type}`;
        asOnCamunda = !job.incident;
      } else if (api.type === 'bpmn:ReceiveTask' || definitions.includes('bpmn:MessageEventDefinition')) {
        kind = 'message';
        asOnCamunda = true;
      } else if (definitions.includes('bpmn:TimerEventDefinition')) {
        kind = 'timer';
        asOnCamunda = true;
      } else if (definitions.includes('bpmn:SignalEventDefinition')) {
        kind = 'signal';
        asOnCamunda = true;
      } else if (api.type === 'bpmn:EventBasedGateway') {
        kind = 'event-based gateway';
        asOnCamunda = true;
      }
      waits.push({ elementId: api.id, kind, asOnCamunda });
    }
  };
  visit(execution.getPostponed());
  return waits;
}

/** An instance's runtime (a measurement's look inside the engine, which has no port for it). */
function runtimeOf(engine: EmbeddedProcessEngine, instanceId: string): Runtime | undefined {
  return (engine as unknown as { runtimes: { get(id: string): Runtime | undefined } }).runtimes.get(
    instanceId,
  );
}

function modelsBelow(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.bpmn'))
    .map((f) => join(folder, f))
    .sort();
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '-' : `${Math.round((100 * part) / whole)}%`;
}

async function main(): Promise<void> {
  const [folder, flag] = process.argv.slice(2);
  if (!folder) {
    console.error('usage: npx tsx scripts/corpus/measure-corpus.ts <folder> [--json]');
    process.exit(2);
  }
  Logger.overrideLogger(false);
  const scenarios = JSON.parse(readFileSync(join(__dirname, 'scenarios.json'), 'utf8')) as Record<
    string,
    Scenario
  >;
  const results: ModelResult[] = [];
  // A model with a scenario is measured twice: without inputs, and with the scenario's.
  const withInputs = new Map<string, ModelResult>();
  for (const file of modelsBelow(folder)) {
    const result = await measureModel(folder, file);
    results.push(result);
    const scenario = scenarios[result.model];
    if (scenario && result.status === 'deployed')
      withInputs.set(result.model, await measureModel(folder, file, scenario));
  }
  const unknown = Object.keys(scenarios).filter((model) => !results.some((r) => r.model === model));
  if (unknown.length > 0) console.error(`scenarios of models not in ${folder}: ${unknown.join(', ')}`);
  if (flag === '--json') {
    console.log(JSON.stringify({ results, withScenarioInputs: [...withInputs.values()] }, null, 2));
    return;
  }
  for (const r of results) {
    const how = r.status === 'deployed' ? `${r.outcome}${r.detail ? ` (${r.detail})` : ''}` : '';
    console.log(`${r.status.padEnd(8)} ${r.model}${how ? `: ${how}` : ''}`);
    for (const problem of r.problems) console.log(`         - ${problem}`);
    const given = withInputs.get(r.model);
    if (given)
      console.log(
        `         with the scenario's inputs: ${given.outcome}${given.detail ? ` (${given.detail})` : ''}`,
      );
  }
  const deployed = results.filter((r) => r.status === 'deployed');
  // How many refused models each reason stands in the way of (a model counts once per reason).
  const reasons = new Map<string, number>();
  for (const r of results.filter((m) => m.status === 'refused')) {
    const own = new Set(
      r.problems
        .filter((p) => p.includes('(bpmn:'))
        .map((p) => p.replace(/^[^(]*\(([^)]*)\): /, '$1: ').replace(/inside (\S+) \S+,/, 'inside a $1,')),
    );
    for (const reason of own) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  console.log('\nrefusal reasons (models):');
  for (const [reason, n] of [...reasons].sort((a, b) => b[1] - a[1]))
    console.log(`${String(n).padStart(4)} ${reason}`);
  const withTasks = results.filter((r) => r.hasUserTasks);
  const reaching = withTasks.filter((r) => r.outcome === 'user task');
  const waitingAsOnCamunda = withTasks.filter((r) => r.outcome === 'waits as on Camunda');
  console.log(
    `\n${results.length} models: ${deployed.length} deployed (${percent(deployed.length, results.length)}), ` +
      `${results.filter((r) => r.status === 'refused').length} refused, ` +
      `${results.filter((r) => r.status === 'broken').length} broken; ` +
      `${withTasks.length} with user tasks, ${reaching.length} reach one (${percent(reaching.length, withTasks.length)}), ` +
      `${waitingAsOnCamunda.length} more wait before it as on Camunda`,
  );
  const reachingWithInputs = withTasks.filter(
    (r) => (withInputs.get(r.model) ?? r).outcome === 'user task',
  ).length;
  console.log(
    `with the inputs of scripts/corpus/scenarios.json (${withInputs.size} models): ${reachingWithInputs} of ${withTasks.length} reach a user task (${percent(reachingWithInputs, withTasks.length)})`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
