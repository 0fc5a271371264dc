import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type EngineEvent } from '../engine.port';
import { EngineOnTempFolder } from './engine-on-temp-folder.testing';

const xml = readFileSync(join(__dirname, 'fixtures', 'dialect', 'terminate.bpmn'), 'utf8');

const cancelled = (events: EngineEvent[], elementId: string) =>
  events.find((e) => e.type === 'task.cancelled' && e.task.taskDefinitionKey === elementId);

describe('embedded engine: terminate end events', () => {
  let t: EngineOnTempFolder;

  beforeEach(async () => {
    t = await EngineOnTempFolder.open('eddy-terminate-', { xml, resourceName: 'terminate.bpmn' });
  });
  afterEach(() => t.close());

  it('in a sub-process: ends the sub-process only, leaving its other tasks, and the process goes on', async () => {
    await t.engine.startProcessInstance({ definitionKey: 'terminate', variables: { orderId: 'A-1' } });
    const pack = await t.delivered.task('pack');
    await t.delivered.task('label');
    await t.engine.completeTask(pack.id);

    const ship = await t.delivered.task('ship');
    expect(cancelled(t.delivered.events, 'label')).toMatchObject({ reason: 'boundaryEvent' });
    // Outside the sub-process, nothing was terminated.
    expect(cancelled(t.delivered.events, 'decide')).toBeUndefined();
    expect(t.delivered.events.some((e) => e.type === 'processInstance.finished')).toBe(false);
    expect(ship.taskDefinitionKey).toBe('ship');
  });

  it('in the process: cancels every other element (tasks, jobs, message subscriptions) and finishes the instance', async () => {
    const { instanceId } = await t.engine.startProcessInstance({
      definitionKey: 'terminate',
      variables: { orderId: 'A-2' },
    });
    const decide = await t.delivered.task('decide');
    await t.delivered.task('pack');
    const [charge] = await t.engine.jobs.activate({
      type: 'charge',
      worker: 'w',
      timeoutMs: 60_000,
      maxJobsToActivate: 1,
      requestTimeoutMs: 5_000,
    });
    expect(charge).toBeDefined();

    await t.engine.completeTask(decide.id);
    const finished = await t.delivered.until(
      (e): e is Extract<EngineEvent, { type: 'processInstance.finished' }> =>
        e.type === 'processInstance.finished',
      'the instance finished',
    );
    expect(finished.instance.id).toBe(instanceId);
    const events = t.delivered.events;
    expect(events.some((e) => e.type === 'processInstance.cancelled')).toBe(false);
    for (const elementId of ['pack', 'label'])
      expect(cancelled(events, elementId)).toMatchObject({ reason: 'instanceEnded' });
    await expect(t.engine.jobs.complete(charge.jobKey)).rejects.toMatchObject({ code: 'UNKNOWN_JOB' });
    await expect(t.engine.correlateMessage({ name: 'paid', correlationKey: 'A-2' })).resolves.toEqual({
      instanceIds: [],
    });
  });

  it('in a multi-instance sub-process: ends the inner instance it is in only', async () => {
    const other = readFileSync(
      join(__dirname, 'fixtures', 'dialect', 'terminate-multi-instance.bpmn'),
      'utf8',
    );
    await t.engine.deploy({ xml: other, resourceName: 'terminate-multi-instance.bpmn' });
    await t.engine.startProcessInstance({
      definitionKey: 'terminate-multi-instance',
      variables: { items: [1, 2] },
    });
    const created = (elementId: string) =>
      t.delivered.events.flatMap((e) =>
        e.type === 'task.created' && e.task.taskDefinitionKey === elementId ? [e.task] : [],
      );
    await t.delivered.until(
      (_e): _e is EngineEvent => created('note').length === 2 && created('check').length === 2,
      'two inner instances',
    );
    const second = created('check')[1];
    await t.engine.completeTask(second.id);

    await t.delivered.until((e): e is EngineEvent => e.type === 'task.cancelled', 'a cancelled note');
    const cancelledNotes = t.delivered.events.filter(
      (e) => e.type === 'task.cancelled' && e.task.taskDefinitionKey === 'note',
    );
    expect(cancelledNotes).toHaveLength(1);
    expect(cancelledNotes[0]).toMatchObject({ task: { id: created('note')[1].id }, reason: 'boundaryEvent' });
    expect(
      t.delivered.events.some((e) => e.type === 'task.cancelled' && e.task.id === created('check')[0].id),
    ).toBe(false);
  });
});
