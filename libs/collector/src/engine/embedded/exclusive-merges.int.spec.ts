import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type EngineEvent, type EngineTask } from '../engine.port';
import { EngineOnTempFolder } from './engine-on-temp-folder.testing';

const xml = readFileSync(join(__dirname, 'fixtures', 'dialect', 'exclusive-merge-before-join.bpmn'), 'utf8');

describe('embedded engine: a converging exclusive gateway before a join', () => {
  let opened: EngineOnTempFolder;

  beforeEach(async () => {
    opened = await EngineOnTempFolder.open('eddy-exclusive-merge-', {
      xml,
      resourceName: 'exclusive-merge-before-join.bpmn',
    });
  });
  afterEach(() => opened.close());

  const start = (definitionKey: string, variables: Record<string, unknown>) =>
    opened.engine.startProcessInstance({ definitionKey, variables });
  const created = (elementId: string) =>
    opened.delivered.events.filter(
      (e) => e.type === 'task.created' && e.task.taskDefinitionKey === elementId,
    );
  const complete = async (task: EngineTask) => {
    await opened.engine.completeTask(task.id, {});
    await opened.delivered.until(
      (e): e is EngineEvent => e.type === 'task.completed' && e.task.id === task.id,
      `completion of ${task.taskDefinitionKey}`,
    );
  };
  const finished = (instanceId: string) =>
    opened.delivered.until(
      (e): e is EngineEvent => e.type === 'processInstance.finished' && e.instance.id === instanceId,
      `end of instance ${instanceId}`,
    );

  it('joins when the other branch arrived first and the path taken did not wait, and the instance finishes', async () => {
    const { instanceId } = await start('checks-before-join', { rentalCarValue: 20000 });
    await complete(await opened.delivered.task('inspect'));
    await finished(instanceId);
    expect(created('score')).toEqual([]);
    expect(created('inspect')).toHaveLength(1);
  });

  it('waits at the join for the path taken, though the path not taken was discarded before it', async () => {
    const { instanceId } = await start('checks-before-join', { rentalCarValue: 35000 });
    const score = await opened.delivered.task('score');
    expect(created('inspect')).toEqual([]);
    await complete(score);
    await complete(await opened.delivered.task('inspect'));
    await finished(instanceId);
    expect(created('inspect')).toHaveLength(1);
  });

  it('passes the discard on when no incoming flow can be taken, so that an inclusive join does not wait for it', async () => {
    await start('dead-merge-before-inclusive-join', { hardware: false, mobile: true });
    await complete(await opened.delivered.task('activateSim'));
    await opened.delivered.task('close');
    expect([...created('express'), ...created('standard')]).toEqual([]);
  });
});
