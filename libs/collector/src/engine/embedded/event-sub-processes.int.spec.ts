import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type EngineEvent } from '../engine.port';
import { EngineOnTempFolder } from './engine-on-temp-folder.testing';

const xml = readFileSync(join(__dirname, 'fixtures', 'dialect', 'event-sub-processes.bpmn'), 'utf8');

type Created = Extract<EngineEvent, { type: 'task.created' }>;
type Cancelled = Extract<EngineEvent, { type: 'task.cancelled' }>;

describe('embedded engine: timer, message and escalation event sub-processes', () => {
  let t: EngineOnTempFolder;

  const created = (elementId: string, instanceId: string) =>
    t.delivered.events.filter(
      (e): e is Created =>
        e.type === 'task.created' &&
        e.task.taskDefinitionKey === elementId &&
        e.task.processInstanceId === instanceId,
    );
  const cancelledTask = (taskId: string) =>
    t.delivered.until(
      (e): e is Cancelled => e.type === 'task.cancelled' && e.task.id === taskId,
      `cancel of ${taskId}`,
    );

  beforeEach(async () => {
    t = await EngineOnTempFolder.open('eddy-esp-', { xml, resourceName: 'event-sub-processes.bpmn' });
  });
  afterEach(() => t.close());

  it('a non-interrupting timer cycle starts its event sub-process once per repetition, beside the open task', async () => {
    const { instanceId } = await t.engine.startProcessInstance({ definitionKey: 'esp-timer-cycle' });
    const work = await t.delivered.task('work');
    const first = await t.delivered.task('remind');
    // The second repetition waits until the first run of the event sub-process is done.
    await t.engine.completeTask(first.id);
    await t.delivered.until(
      (e): e is Created =>
        e.type === 'task.created' && e.task.taskDefinitionKey === 'remind' && e.task.id !== first.id,
      'the second reminder',
    );
    expect(created('remind', instanceId)).toHaveLength(2);
    expect(t.delivered.events.some((e) => e.type === 'task.cancelled' && e.task.id === work.id)).toBe(false);
  });

  it('an interrupting timer event sub-process inside a sub-process cancels its task, and the process goes on after the sub-process', async () => {
    await t.engine.startProcessInstance({
      definitionKey: 'esp-timer-interrupting',
      variables: { packingTime: 'PT0.2S' },
    });
    const pack = await t.delivered.task('pack');
    const expedite = await t.delivered.task('expedite');
    await expect(cancelledTask(pack.id)).resolves.toMatchObject({ reason: 'boundaryEvent' });
    await t.engine.completeTask(expedite.id);
    await t.delivered.task('ship');
  });

  it('a timer of an event sub-process survives a restart of the engine', async () => {
    const { instanceId } = await t.engine.startProcessInstance({
      definitionKey: 'esp-timer-interrupting',
      variables: { packingTime: 'PT1S' },
    });
    await t.delivered.task('pack');
    await t.restart();
    const expedite = await t.delivered.task('expedite');
    expect(expedite.processInstanceId).toBe(instanceId);
  });

  it('a non-interrupting message event sub-process runs for each message, an interrupting one ends everything else', async () => {
    const { instanceId } = await t.engine.startProcessInstance({
      definitionKey: 'esp-messages',
      variables: { orderId: 'A-1' },
    });
    const handle = await t.delivered.task('handle');
    await expect(
      t.engine.correlateMessage({ name: 'note', correlationKey: 'A-1', variables: { note: 'fragile' } }),
    ).resolves.toEqual({ instanceIds: [instanceId] });
    const readNote = await t.delivered.task('readNote');
    expect(t.delivered.variablesOf(readNote)).toMatchObject({ note: 'fragile' });
    // Another key reaches no instance.
    await expect(t.engine.correlateMessage({ name: 'note', correlationKey: 'B-2' })).resolves.toEqual({
      instanceIds: [],
    });
    await t.engine.completeTask(readNote.id);
    await t.engine.correlateMessage({ name: 'note', correlationKey: 'A-1' });
    await t.delivered.until(
      (e): e is Created =>
        e.type === 'task.created' && e.task.taskDefinitionKey === 'readNote' && e.task.id !== readNote.id,
      'the second note',
    );

    await expect(t.engine.correlateMessage({ name: 'cancel', correlationKey: 'A-1' })).resolves.toEqual({
      instanceIds: [instanceId],
    });
    const cleanUp = await t.delivered.task('cleanUp');
    await cancelledTask(handle.id);
    // The event sub-process's subscriptions are closed with the interruption.
    await expect(t.engine.correlateMessage({ name: 'note', correlationKey: 'A-1' })).resolves.toEqual({
      instanceIds: [],
    });
    await t.engine.completeTask(cleanUp.id);
    await t.delivered.until(
      (e): e is Extract<EngineEvent, { type: 'processInstance.finished' }> =>
        e.type === 'processInstance.finished' && e.instance.id === instanceId,
      'the end of the instance',
    );
  });

  it('an interrupting escalation event sub-process ends the other paths of the process', async () => {
    const { instanceId } = await t.engine.startProcessInstance({ definitionKey: 'esp-escalation' });
    const other = await t.delivered.task('other');
    const review = await t.delivered.task('review');
    await t.engine.completeTask(review.id);
    await t.delivered.task('decide');
    await cancelledTask(other.id);
    expect(created('after', instanceId)).toHaveLength(0);
  });
});
