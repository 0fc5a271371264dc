import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type EngineEvent } from '../engine.port';
import { type ActivatedJob, type ActivateJobsRequest } from '../job-worker.port';
import { EngineOnTempFolder } from './engine-on-temp-folder.testing';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', 'dialect', name), 'utf8');

const activation = (type: string, requestTimeoutMs = 5_000): ActivateJobsRequest => ({
  type,
  worker: 'listener',
  timeoutMs: 60_000,
  maxJobsToActivate: 1,
  requestTimeoutMs,
});

describe('embedded engine: execution listeners', () => {
  let t: EngineOnTempFolder;

  beforeEach(async () => {
    t = await EngineOnTempFolder.open('eddy-execution-listeners-', {
      xml: fixture('execution-listeners.bpmn'),
      resourceName: 'execution-listeners.bpmn',
    });
  });
  afterEach(() => t.close());

  /** The instance has not finished before the listener's job completes, and finishes after. */
  const finishesWhenCompleted = async (job: ActivatedJob) => {
    expect(t.delivered.events.some((e) => e.type === 'processInstance.finished')).toBe(false);
    await t.engine.jobs.complete(job.jobKey);
    await t.delivered.until(
      (e): e is Extract<EngineEvent, { type: 'processInstance.finished' }> =>
        e.type === 'processInstance.finished',
      'the instance finished',
    );
  };

  const only = async (type: string): Promise<ActivatedJob> => {
    const jobs = await t.engine.jobs.activate(activation(type));
    expect(jobs).toHaveLength(1);
    return jobs[0];
  };

  it('runs start and end listeners as jobs, in order, around the element, and waits at an incident', async () => {
    const { instanceId } = await t.engine.startProcessInstance({
      definitionKey: 'execution-listeners',
      variables: { factor: 3 },
    });
    const processStart = await only('process-start');
    expect(processStart).toMatchObject({ elementId: 'execution-listeners', processInstanceKey: instanceId });
    // The element waits for its start listener: no job of its own yet.
    await expect(t.engine.jobs.activate(activation('before-charge', -1))).resolves.toEqual([]);
    await t.engine.jobs.complete(processStart.jobKey, { base: 10 });

    const before = await only('before-charge');
    expect(before).toMatchObject({ elementId: 'charge', customHeaders: { channel: 'web' } });
    await expect(t.engine.jobs.activate(activation('charge', -1))).resolves.toEqual([]);
    await expect(t.engine.jobs.throwError(before.jobKey, { errorCode: 'NOPE' })).rejects.toMatchObject({
      code: 'INVALID_JOB_STATE',
      message: expect.stringContaining('execution listener'),
    });
    await t.engine.jobs.complete(before.jobKey, { base: 20 });
    // A restart while the element's own job waits: listener jobs and element jobs are stored alike.
    await t.restart();

    // The start listener's variables are seen by the element's input mappings.
    const charge = await only('charge');
    expect(charge.variables).toMatchObject({ total: 60 });
    await t.engine.jobs.complete(charge.jobKey, { receipt: 'r-1' });

    // The end listener runs after the output mappings; out of retries it is an incident and the instance waits.
    const after = await only('after-charge');
    expect(after.variables).toMatchObject({ charged: 60, receipt: 'r-1' });
    await t.engine.jobs.fail(after.jobKey, { retries: 0, errorMessage: 'audit down' });
    expect(t.engine.jobs.incidents()).toEqual([
      expect.objectContaining({
        elementId: 'charge',
        errorType: 'JOB_NO_RETRIES',
        errorMessage: 'audit down',
      }),
    ]);
    expect(t.delivered.events.some((e) => e.type === 'task.created')).toBe(false);
    await t.engine.jobs.updateRetries(after.jobKey, 1);
    await t.engine.jobs.resolveIncident(t.engine.jobs.incidents()[0].incidentKey);
    await t.engine.jobs.complete((await only('after-charge')).jobKey, { audited: true });

    const review = await t.delivered.task('review');
    expect(t.delivered.variablesOf(review)).toMatchObject({ charged: 60, audited: true });
    await t.engine.completeTask(review.id);

    // An end event's end listener: the instance finishes once it completed.
    const onDone = await only('on-done');
    expect(onDone.elementId).toBe('done');
    await finishesWhenCompleted(onDone);
  });

  it('runs the listeners of a sub-process around it, and a gateway start listener sets what its conditions read', async () => {
    await t.engine.deploy({
      xml: fixture('execution-listeners-scopes.bpmn'),
      resourceName: 'execution-listeners-scopes.bpmn',
    });
    await t.engine.startProcessInstance({ definitionKey: 'execution-listeners-scopes' });
    const subStart = await only('sub-start');
    expect(subStart.elementId).toBe('handling');
    await expect(t.engine.jobs.activate(activation('route', -1))).resolves.toEqual([]);
    await t.engine.jobs.complete(subStart.jobKey);
    const route = await only('route');
    expect(route.elementId).toBe('route');
    await t.engine.jobs.complete(route.jobKey, { express: true });

    const express = await t.delivered.task('express');
    await t.engine.completeTask(express.id);
    const subEnd = await only('sub-end');
    expect(subEnd.elementId).toBe('handling');
    await finishesWhenCompleted(subEnd);
    expect(t.delivered.events.some((e) => 'task' in e && e.task.taskDefinitionKey === 'normal')).toBe(false);
  });

  it('refuses listeners without a type, of other event types, twice, or where Camunda 8 allows none, naming the element', async () => {
    const refused = t.engine.deploy({
      xml: fixture('execution-listeners-refused.bpmn'),
      resourceName: 'execution-listeners-refused.bpmn',
    });
    await expect(refused).rejects.toMatchObject({ code: 'UNSUPPORTED_ELEMENT' });
    const details = await refused.catch((error: { details: { elementId: string; reason: string }[] }) =>
      error.details.map((d) => `${d.elementId}: ${d.reason}`),
    );
    expect(details).toEqual([
      expect.stringMatching(/^start: .*start events cannot have start listeners/),
      expect.stringMatching(/^untyped: .*needs a job type/),
      expect.stringMatching(/^choose: .*gateways cannot have end listeners/),
      expect.stringMatching(/^taken: .*event type take/),
      expect.stringMatching(/^taken: .*end audit is defined twice/),
    ]);
  });
});
