import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type EngineEvent, type EngineTask } from '../engine.port';
import { EmbeddedProcessEngine } from './embedded.engine';

const xml = readFileSync(join(__dirname, 'fixtures', 'dialect', 'inclusive-gateway.bpmn'), 'utf8');

describe('embedded engine: inclusive gateways', () => {
  let dataDir: string;
  let engine: EmbeddedProcessEngine;
  const events: EngineEvent[] = [];
  let delivered: () => void = () => undefined;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'eddy-inclusive-'));
    engine = await EmbeddedProcessEngine.open({ dataDir, durability: 'normal' });
    events.length = 0;
    engine.onTransaction(async (tx) => {
      events.push(...tx.events);
      delivered();
    });
    await engine.deploy({ xml, resourceName: 'inclusive-gateway.bpmn' });
  });
  afterEach(async () => {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const until = async (match: (e: EngineEvent) => boolean): Promise<EngineEvent> => {
    for (;;) {
      const found = events.find(match);
      if (found) return found;
      await new Promise<void>((resolve) => (delivered = resolve));
    }
  };
  const created = (elementId: string) =>
    events.flatMap((e) =>
      e.type === 'task.created' && e.task.taskDefinitionKey === elementId ? [e.task] : [],
    );
  const taskOf = async (elementId: string): Promise<EngineTask> => {
    await until((e) => e.type === 'task.created' && e.task.taskDefinitionKey === elementId);
    return created(elementId)[0];
  };
  const complete = async (task: EngineTask) => {
    await engine.completeTask(task.id, {});
    await until((e) => e.type === 'task.completed' && e.task.id === task.id);
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

    events.length = 0;
    await engine.startProcessInstance({ definitionKey: 'inclusive-gateway', variables: {} });
    await complete(await taskOf('review'));
    await taskOf('close');
    expect(created('shipHardware')).toEqual([]);
  });
});
