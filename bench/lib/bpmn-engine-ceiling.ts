/**
 * The ceiling that bpmn-engine itself puts on the embedded engine: instances of one process started with
 * nothing but the library, `new Engine({ sourceContext }).execute()` until the first user task waits. No FEEL
 * (expressions are left as text), nothing stored, nothing delivered, none of Eddy's code on the path, and a
 * young generation large enough for its short-lived messages. Run on one worker thread and on one per core,
 * so a figure reads as "what any adapter on bpmn-engine could at most reach on this machine".
 *
 * The module is its own worker: loaded on a worker thread it runs the loop it was handed and reports the
 * elapsed time of the measured instances.
 */
import { readFileSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Engine } from 'bpmn-engine';
import { compileBpmn } from '../../libs/collector/src/engine/embedded/zeebe-model.compiler';

interface CeilingJob {
  role: 'bpmn-engine-ceiling';
  bpmnFile: string;
  warmup: number;
  instances: number;
  /** Engines kept in memory at once, as the adapter keeps live instances. */
  keepAlive: number;
}

type WorkerReport = { ready: true } | { elapsedMs: number } | { error: string };

/**
 * Starts `threads` workers, lets each warm up, then has them all run `instances` starts at the same moment.
 * Returns the aggregate instances per second.
 */
export async function bpmnEngineCeiling(
  bpmnFile: string,
  threads: number,
  instances: number,
  warmup = 300,
): Promise<number> {
  const job: CeilingJob = { role: 'bpmn-engine-ceiling', bpmnFile, warmup, instances, keepAlive: 200 };
  const workers = Array.from(
    { length: threads },
    // The suites run under tsx; the worker registers it before loading this file again.
    () =>
      new Worker(`require('tsx/cjs'); require(${JSON.stringify(__filename)});`, {
        eval: true,
        workerData: job,
        // The library's best case: a young generation large enough that its short-lived messages die
        // young (measured 10-25% faster than the default).
        resourceLimits: { maxYoungGenerationSizeMb: 192 },
      }),
  );
  const next = (worker: Worker) =>
    new Promise<WorkerReport>((resolve, reject) => {
      worker.once('message', (report: WorkerReport) =>
        'error' in report ? reject(new Error(report.error)) : resolve(report),
      );
      worker.once('error', reject);
    });
  try {
    await Promise.all(workers.map(next));
    const begin = performance.now();
    const done = workers.map(next);
    for (const worker of workers) worker.postMessage('go');
    await Promise.all(done);
    return (threads * instances * 1000) / (performance.now() - begin);
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

async function runJob(job: CeilingJob): Promise<void> {
  const port = parentPort!;
  const compiled = await compileBpmn(readFileSync(job.bpmnFile, 'utf8'), job.bpmnFile);
  const silent = () => ({ debug: () => undefined, warn: () => undefined, error: () => undefined });
  const startOne = async (i: number): Promise<Engine> => {
    let waiting = false;
    const engine = new Engine({
      name: `ceiling-${i}`,
      sourceContext: compiled.sourceContext,
      Logger: silent,
      listener: {
        emit: (name: string, api: { type: string }) => {
          if (name === 'activity.wait' && api.type === 'bpmn:UserTask') waiting = true;
        },
      },
    } as never);
    await engine.execute();
    if (!waiting) throw new Error('the process did not reach a user task');
    return engine;
  };
  const run = async (count: number) => {
    const alive: Engine[] = [];
    for (let i = 0; i < count; i++) {
      alive.push(await startOne(i));
      if (alive.length > job.keepAlive) alive.shift();
    }
  };
  await run(job.warmup);
  port.postMessage({ ready: true } satisfies WorkerReport);
  port.once('message', () => {
    const begin = performance.now();
    run(job.instances).then(
      () => port.postMessage({ elapsedMs: performance.now() - begin } satisfies WorkerReport),
      (error: unknown) => port.postMessage({ error: String(error) } satisfies WorkerReport),
    );
  });
}

if (!isMainThread && (workerData as CeilingJob | undefined)?.role === 'bpmn-engine-ceiling') {
  runJob(workerData as CeilingJob).catch((error: unknown) =>
    parentPort!.postMessage({ error: String(error) } satisfies WorkerReport),
  );
}
