import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type EngineEvent, type EngineTransaction } from '../../engine.port';
import { type ActivateJobsRequest } from '../../job-worker.port';
import { EmbeddedProcessEngine } from '../embedded.engine';

/**
 * Job workers on the embedded engine, as on Camunda 8: job-based elements wait for a worker, jobs are handed
 * out by type with long polling and again after their timeout, failures count down the retries into an
 * incident that keeps the instance waiting, BPMN errors go to the error boundary event, and all of it
 * survives a restart (the jobs live in the engine's SQLite file).
 */

const fixture = readFileSync(join(__dirname, '..', 'fixtures', 'payment-jobs.bpmn'), 'utf8');

const request = (type: string, extra: Partial<ActivateJobsRequest> = {}): ActivateJobsRequest => ({
  type,
  worker: 'test-worker',
  timeoutMs: 60_000,
  maxJobsToActivate: 10,
  requestTimeoutMs: 10_000,
  ...extra,
});

describe('jobs of the embedded engine', () => {
  let dataDir: string;
  let engine: EmbeddedProcessEngine;
  let transactions: EngineTransaction[];

  const open = async () => {
    engine = await EmbeddedProcessEngine.open({ dataDir, durability: 'normal' });
    engine.onTransaction(async (tx) => void transactions.push(tx));
    await engine.deploy({ xml: fixture, resourceName: 'payment-jobs.bpmn' });
  };
  const start = async (variables: Record<string, unknown> = { amount: 40 }) =>
    (await engine.startProcessInstance({ definitionKey: 'payment-jobs', variables })).instanceId;
  const eventsOf = (instanceId: string): EngineEvent[] =>
    transactions.filter((tx) => tx.processInstanceId === instanceId).flatMap((tx) => tx.events);
  const until = async <T>(find: () => T | undefined, what: string): Promise<T> => {
    for (let i = 0; i < 1000; i++) {
      const found = find();
      if (found !== undefined) return found;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const finished = (instanceId: string) =>
    until(() => eventsOf(instanceId).find((e) => e.type === 'processInstance.finished'), 'the end');

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'eddy-jobs-'));
    transactions = [];
    await open();
  });

  afterEach(async () => {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs service tasks, send tasks and message throw and end events as jobs, one worker after the other', async () => {
    const instanceId = await start();
    const [charge] = await engine.jobs.activate(request('charge-card'));
    expect(charge).toMatchObject({
      type: 'charge-card',
      elementId: 'Charge',
      processInstanceKey: instanceId,
      processDefinitionId: 'payment-jobs',
      processDefinitionVersion: 1,
      customHeaders: { currency: 'EUR' },
      retries: 2,
      worker: 'test-worker',
      variables: { amount: 40 },
      tenantId: '<default>',
    });
    expect(BigInt(charge.jobKey) > 0n).toBe(true);
    // The instance waits at the job: nothing but its start happened.
    expect(eventsOf(instanceId).map((e) => e.type)).toEqual(['processInstance.started']);

    await engine.jobs.complete(charge.jobKey, { chargeId: 'CH-1' });
    for (const [type, elementId] of [
      ['send-receipt', 'SendReceipt'],
      ['tell-shipping', 'TellShipping'],
      ['archive-payment', 'Paid'],
    ]) {
      const [job] = await engine.jobs.activate(request(type, { fetchVariable: ['chargeId'] }));
      expect(job).toMatchObject({ elementId, variables: { chargeId: 'CH-1' } });
      await engine.jobs.complete(job.jobKey);
    }
    await finished(instanceId);
  });

  it('answers a second completion and an unknown key with UNKNOWN_JOB', async () => {
    await start();
    const [charge] = await engine.jobs.activate(request('charge-card'));
    await engine.jobs.complete(charge.jobKey);
    await expect(engine.jobs.complete(charge.jobKey)).rejects.toMatchObject({
      code: 'UNKNOWN_JOB',
      message: expect.stringContaining('completed already'),
    });
    await expect(engine.jobs.complete('12345')).rejects.toMatchObject({ code: 'UNKNOWN_JOB' });
    await expect(engine.jobs.complete(charge.jobKey, [] as never)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('variables'),
    });
    await expect(engine.jobs.activate(request('charge-card', { timeoutMs: 0 }))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('timeout'),
    });
  });

  it('hands a job to a worker that waits for it (long polling), and again once its timeout has passed', async () => {
    const waiting = engine.jobs.activate(request('charge-card', { timeoutMs: 100 }));
    const instanceId = await start();
    const [first] = await waiting;
    expect(first.processInstanceKey).toBe(instanceId);
    // Nobody else gets it while the first worker holds it ...
    expect(await engine.jobs.activate(request('charge-card', { requestTimeoutMs: -1 }))).toEqual([]);
    // ... and once its timeout has passed, a waiting worker does.
    const [again] = await engine.jobs.activate(request('charge-card', { worker: 'second' }));
    expect(again).toMatchObject({ jobKey: first.jobKey, worker: 'second' });
  });

  it('hands a failed job out again until its retries run out, then waits with an incident', async () => {
    const instanceId = await start();
    const [charge] = await engine.jobs.activate(request('charge-card'));
    await engine.jobs.fail(charge.jobKey, {
      retries: 1,
      errorMessage: 'card service down',
      retryBackOffMs: 50,
    });
    const [retry] = await engine.jobs.activate(request('charge-card'));
    expect(retry).toMatchObject({ jobKey: charge.jobKey, retries: 1 });

    await engine.jobs.fail(retry.jobKey, { retries: 0, errorMessage: 'card service still down' });
    expect(engine.jobs.incidents()).toEqual([
      expect.objectContaining({
        jobKey: charge.jobKey,
        errorType: 'JOB_NO_RETRIES',
        errorMessage: 'card service still down',
        processInstanceKey: instanceId,
        elementId: 'Charge',
      }),
    ]);
    expect(await engine.jobs.activate(request('charge-card', { requestTimeoutMs: -1 }))).toEqual([]);
    await expect(engine.jobs.complete(charge.jobKey)).rejects.toMatchObject({ code: 'INVALID_JOB_STATE' });
    // The instance waits: it was neither cancelled nor finished.
    expect(eventsOf(instanceId).map((e) => e.type)).toEqual(['processInstance.started']);
    await engine.cancelProcessInstance(instanceId);
    expect(engine.jobs.incidents()).toEqual([]);
  });

  it('hands a job out again once its incident is resolved after its retries were set', async () => {
    const instanceId = await start();
    const [charge] = await engine.jobs.activate(request('charge-card'));
    await engine.jobs.fail(charge.jobKey, { retries: 0, errorMessage: 'card service down' });
    await expect(engine.jobs.resolveIncident(charge.jobKey)).rejects.toMatchObject({
      code: 'INVALID_JOB_STATE',
      message: expect.stringContaining('retries'),
    });
    await engine.jobs.updateRetries(charge.jobKey, 1);
    await engine.jobs.resolveIncident(charge.jobKey);
    expect(engine.jobs.incidents()).toEqual([]);
    await expect(engine.jobs.resolveIncident(charge.jobKey)).rejects.toMatchObject({
      code: 'UNKNOWN_INCIDENT',
    });
    const [again] = await engine.jobs.activate(request('charge-card'));
    expect(again).toMatchObject({ jobKey: charge.jobKey, retries: 1, processInstanceKey: instanceId });
  });

  it('takes the error boundary event for a caught error code and raises an incident for another one', async () => {
    const declined = await start();
    const [job] = await engine.jobs.activate(request('charge-card'));
    await engine.jobs.throwError(job.jobKey, {
      errorCode: 'CARD_DECLINED',
      errorMessage: 'insufficient funds',
      variables: { reason: 'funds' },
    });
    const contact = await until(
      () => eventsOf(declined).find((e) => e.type === 'task.created'),
      'the task after the boundary event',
    );
    expect(contact).toMatchObject({ task: { taskDefinitionKey: 'ContactCustomer' } });
    expect(transactions.at(-1)!.variables[(contact as { task: { id: string } }).task.id]).toMatchObject({
      reason: 'funds',
    });
    await expect(engine.jobs.complete(job.jobKey)).rejects.toMatchObject({ code: 'UNKNOWN_JOB' });

    const other = await start();
    const [second] = await engine.jobs.activate(request('charge-card'));
    await engine.jobs.throwError(second.jobKey, { errorCode: 'CARD_STOLEN' });
    expect(engine.jobs.incidents()).toEqual([
      expect.objectContaining({
        processInstanceKey: other,
        errorType: 'UNHANDLED_ERROR_EVENT',
        errorMessage: expect.stringContaining("'CARD_STOLEN'"),
      }),
    ]);
    expect(eventsOf(other).map((e) => e.type)).toEqual(['processInstance.started']);
  });

  it('raises an incident at an error end event that nothing catches, and keeps the instance waiting there', async () => {
    await engine.deploy({
      xml: readFileSync(join(__dirname, '..', 'fixtures', 'order-check-errors.bpmn'), 'utf8'),
      resourceName: 'order-check-errors.bpmn',
    });
    const { instanceId } = await engine.startProcessInstance({ definitionKey: 'order-check-errors' });
    // A boundary event that names no error catches any code; the path it starts ends in an error end event.
    const [check] = await engine.jobs.activate(request('check-order'));
    await engine.jobs.throwError(check.jobKey, { errorCode: 'WHATEVER' });
    expect(engine.jobs.incidents()).toEqual([
      expect.objectContaining({
        processInstanceKey: instanceId,
        elementId: 'Rejected',
        errorType: 'UNHANDLED_ERROR_EVENT',
        jobKey: null,
        errorMessage: expect.stringContaining("'ORDER_REJECTED'"),
      }),
    ]);
    expect(eventsOf(instanceId).map((e) => e.type)).toEqual(['processInstance.started']);
    await engine.close();
    await open();
    expect(engine.jobs.incidents()).toMatchObject([
      { processInstanceKey: instanceId, elementId: 'Rejected' },
    ]);
  });

  it('keeps jobs, their retries and their incidents across a restart', async () => {
    const running = await start();
    const stuck = await start();
    const [a, b] = await engine.jobs.activate(request('charge-card', { maxJobsToActivate: 2 }));
    const byInstance = new Map([a, b].map((job) => [job.processInstanceKey, job]));
    await engine.jobs.fail(byInstance.get(running)!.jobKey, { retries: 1 });
    await engine.jobs.fail(byInstance.get(stuck)!.jobKey, { retries: 0, errorMessage: 'broken' });
    await engine.close();

    await open();
    const [job] = await engine.jobs.activate(request('charge-card'));
    expect(job).toMatchObject({ processInstanceKey: running, retries: 1 });
    expect(engine.jobs.incidents()).toEqual([
      expect.objectContaining({ processInstanceKey: stuck, errorMessage: 'broken' }),
    ]);
    await engine.jobs.complete(job.jobKey);
    const [receipt] = await engine.jobs.activate(request('send-receipt'));
    expect(receipt.processInstanceKey).toBe(running);
    // A new job's key is above every key handed out before the restart.
    expect(BigInt(receipt.jobKey) > BigInt(job.jobKey)).toBe(true);
  });

  it('answers a waiting activation with no jobs when the engine closes', async () => {
    const waiting = engine.jobs.activate(request('charge-card', { requestTimeoutMs: 60_000 }));
    await engine.close();
    expect(await waiting).toEqual([]);
    await open();
  });
});
