import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type ActivateJobsRequest } from '../job-worker.port';
import { EngineOnTempFolder } from './engine-on-temp-folder.testing';

const xml = readFileSync(join(__dirname, 'fixtures', 'dialect', 'task-listeners.bpmn'), 'utf8');

const activation = (type: string): ActivateJobsRequest => ({
  type,
  worker: 'listener',
  timeoutMs: 60_000,
  maxJobsToActivate: 1,
  requestTimeoutMs: 5_000,
});

describe('embedded engine: task listeners', () => {
  let t: EngineOnTempFolder;

  beforeEach(async () => {
    t = await EngineOnTempFolder.open('eddy-task-listeners-', { xml, resourceName: 'task-listeners.bpmn' });
  });
  afterEach(() => t.close());

  it('creates the task only after its creating listeners, in order, with their corrections', async () => {
    const { instanceId } = await t.engine.startProcessInstance({ definitionKey: 'task-listeners' });
    const [assign] = await t.engine.jobs.activate(activation('assign-reviewer'));
    expect(assign).toMatchObject({ elementId: 'review', processInstanceKey: instanceId });
    // The second listener waits for the first.
    await expect(t.engine.jobs.activate({ ...activation('set-due'), requestTimeoutMs: -1 })).resolves.toEqual(
      [],
    );
    expect(t.delivered.events.some((e) => e.type === 'task.created')).toBe(false);

    await expect(
      t.engine.jobs.complete(assign.jobKey, {}, { type: 'userTask', corrections: { priority: 500 } }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('result.corrections.priority'),
    });
    await t.engine.jobs.complete(assign.jobKey, {}, { type: 'userTask', corrections: { assignee: 'ada' } });
    // A restart in between: the open listener job is found again.
    await t.restart();
    const [due] = await t.engine.jobs.activate(activation('set-due'));
    await t.engine.jobs.complete(
      due.jobKey,
      {},
      { corrections: { dueDate: '2030-01-02T10:00:00Z', priority: 80 } },
    );

    const review = await t.delivered.task('review');
    expect(review).toMatchObject({
      assignee: 'ada',
      candidateGroups: ['clerks'],
      dueDate: '2030-01-02T10:00:00.000Z',
      priority: 80,
    });
  });

  it('refuses listeners of other events than creating, naming the element', async () => {
    const other = xml.replace(
      'eventType="creating" type="assign-reviewer"',
      'eventType="completing" type="audit"',
    );
    await expect(t.engine.deploy({ xml: other, resourceName: 'other.bpmn' })).rejects.toMatchObject({
      code: 'UNSUPPORTED_ELEMENT',
      details: [
        expect.objectContaining({ elementId: 'review', reason: expect.stringContaining('completing') }),
      ],
    });
  });
});
