import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type EngineEvent } from '../engine.port';
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

  it('refuses canceling listeners and unknown event types, naming the element', async () => {
    const other = xml.replace(
      'eventType="creating" type="assign-reviewer"',
      'eventType="canceling" type="audit"',
    );
    await expect(t.engine.deploy({ xml: other, resourceName: 'other.bpmn' })).rejects.toMatchObject({
      code: 'UNSUPPORTED_ELEMENT',
      details: [
        expect.objectContaining({ elementId: 'review', reason: expect.stringContaining('canceling') }),
      ],
    });
    const unknown = xml.replace(
      'eventType="creating" type="assign-reviewer"',
      'eventType="claiming" type="x"',
    );
    await expect(t.engine.deploy({ xml: unknown, resourceName: 'unknown.bpmn' })).rejects.toMatchObject({
      details: [
        expect.objectContaining({ elementId: 'review', reason: expect.stringContaining('claiming') }),
      ],
    });
  });

  it('refuses a denial from a creating listener, naming the field', async () => {
    await t.engine.startProcessInstance({ definitionKey: 'task-listeners' });
    const [assign] = await t.engine.jobs.activate(activation('assign-reviewer'));
    await expect(t.engine.jobs.complete(assign.jobKey, {}, { denied: true })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('result.denied'),
    });
  });

  describe('of assigning, updating and completing', () => {
    const lifecycle = readFileSync(
      join(__dirname, 'fixtures', 'dialect', 'task-listeners-lifecycle.bpmn'),
      'utf8',
    );
    const only = async (type: string) => {
      const jobs = await t.engine.jobs.activate(activation(type));
      expect(jobs).toHaveLength(1);
      return jobs[0];
    };
    const typesOf = (taskId: string) =>
      t.delivered.events.flatMap((e) => ('task' in e && e.task.id === taskId ? [e.type] : []));

    beforeEach(async () => {
      await t.engine.deploy({ xml: lifecycle, resourceName: 'task-listeners-lifecycle.bpmn' });
      await t.engine.startProcessInstance({ definitionKey: 'task-listeners-lifecycle' });
    });

    it('assigns only once the assigning listener completed, with its corrections, and refuses other actions meanwhile', async () => {
      const task = await t.delivered.task('approve');
      await t.engine.assignTask(task.id, 'ada');
      const check = await only('check-assignee');
      expect(check).toMatchObject({
        elementId: 'approve',
        customHeaders: {
          'io.camunda.zeebe:action': 'assign',
          'io.camunda.zeebe:userTaskKey': task.id,
          'io.camunda.zeebe:assignee': 'ada',
          'io.camunda.zeebe:changedAttributes': '["assignee"]',
        },
      });
      expect(typesOf(task.id)).toEqual(['task.created']);
      await expect(t.engine.completeTask(task.id, {})).rejects.toMatchObject({ code: 'INVALID_TASK_STATE' });

      await t.engine.jobs.complete(check.jobKey, {}, { corrections: { assignee: 'bob', priority: 70 } });
      const assigned = await t.delivered.until(
        (e): e is Extract<EngineEvent, { type: 'task.assigned' }> => e.type === 'task.assigned',
        'the assignment',
      );
      expect(assigned).toMatchObject({ assignee: 'bob', task: { assignee: 'bob', priority: 70 } });
      expect(typesOf(task.id)).toEqual(['task.created', 'task.attributesChanged', 'task.assigned']);
    });

    it('a denied update or completion takes no effect and is not reported; an allowed one runs every listener first', async () => {
      const task = await t.delivered.task('approve');
      await t.engine.updateTask(task.id, { priority: 90 });
      await t.engine.jobs.complete((await only('check-update')).jobKey, {}, { denied: true });

      await t.engine.completeTask(task.id, { approved: false });
      await t.engine.jobs.complete(
        (await only('check-completion')).jobKey,
        {},
        { denied: true, deniedReason: 'no' },
      );
      // Denied: the task stays open and can be completed again.
      await t.engine.completeTask(task.id, { approved: true });
      await t.engine.jobs.complete((await only('check-completion')).jobKey);
      expect(typesOf(task.id)).toEqual(['task.created']);
      // A restart while the second listener's job is open: it finds the task again.
      await t.restart();
      await t.engine.jobs.complete(
        (await only('audit-completion')).jobKey,
        {},
        { corrections: { priority: 10 } },
      );

      const completed = await t.delivered.until(
        (e): e is Extract<EngineEvent, { type: 'task.completed' }> => e.type === 'task.completed',
        'the completion',
      );
      expect(completed).toMatchObject({ variables: { approved: true }, task: { priority: 10 } });
      expect(typesOf(task.id)).toEqual(['task.created', 'task.attributesChanged', 'task.completed']);
    });
  });
});
