import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { DeliveredTransactions } from '@eddy/testing/delivered-transactions';
import { type EngineEvent, type EngineTask } from '../engine.port';
import { EmbeddedProcessEngine } from './embedded.engine';

const xml = readFileSync(join(__dirname, 'fixtures', 'dialect', 'inclusive-gateway.bpmn'), 'utf8');

describe('embedded engine: inclusive gateways', () => {
  let dataDir: string;
  let engine: EmbeddedProcessEngine;
  const delivered = new DeliveredTransactions();

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'eddy-inclusive-'));
    engine = await EmbeddedProcessEngine.open({ dataDir, durability: 'normal' });
    delivered.clear();
    engine.onTransaction(delivered.handler);
    await engine.deploy({ xml, resourceName: 'inclusive-gateway.bpmn' });
  });
  afterEach(async () => {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const created = (elementId: string) => delivered.created(elementId);
  const taskOf = async (elementId: string): Promise<EngineTask> => (await delivered.tasks(elementId))[0];
  const complete = async (task: EngineTask) => {
    await engine.completeTask(task.id, {});
    await delivered.until((e): e is EngineEvent => e.type === 'task.completed' && e.task.id === task.id);
  };

  it('forks to every flow whose condition holds, and joins when both paths have arrived', async () => {
    await engine.startProcessInstance({
      definitionKey: 'inclusive-gateway',
      variables: { hardware: true, mobile: true },
    });
    const hardware = await taskOf('shipHardware');
    const sim = await taskOf('activateSim');
    expect(created('review')).toEqual([]);
    await complete(hardware);
    expect(created('close')).toEqual([]);
    await complete(sim);
    expect((await taskOf('close')).taskDefinitionKey).toBe('close');
    expect(created('close')).toHaveLength(1);
  });

  it('joins at once after the only path taken, and takes the default flow when no condition holds', async () => {
    await engine.startProcessInstance({
      definitionKey: 'inclusive-gateway',
      variables: { hardware: true, mobile: false },
    });
    await complete(await taskOf('shipHardware'));
    await taskOf('close');
    expect(created('activateSim')).toEqual([]);

    delivered.clear();
    await engine.startProcessInstance({ definitionKey: 'inclusive-gateway', variables: {} });
    await complete(await taskOf('review'));
    await taskOf('close');
    expect(created('shipHardware')).toEqual([]);
  });
});
