import { describe, expect, it } from '@jest/globals';
import { orderProcessModel } from './fixtures/order-process.model';
import {
  correctionTransaction,
  diffOpenTasks,
  parseUserTask,
  userTaskToEngineTask,
  type Camunda8UserTask,
} from './camunda8-task.resync';

/** A user task as `POST /v2/user-tasks/search` returns it. */
const result = (over: Record<string, unknown> = {}) => ({
  userTaskKey: '102',
  elementId: 'Review',
  elementInstanceKey: '101',
  name: 'Review order',
  state: 'CREATED',
  assignee: 'alice',
  candidateUsers: [],
  candidateGroups: ['sales'],
  creationDate: '2030-01-01T10:00:00.000+01:00',
  completionDate: null,
  dueDate: null,
  followUpDate: '2030-01-03T00:00:00Z',
  formKey: null,
  externalFormReference: 'forms/review',
  priority: 60,
  processInstanceKey: '100',
  processDefinitionKey: '10',
  processDefinitionId: 'order',
  processDefinitionVersion: 1,
  processName: null,
  tenantId: '<default>',
  customHeaders: {},
  ...over,
});

const parsed = (over: Record<string, unknown> = {}): Camunda8UserTask => {
  const p = parseUserTask(result(over));
  if (!p.ok) throw new Error(p.reason);
  return p.task;
};

const model = orderProcessModel('Review (model)');

describe('userTaskToEngineTask', () => {
  it("maps Camunda's search result to the port's task, description and process name from the model", () => {
    expect(userTaskToEngineTask(parsed(), model, { businessKey: 'O-1', other: 1 }, 'businessKey')).toEqual({
      id: '102',
      name: 'Review order',
      taskDefinitionKey: 'Review',
      description: 'Check it',
      formKey: 'forms/review',
      priority: 60,
      createTime: '2030-01-01T09:00:00.000Z',
      dueDate: null,
      followUpDate: '2030-01-03T00:00:00.000Z',
      assignee: 'alice',
      candidateUsers: [],
      candidateGroups: ['sales'],
      processInstanceId: '100',
      processDefinitionId: '10',
      processDefinitionKey: 'order',
      processName: 'Order',
      businessKey: 'O-1',
      tenantId: null,
    });
  });

  it('defaults what Camunda leaves out: priority 50, no assignee, name from the model', () => {
    const task = userTaskToEngineTask(
      parsed({ name: null, assignee: null, priority: null, externalFormReference: null, tenantId: 'emea' }),
      model,
      {},
      'businessKey',
    );
    expect(task).toMatchObject({
      name: 'Review (model)',
      assignee: null,
      priority: 50,
      formKey: null,
      businessKey: null,
      tenantId: 'emea',
    });
  });
});

describe('parseUserTask', () => {
  it('names the field of a result that does not fit', () => {
    const p = parseUserTask(result({ processInstanceKey: 7 }));
    expect(p).toEqual({ ok: false, reason: expect.stringContaining('user task 102: processInstanceKey') });
  });
});

describe('diffOpenTasks', () => {
  const reported = (id: string) =>
    userTaskToEngineTask(parsed({ userTaskKey: id }), model, {}, 'businessKey');

  it('finds the tasks open in Camunda but never reported, and the reported ones no longer open', () => {
    const diff = diffOpenTasks(
      [parsed({ userTaskKey: '1' }), parsed({ userTaskKey: '2' })],
      [reported('2'), reported('3')],
    );
    expect(diff.missing.map((t) => t.userTaskKey)).toEqual(['1']);
    expect(diff.ended.map((t) => t.id)).toEqual(['3']);
  });

  it('leaves alone a task whose own listener is about to report it, and one whose end was just reported', () => {
    const open = [
      parsed({ userTaskKey: '1', state: 'CREATING' }),
      parsed({ userTaskKey: '2', state: 'COMPLETING' }),
      parsed({ userTaskKey: '3', state: 'CANCELING' }),
      parsed({ userTaskKey: '4', state: 'ASSIGNING' }),
      parsed({ userTaskKey: '5' }),
    ];
    expect(diffOpenTasks(open, [], new Set(['5'])).missing.map((t) => t.userTaskKey)).toEqual(['4']);
  });

  it('finds nothing when the two agree', () => {
    expect(diffOpenTasks([parsed()], [reported('102')])).toEqual({ missing: [], ended: [] });
  });
});

describe('correctionTransaction', () => {
  const task = userTaskToEngineTask(parsed(), model, {}, 'businessKey');
  const now = '2030-01-02T00:00:00.000Z';

  it('creates a missed task with its variables', () => {
    expect(correctionTransaction({ kind: 'missing', task, variables: { a: 1 } }, now)).toEqual({
      id: 'camunda8:resync:102:created',
      processInstanceId: '100',
      events: [{ type: 'task.created', eventId: '100:102:resync:created', occurredAt: now, task }],
      variables: { '102': { a: 1 } },
    });
  });

  it('completes a task Camunda completed and cancels one Camunda cancelled', () => {
    expect(correctionTransaction({ kind: 'ended', task, state: 'COMPLETED' }, now).events).toEqual([
      { type: 'task.completed', eventId: '100:102:resync:ended', occurredAt: now, task, variables: {} },
    ]);
    expect(correctionTransaction({ kind: 'ended', task, state: 'CANCELED' }, now).events).toEqual([
      {
        type: 'task.cancelled',
        eventId: '100:102:resync:ended',
        occurredAt: now,
        task,
        reason: 'instanceEnded',
      },
    ]);
  });

  it('gives a repeated correction the same ids, so the core takes it for a duplicate', () => {
    const later = '2030-01-03T00:00:00.000Z';
    const a = correctionTransaction({ kind: 'ended', task, state: 'COMPLETED' }, now);
    const b = correctionTransaction({ kind: 'ended', task, state: 'COMPLETED' }, later);
    expect(b.id).toBe(a.id);
    expect(b.events[0].eventId).toBe(a.events[0].eventId);
  });
});
