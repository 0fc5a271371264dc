/**
 * Measures how much of a corpus of Camunda 8 models the embedded engine runs (docs/corpus.md):
 *   npx tsx scripts/corpus/measure-corpus.ts <folder> [--json]
 * Every `.bpmn` file below the folder is one model; the `.dmn` files of its folder are deployed with it.
 * Per model it reports: deployed, refused (naming the elements and why), or broken (any other error); for a
 * deployed one with a none start event, how far an instance gets when every job is completed at once and
 * nobody acts: a user task, its end, another wait, or an incident. Reads the folder only; fetches nothing.
 */
import { Logger } from '@nestjs/common';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { EngineError } from '../../libs/collector/src/engine/engine.errors';
import { type EngineTransaction } from '../../libs/collector/src/engine/engine.port';
import {
  EmbeddedProcessEngine,
  type ServiceTaskHandler,
} from '../../libs/collector/src/engine/embedded/embedded.engine';

type Outcome = 'user task' | 'ended' | 'waiting' | 'incident' | 'not started';

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

// Every job type has a worker that completes it with no variables.
const completeEveryJob = new Proxy({} as Record<string, ServiceTaskHandler>, {
  get: () => () => ({}),
  has: () => true,
});

async function measureModel(root: string, file: string): Promise<ModelResult> {
  const xml = readFileSync(file, 'utf8');
  const model = relative(root, file);
  const hasUserTasks = /<(\w+:)?userTask\b/.test(xml);
  const engine = await EmbeddedProcessEngine.open({
    dataDir: tmpdir(),
    inMemory: true,
    serviceHandlers: completeEveryJob,
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
    const followed = follow(engine);
    try {
      await engine.startProcessInstance({ definitionKey });
    } catch (error) {
      followed.stop();
      result.detail = (error as Error).message;
      return result;
    }
    const { outcome, detail } = await followed.outcome;
    result.outcome = outcome;
    result.detail = detail;
    return result;
  } finally {
    await engine.close();
  }
}

/** The first user task, end or incident of the instance; `waiting` when nothing happens for a while. */
function follow(engine: EmbeddedProcessEngine) {
  let settle: (value: { outcome: Outcome; detail?: string }) => void = () => undefined;
  const outcome = new Promise<{ outcome: Outcome; detail?: string }>((resolve) => (settle = resolve));
  let quiet: NodeJS.Timeout | undefined;
  const restartQuiet = () => {
    clearTimeout(quiet);
    quiet = setTimeout(() => settle({ outcome: 'waiting' }), QUIET_MS);
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
  const results: ModelResult[] = [];
  for (const file of modelsBelow(folder)) results.push(await measureModel(folder, file));
  if (flag === '--json') {
    console.log(JSON.stringify(results, null, 2));
    return;
  }
  for (const r of results) {
    const how = r.status === 'deployed' ? `${r.outcome}${r.detail ? ` (${r.detail})` : ''}` : '';
    console.log(`${r.status.padEnd(8)} ${r.model}${how ? `: ${how}` : ''}`);
    for (const problem of r.problems) console.log(`         - ${problem}`);
  }
  const deployed = results.filter((r) => r.status === 'deployed');
  // How many refused models each reason stands in the way of (a model counts once per reason).
  const reasons = new Map<string, number>();
  for (const r of results.filter((m) => m.status === 'refused')) {
    const own = new Set(
      r.problems.filter((p) => p.includes('(bpmn:')).map((p) => p.replace(/^[^(]*\(([^)]*)\): /, '$1: ')),
    );
    for (const reason of own) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  console.log('\nrefusal reasons (models):');
  for (const [reason, n] of [...reasons].sort((a, b) => b[1] - a[1]))
    console.log(`${String(n).padStart(4)} ${reason}`);
  const withTasks = results.filter((r) => r.hasUserTasks);
  const reaching = withTasks.filter((r) => r.outcome === 'user task');
  console.log(
    `\n${results.length} models: ${deployed.length} deployed (${percent(deployed.length, results.length)}), ` +
      `${results.filter((r) => r.status === 'refused').length} refused, ` +
      `${results.filter((r) => r.status === 'broken').length} broken; ` +
      `${withTasks.length} with user tasks, ${reaching.length} reach one (${percent(reaching.length, withTasks.length)})`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
