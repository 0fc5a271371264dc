import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type EngineEvent } from '../engine.port';
import { type ActivateJobsRequest } from '../job-worker.port';
import { EngineOnTempFolder } from './engine-on-temp-folder.testing';

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
  let t: EngineOnTempFolder;

  const tasksCreated = (instanceId: string) =>
    t.delivered.events
      .filter((e): e is Created => e.type === 'task.created' && e.task.processInstanceId === instanceId)
      .map((e) => e.task.taskDefinitionKey);

  beforeEach(async () => {
    t = await EngineOnTempFolder.open('eddy-ad-hoc-', { xml, resourceName: 'ad-hoc-sub-processes.bpmn' });
  });
  afterEach(() => t.close());

  it('activates the elements of activeElementsCollection, and completes when none is active any more, collecting an output per element', async () => {
    const { instanceId } = await t.engine.startProcessInstance({
      definitionKey: 'ad-hoc-collection',
      variables: { todo: ['a', 'b'] },
    });
    const a = await t.delivered.task('a');
    const b = await t.delivered.task('b');
    await t.engine.completeTask(a.id, { done: 'a' });
    await t.engine.completeTask(b.id, { done: 'b' });
    // b2 follows b inside the sub-process: it is still active.
    const b2 = await t.delivered.task('b2');
    await t.engine.completeTask(b2.id, { done: 'b2' });
    const after = await t.delivered.task('after1');
    expect(t.delivered.variablesOf(after)).toMatchObject({ results: ['a', 'b', 'b2'] });
    expect(tasksCreated(instanceId)).not.toContain('c');
  });

  it('an activeElementsCollection naming an element that cannot be activated is an incident naming it', async () => {
    await t.engine.startProcessInstance({ definitionKey: 'ad-hoc-collection', variables: { todo: ['b2'] } });
    const cancelled = await t.delivered.until(
      (e): e is Extract<EngineEvent, { type: 'processInstance.cancelled' }> =>
        e.type === 'processInstance.cancelled',
      'the incident',
    );
    expect(cancelled.error).toMatch(/work: activeElementsCollection names no activatable element b2/);
  });

  it('completes when its completion condition holds after an element completed, cancelling the active ones', async () => {
    const { instanceId } = await t.engine.startProcessInstance({ definitionKey: 'ad-hoc-condition' });
    const review = await t.delivered.task('review');
    const verify = await t.delivered.task('verify');
    await t.engine.completeTask(review.id, { approved: true });
    await t.delivered.task('after2');
    expect(t.delivered.events.some((e) => e.type === 'task.cancelled' && e.task.id === verify.id)).toBe(true);
    expect(tasksCreated(instanceId)).toEqual(['review', 'verify', 'after2']);
  });

  it('a job worker activates elements through its job result, gets a new job with their outputs, and completes it', async () => {
    const { instanceId } = await t.engine.startProcessInstance({ definitionKey: 'ad-hoc-agent' });
    const [first] = await t.engine.jobs.activate(activation('agent'));
    expect(first).toMatchObject({ elementId: 'agent', processInstanceKey: instanceId });

    await expect(
      t.engine.jobs.complete(first.jobKey, {}, { activateElements: [{ elementId: 'after3' }] }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/result\.activateElements\[0\]\.elementId: after3 is no element/),
    });
    await t.engine.jobs.complete(
      first.jobKey,
      {},
      {
        type: 'adHocSubProcess',
        activateElements: [{ elementId: 'lookup', variables: { toolName: 'lookup' } }],
      },
    );
    await expect(t.engine.jobs.complete(first.jobKey)).rejects.toMatchObject({ code: 'UNKNOWN_JOB' });
    const [lookup] = await t.engine.jobs.activate(activation('lookup'));
    // No job for the agent while its tool runs.
    await expect(t.engine.jobs.activate({ ...activation('agent'), requestTimeoutMs: -1 })).resolves.toEqual(
      [],
    );
    await t.engine.jobs.complete(lookup.jobKey, { toolResult: 42 });

    const [second] = await t.engine.jobs.activate(activation('agent'));
    expect(second.jobKey).not.toBe(first.jobKey);
    expect(second.variables).toMatchObject({ toolCallResults: [{ tool: 'lookup', result: 42 }] });
    await t.engine.jobs.complete(second.jobKey, { answer: 'done' }, { isCompletionConditionFulfilled: true });
    const after = await t.delivered.task('after3');
    expect(t.delivered.variablesOf(after)).toMatchObject({ answer: 'done' });
  });

  it('a job result on the job of a service task is refused, naming the field', async () => {
    await t.engine.startProcessInstance({ definitionKey: 'ad-hoc-agent' });
    const [agent] = await t.engine.jobs.activate(activation('agent'));
    await t.engine.jobs.complete(agent.jobKey, {}, { activateElements: [{ elementId: 'lookup' }] });
    const [lookup] = await t.engine.jobs.activate(activation('lookup'));
    await expect(
      t.engine.jobs.complete(lookup.jobKey, {}, { isCompletionConditionFulfilled: true }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^result: job/) });
  });
});
