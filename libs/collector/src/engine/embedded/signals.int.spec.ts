import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type EngineEvent } from '../engine.port';
import { EngineOnTempFolder } from './engine-on-temp-folder.testing';

const xml = readFileSync(join(__dirname, 'fixtures', 'dialect', 'signals.bpmn'), 'utf8');

type Created = Extract<EngineEvent, { type: 'task.created' }>;

describe('embedded engine: signals', () => {
  let t: EngineOnTempFolder;

  const created = (elementId: string) =>
    t.delivered.events.filter(
      (e): e is Created => e.type === 'task.created' && e.task.taskDefinitionKey === elementId,
    );

  beforeEach(async () => {
    t = await EngineOnTempFolder.open('eddy-signals-', { xml, resourceName: 'signals.bpmn' });
  });
  afterEach(() => t.close());

  it('a broadcast reaches the waiting catch events of its name and starts the processes with its signal start event', async () => {
    const waiting = await t.engine.startProcessInstance({ definitionKey: 'signal-waiting' });
    // A process with only a signal start event is not started otherwise.
    await expect(t.engine.startProcessInstance({ definitionKey: 'signal-started' })).rejects.toMatchObject({
      code: 'NOT_STARTABLE',
    });
    // Another name reaches nothing.
    await expect(t.engine.broadcastSignal({ signalName: 'stock-left' })).resolves.toEqual({
      instanceIds: [],
    });

    const { instanceIds } = await t.engine.broadcastSignal({
      signalName: 'stock-arrived',
      variables: { sku: 'A-7' },
    });
    expect(instanceIds).toHaveLength(2);
    expect(instanceIds[0]).toBe(waiting.instanceId);
    const ship = await t.delivered.task('ship');
    expect(t.delivered.variablesOf(ship)).toMatchObject({ sku: 'A-7' });
    const restock = await t.delivered.task('restock');
    expect(restock.processInstanceId).toBe(instanceIds[1]);

    // The waiting instance went on: a second broadcast only starts another instance.
    const again = await t.engine.broadcastSignal({ signalName: 'stock-arrived' });
    expect(again.instanceIds).toHaveLength(1);
    expect(again.instanceIds).not.toContain(waiting.instanceId);
  });

  it('a signal end event broadcasts its signal to the other processes', async () => {
    await t.engine.startProcessInstance({ definitionKey: 'signal-thrower' });
    const announce = await t.delivered.task('announce');
    await t.engine.completeTask(announce.id);
    await t.delivered.task('restock');
    expect(created('restock')).toHaveLength(1);
  });

  it('an instance that waits for a signal still receives it after a restart', async () => {
    const waiting = await t.engine.startProcessInstance({ definitionKey: 'signal-waiting' });
    await t.restart();
    const { instanceIds } = await t.engine.broadcastSignal({ signalName: 'stock-arrived' });
    expect(instanceIds).toContain(waiting.instanceId);
    await t.delivered.task('ship');
  });

  it('refuses a broadcast without a signal name, naming the field', async () => {
    await expect(t.engine.broadcastSignal({ signalName: ' ' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('signalName'),
    });
  });
});
