import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type EngineEvent } from '../engine.port';
import { type ActivateJobsRequest } from '../job-worker.port';
import { DeliveredTransactions } from './delivered-transactions.testing';
import { EmbeddedProcessEngine } from './embedded.engine';

const xml = readFileSync(join(__dirname, 'fixtures', 'dialect', 'ad-hoc-sub-processes.bpmn'), 'utf8');

type Created = Extract<EngineEvent, { type: 'task.created' }>;

const activation = (type: string): ActivateJobsRequest => ({
  type,
  worker: 'ad-hoc',
  timeoutMs: 60_000,
  maxJobsToActivate: 5,
  requestTimeoutMs: 5_000,
});

describe('embedded engine: ad-hoc sub-processes', () => {
  let dataDir: string;
  let engine: EmbeddedProcessEngine;
  let delivered: DeliveredTransactions;

  const tasksCreated = (instanceId: string) =>
    delivered.events
      .filter((e): e is Created => e.type === 'task.created' && e.task.processInstanceId === instanceId)
      .map((e) => e.task.taskDefinitionKey);

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'eddy-ad-hoc-'));
    engine = await EmbeddedProcessEngine.open({ dataDir, durability: 'normal' });
    delivered = new DeliveredTransactions();
    engine.onTransaction(delivered.handler);
    await engine.deploy({ xml, resourceName: 'ad-hoc-sub-processes.bpmn' });
  });
  afterEach(async () => {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('activates the elements of activeElementsCollection, and completes when none is active any more, collecting an output per element', async () => {
    const { instanceId } = await engine.startProcessInstance({
      definitionKey: 'ad-hoc-collection',
      variables: { todo: ['a', 'b'] },
    });
    const a = await delivered.task('a');
    const b = await delivered.task('b');
    await engine.completeTask(a.id, { done: 'a' });
    await engine.completeTask(b.id, { done: 'b' });
    // b2 follows b inside the sub-process: it is still active.
    const b2 = await delivered.task('b2');
    await engine.completeTask(b2.id, { done: 'b2' });
    const after = await delivered.task('after1');
    expect(delivered.variablesOf(after)).toMatchObject({ results: ['a', 'b', 'b2'] });
    expect(tasksCreated(instanceId)).not.toContain('c');
  });

  it('an activeElementsCollection naming an element that cannot be activated is an incident naming it', async () => {
    await engine.startProcessInstance({ definitionKey: 'ad-hoc-collection', variables: { todo: ['b2'] } });
    const cancelled = await delivered.until(
      (e): e is Extract<EngineEvent, { type: 'processInstance.cancelled' }> =>
        e.type === 'processInstance.cancelled',
      'the incident',
    );
    expect(cancelled.error).toMatch(/work: activeElementsCollection names no activatable element b2/);
  });

  it('completes when its completion condition holds after an element completed, cancelling the active ones', async () => {
    const { instanceId } = await engine.startProcessInstance({ definitionKey: 'ad-hoc-condition' });
    const review = await delivered.task('review');
    const verify = await delivered.task('verify');
    await engine.completeTask(review.id, { approved: true });
    await delivered.task('after2');
    expect(delivered.events.some((e) => e.type === 'task.cancelled' && e.task.id === verify.id)).toBe(true);
    expect(tasksCreated(instanceId)).toEqual(['review', 'verify', 'after2']);
  });

  it('a job worker activates elements through its job result, gets a new job with their outputs, and completes it', async () => {
    const { instanceId } = await engine.startProcessInstance({ definitionKey: 'ad-hoc-agent' });
    const [first] = await engine.jobs.activate(activation('agent'));
    expect(first).toMatchObject({ elementId: 'agent', processInstanceKey: instanceId });

    await expect(
      engine.jobs.complete(first.jobKey, {}, { activateElements: [{ elementId: 'after3' }] }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/result\.activateElements\[0\]\.elementId: after3 is no element/),
    });
    await engine.jobs.complete(
      first.jobKey,
      {},
      {
        type: 'adHocSubProcess',
        activateElements: [{ elementId: 'lookup', variables: { toolName: 'lookup' } }],
      },
    );
    await expect(engine.jobs.complete(first.jobKey)).rejects.toMatchObject({ code: 'UNKNOWN_JOB' });
    const [lookup] = await engine.jobs.activate(activation('lookup'));
    // No job for the agent while its tool runs.
    await expect(engine.jobs.activate({ ...activation('agent'), requestTimeoutMs: -1 })).resolves.toEqual([]);
    await engine.jobs.complete(lookup.jobKey, { toolResult: 42 });

    const [second] = await engine.jobs.activate(activation('agent'));
    expect(second.jobKey).not.toBe(first.jobKey);
    expect(second.variables).toMatchObject({ toolCallResults: [{ tool: 'lookup', result: 42 }] });
    await engine.jobs.complete(second.jobKey, { answer: 'done' }, { isCompletionConditionFulfilled: true });
    const after = await delivered.task('after3');
    expect(delivered.variablesOf(after)).toMatchObject({ answer: 'done' });
  });

  it('a job result on the job of a service task is refused, naming the field', async () => {
    await engine.startProcessInstance({ definitionKey: 'ad-hoc-agent' });
    const [agent] = await engine.jobs.activate(activation('agent'));
    await engine.jobs.complete(agent.jobKey, {}, { activateElements: [{ elementId: 'lookup' }] });
    const [lookup] = await engine.jobs.activate(activation('lookup'));
    await expect(
      engine.jobs.complete(lookup.jobKey, {}, { isCompletionConditionFulfilled: true }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^result: job/) });
  });
});
