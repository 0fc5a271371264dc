import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { startTracing, stopTracing, traceparentOf, withSpan } from '@eddy/observability';
import { DeliveredTransactions } from '@eddy/testing/delivered-transactions';
import { REVIEW_PROCESS } from '@eddy/testing/engine.contract.bpmn';
import { type ServiceTaskJob } from '../embedded/service-task.runner';
import { type EngineEvent, type EngineTransaction } from '../engine.port';
import { EmbeddedEngineThread, type EmbeddedEngineThreadOptions } from './embedded-thread.engine';

/**
 * What the engine on a thread of its own does beyond the engine contract (which its contract spec runs): the
 * in-process job handlers that run on the main thread, the job workers' operations, the synchronous
 * `incidents()`, and an engine that cannot open.
 */

const fixture = (name: string) => readFileSync(join(__dirname, '..', 'embedded', 'fixtures', name), 'utf8');

describe('the embedded engine on a thread of its own', () => {
  let dataDir: string;
  let engine: EmbeddedEngineThread | undefined;
  let delivered: DeliveredTransactions;

  const open = async (options: Partial<EmbeddedEngineThreadOptions> = {}) => {
    engine = await EmbeddedEngineThread.open({ dataDir, durability: 'normal', ...options });
    engine.onTransaction(delivered.handler);
    return engine;
  };

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'eddy-engine-thread-'));
    delivered = new DeliveredTransactions();
  });

  afterEach(async () => {
    await engine?.close();
    engine = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs an in-process job handler on the main thread; what it returns reaches the next task', async () => {
    const jobs: ServiceTaskJob[] = [];
    const mainThread = await open({
      serviceHandlers: {
        charge: async (job) => {
          jobs.push(job);
          return { chargedAmount: 40 };
        },
      },
    });
    await mainThread.deploy({ xml: fixture('service-and-gateway.bpmn'), resourceName: 's.bpmn' });
    const { instanceId } = await mainThread.startProcessInstance({
      definitionKey: 'service-and-gateway',
      variables: { route: 'ship' },
    });

    const [ship] = await delivered.tasks('Ship');
    expect(jobs).toEqual([
      { processInstanceId: instanceId, elementId: 'Charge', type: 'charge', variables: { route: 'ship' } },
    ]);
    expect(delivered.taskVariables.get(ship.id)).toMatchObject({ route: 'ship', chargedAmount: 40 });
  });

  it('retries a handler that throws on the main thread, then fails the instance with its message', async () => {
    let attempts = 0;
    const failing = await open({
      serviceHandlers: {
        charge: () => {
          attempts++;
          throw new Error('card service unavailable');
        },
      },
      serviceRetries: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 20 },
    });
    await failing.deploy({ xml: fixture('service-and-gateway.bpmn'), resourceName: 's.bpmn' });
    await failing.startProcessInstance({
      definitionKey: 'service-and-gateway',
      variables: { route: 'ship' },
    });

    const [cancelled] = await delivered.until(
      (e): e is Extract<EngineEvent, { type: 'processInstance.cancelled' }> =>
        e.type === 'processInstance.cancelled',
    );
    expect(attempts).toBe(2);
    expect(cancelled).toMatchObject({
      reason: 'incident',
      error: expect.stringContaining('card service unavailable'),
    });
  });

  it('hands jobs to workers; a job failed for good is an incident incidents() sees at once', async () => {
    const workers = await open();
    await workers.deploy({ xml: fixture('payment-jobs.bpmn'), resourceName: 'payment-jobs.bpmn' });
    const { instanceId } = await workers.startProcessInstance({
      definitionKey: 'payment-jobs',
      variables: { amount: 40 },
    });
    const request = {
      type: 'charge-card',
      worker: 'w',
      timeoutMs: 60_000,
      maxJobsToActivate: 1,
      requestTimeoutMs: 10_000,
    };
    const [charge] = await workers.jobs.activate(request);
    expect(charge).toMatchObject({
      processInstanceKey: instanceId,
      elementId: 'Charge',
      variables: { amount: 40 },
    });

    expect(workers.jobs.incidents()).toEqual([]);
    await workers.jobs.fail(charge.jobKey, { retries: 0, errorMessage: 'card expired' });
    expect(workers.jobs.incidents()).toEqual([
      expect.objectContaining({
        jobKey: charge.jobKey,
        errorType: 'JOB_NO_RETRIES',
        errorMessage: 'card expired',
      }),
    ]);
    await expect(workers.jobs.resolveIncident(charge.jobKey)).rejects.toMatchObject({
      code: 'INVALID_JOB_STATE',
      message: expect.stringContaining('update its retries first'),
    });
    await workers.jobs.updateRetries(charge.jobKey, 1);
    await workers.jobs.resolveIncident(charge.jobKey);
    expect(workers.jobs.incidents()).toEqual([]);
    const [again] = await workers.jobs.activate(request);
    expect(again.jobKey).toBe(charge.jobKey);
    await workers.jobs.complete(again.jobKey, { charged: true });
    await expect(workers.jobs.complete(again.jobKey)).rejects.toMatchObject({ code: 'UNKNOWN_JOB' });
  });

  it('carries the span of a traced call to the transaction of its step', async () => {
    startTracing({ serviceName: 'eddy-test' }, new InMemorySpanExporter());
    try {
      const traced = await EmbeddedEngineThread.open({ dataDir, durability: 'normal' });
      engine = traced;
      let received!: (tx: EngineTransaction) => void;
      const first = new Promise<EngineTransaction>((resolve) => (received = resolve));
      traced.onTransaction(async (tx) => received(tx));
      await traced.deploy({ xml: REVIEW_PROCESS.xml, resourceName: REVIEW_PROCESS.resourceName });
      const { instanceId, traceparent } = await withSpan('engine start', {}, async () => ({
        ...(await traced.startProcessInstance({ definitionKey: REVIEW_PROCESS.key })),
        traceparent: traceparentOf(),
      }));
      expect(traceparent).toBeDefined();
      expect(await first).toMatchObject({ processInstanceId: instanceId, traceparent });
    } finally {
      await stopTracing();
    }
  });

  it('ends a long poll when its caller aborts it', async () => {
    const workers = await open();
    const abort = new AbortController();
    const polling = workers.jobs.activate(
      {
        type: 'nothing-of-this-type',
        worker: 'w',
        timeoutMs: 1_000,
        maxJobsToActivate: 1,
        requestTimeoutMs: 60_000,
      },
      abort.signal,
    );
    abort.abort();
    await expect(polling).resolves.toEqual([]);
  });

  it('fails to open with the engine error of the thread, naming the setting', async () => {
    await expect(EmbeddedEngineThread.open({ dataDir, maxDeliveriesInFlight: 0 })).rejects.toMatchObject({
      name: 'EngineError',
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('maxDeliveriesInFlight'),
    });
  });

  it('refuses a clock function, which cannot run on the thread, and names clockOffset instead', async () => {
    await expect(
      EmbeddedEngineThread.open({ dataDir, clock: () => new Date() } as EmbeddedEngineThreadOptions),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('clockOffset') });
  });

  it('refuses calls once closed, as the engine in process does', async () => {
    const closed = await open();
    await closed.close();
    await expect(closed.listProcessDefinitions()).rejects.toMatchObject({ code: 'CLOSED' });
    expect(() => closed.jobs.incidents()).toThrow(expect.objectContaining({ code: 'CLOSED' }) as never);
    engine = undefined;
  });
});
