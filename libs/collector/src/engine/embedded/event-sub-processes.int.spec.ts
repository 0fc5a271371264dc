import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type EngineEvent } from '../engine.port';
import { DeliveredTransactions } from './delivered-transactions.testing';
import { EmbeddedProcessEngine } from './embedded.engine';

const xml = readFileSync(join(__dirname, 'fixtures', 'dialect', 'event-sub-processes.bpmn'), 'utf8');

type Created = Extract<EngineEvent, { type: 'task.created' }>;
type Cancelled = Extract<EngineEvent, { type: 'task.cancelled' }>;

describe('embedded engine: timer, message and escalation event sub-processes', () => {
  let dataDir: string;
  let engine: EmbeddedProcessEngine;
  let delivered: DeliveredTransactions;

  const open = async () => {
    engine = await EmbeddedProcessEngine.open({ dataDir, durability: 'normal' });
    engine.onTransaction(delivered.handler);
  };
  const created = (elementId: string, instanceId: string) =>
    delivered.events.filter(
      (e): e is Created =>
        e.type === 'task.created' &&
        e.task.taskDefinitionKey === elementId &&
        e.task.processInstanceId === instanceId,
    );
  const cancelledTask = (taskId: string) =>
    delivered.until(
      (e): e is Cancelled => e.type === 'task.cancelled' && e.task.id === taskId,
      `cancel of ${taskId}`,
    );

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'eddy-esp-'));
    delivered = new DeliveredTransactions();
    await open();
    await engine.deploy({ xml, resourceName: 'event-sub-processes.bpmn' });
  });
  afterEach(async () => {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a non-interrupting timer cycle starts its event sub-process once per repetition, beside the open task', async () => {
    const { instanceId } = await engine.startProcessInstance({ definitionKey: 'esp-timer-cycle' });
    const work = await delivered.task('work');
    const first = await delivered.task('remind');
    // The second repetition waits until the first run of the event sub-process is done.
    await engine.completeTask(first.id);
    await delivered.until(
      (e): e is Created =>
        e.type === 'task.created' && e.task.taskDefinitionKey === 'remind' && e.task.id !== first.id,
      'the second reminder',
    );
    expect(created('remind', instanceId)).toHaveLength(2);
    expect(delivered.events.some((e) => e.type === 'task.cancelled' && e.task.id === work.id)).toBe(false);
  });

  it('an interrupting timer event sub-process inside a sub-process cancels its task, and the process goes on after the sub-process', async () => {
    await engine.startProcessInstance({
      definitionKey: 'esp-timer-interrupting',
      variables: { packingTime: 'PT0.2S' },
    });
    const pack = await delivered.task('pack');
    const expedite = await delivered.task('expedite');
    await expect(cancelledTask(pack.id)).resolves.toMatchObject({ reason: 'boundaryEvent' });
    await engine.completeTask(expedite.id);
    await delivered.task('ship');
  });

  it('a timer of an event sub-process survives a restart of the engine', async () => {
    const { instanceId } = await engine.startProcessInstance({
      definitionKey: 'esp-timer-interrupting',
      variables: { packingTime: 'PT1S' },
    });
    await delivered.task('pack');
    await engine.close();
    await open();
    const expedite = await delivered.task('expedite');
    expect(expedite.processInstanceId).toBe(instanceId);
  });

  it('a non-interrupting message event sub-process runs for each message, an interrupting one ends everything else', async () => {
    const { instanceId } = await engine.startProcessInstance({
      definitionKey: 'esp-messages',
      variables: { orderId: 'A-1' },
    });
    const handle = await delivered.task('handle');
    await expect(
      engine.correlateMessage({ name: 'note', correlationKey: 'A-1', variables: { note: 'fragile' } }),
    ).resolves.toEqual({ instanceIds: [instanceId] });
    const readNote = await delivered.task('readNote');
    expect(delivered.variablesOf(readNote)).toMatchObject({ note: 'fragile' });
    // Another key reaches no instance.
    await expect(engine.correlateMessage({ name: 'note', correlationKey: 'B-2' })).resolves.toEqual({
      instanceIds: [],
    });
    await engine.completeTask(readNote.id);
    await engine.correlateMessage({ name: 'note', correlationKey: 'A-1' });
    await delivered.until(
      (e): e is Created =>
        e.type === 'task.created' && e.task.taskDefinitionKey === 'readNote' && e.task.id !== readNote.id,
      'the second note',
    );

    await expect(engine.correlateMessage({ name: 'cancel', correlationKey: 'A-1' })).resolves.toEqual({
      instanceIds: [instanceId],
    });
    const cleanUp = await delivered.task('cleanUp');
    await cancelledTask(handle.id);
    // The event sub-process's subscriptions are closed with the interruption.
    await expect(engine.correlateMessage({ name: 'note', correlationKey: 'A-1' })).resolves.toEqual({
      instanceIds: [],
    });
    await engine.completeTask(cleanUp.id);
    await delivered.until(
      (e): e is Extract<EngineEvent, { type: 'processInstance.finished' }> =>
        e.type === 'processInstance.finished' && e.instance.id === instanceId,
      'the end of the instance',
    );
  });

  it('an interrupting escalation event sub-process ends the other paths of the process', async () => {
    const { instanceId } = await engine.startProcessInstance({ definitionKey: 'esp-escalation' });
    const other = await delivered.task('other');
    const review = await delivered.task('review');
    await engine.completeTask(review.id);
    await delivered.task('decide');
    await cancelledTask(other.id);
    expect(created('after', instanceId)).toHaveLength(0);
  });
});
