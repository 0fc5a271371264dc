import { describe, expect, it } from '@jest/globals';
import { orderProcessModel } from './fixtures/order-process.model';
import type { EngineTask } from '../engine.port';
import { mapListenerJob, type ListenerJobContext } from './camunda8-listener-job.mapping';

const model = orderProcessModel('Review order');

const context = (over: Partial<ListenerJobContext> = {}): ListenerJobContext => ({
  model,
  previous: undefined,
  businessKeyVariable: 'businessKey',
  cancelledByEddy: false,
  instanceReported: true,
  now: '2030-01-01T10:00:00.000Z',
  ...over,
});

/** A task listener job as `POST /v2/jobs/activation` returns it. */
const taskJob = (
  listenerEventType: string,
  userTask: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
) => ({
  type: 'eddy-user-task',
  kind: 'TASK_LISTENER',
  listenerEventType,
  jobKey: '900',
  processInstanceKey: '100',
  processDefinitionKey: '10',
  processDefinitionId: 'order',
  processDefinitionVersion: 1,
  elementId: 'Review',
  elementInstanceKey: '101',
  retries: 3,
  deadline: 0,
  worker: 'eddy',
  customHeaders: {},
  tenantId: '<default>',
  variables: { orderId: 'O-1', businessKey: 'O-1' },
  userTask: {
    userTaskKey: '102',
    assignee: '',
    candidateUsers: [],
    candidateGroups: ['sales'],
    changedAttributes: [],
    dueDate: '2030-01-05T12:00:00+01:00',
    followUpDate: '',
    formKey: 'forms/review',
    priority: 70,
    ...userTask,
  },
  ...extra,
});

function ok(result: ReturnType<typeof mapListenerJob>) {
  if (!result.ok) throw new Error(result.reason);
  return result;
}

describe('mapListenerJob', () => {
  it('maps a creating job to task.created with the task as Camunda evaluated it and the model names', () => {
    const result = ok(mapListenerJob(taskJob('CREATING'), context()));
    expect(result.transaction).toEqual({
      id: 'camunda8:900',
      processInstanceId: '100',
      events: [
        {
          type: 'task.created',
          eventId: '100:101:900',
          occurredAt: '2030-01-01T10:00:00.000Z',
          task: {
            id: '102',
            name: 'Review order',
            taskDefinitionKey: 'Review',
            description: 'Check it',
            formKey: 'forms/review',
            priority: 70,
            createTime: '2030-01-01T10:00:00.000Z',
            dueDate: '2030-01-05T11:00:00.000Z',
            followUpDate: null,
            assignee: null,
            candidateUsers: [],
            candidateGroups: ['sales'],
            processInstanceId: '100',
            processDefinitionId: '10',
            processDefinitionKey: 'order',
            processName: 'Order',
            businessKey: 'O-1',
            tenantId: null,
          },
        },
      ],
      variables: { '102': { orderId: 'O-1', businessKey: 'O-1' } },
    });
    expect(result.taskEnded).toBe(false);
  });

  it('keeps the creation time and names of the task last reported when the model is unknown', () => {
    const previous = {
      ...ok(mapListenerJob(taskJob('CREATING'), context())).task!,
      createTime: '2029-12-31T00:00:00.000Z',
    };
    const result = ok(
      mapListenerJob(taskJob('ASSIGNING', { assignee: 'alice' }), context({ model: undefined, previous })),
    );
    expect(result.transaction.events).toEqual([
      expect.objectContaining({
        type: 'task.assigned',
        assignee: 'alice',
        task: expect.objectContaining({
          name: 'Review order',
          createTime: '2029-12-31T00:00:00.000Z',
          processName: 'Order',
        }),
      }),
    ]);
  });

  it('maps an assigning job with an empty assignee to an unassignment', () => {
    const result = ok(mapListenerJob(taskJob('ASSIGNING', { assignee: '' }), context()));
    expect(result.transaction.events[0]).toMatchObject({ type: 'task.assigned', assignee: null });
  });

  it('maps an updating job to the changed attributes and, for candidates, to the change against the previous lists', () => {
    const previous = {
      ...ok(mapListenerJob(taskJob('CREATING'), context())).task!,
      candidateGroups: ['sales'],
    };
    const result = ok(
      mapListenerJob(
        taskJob('UPDATING', {
          candidateGroups: ['sales', 'managers'],
          followUpDate: '2030-02-01T00:00:00Z',
          changedAttributes: ['candidateGroups', 'followUpDate', 'priority'],
        }),
        context({ previous }),
      ),
    );
    expect(result.transaction.events).toEqual([
      expect.objectContaining({
        type: 'task.candidatesChanged',
        eventId: '100:101:900:candidates',
        previous: { candidateUsers: [], candidateGroups: ['sales'] },
        task: expect.objectContaining({ candidateGroups: ['sales', 'managers'] }),
      }),
      expect.objectContaining({
        type: 'task.attributesChanged',
        eventId: '100:101:900',
        changed: ['followUpDate', 'priority'],
        task: expect.objectContaining({ followUpDate: '2030-02-01T00:00:00.000Z' }),
      }),
    ]);
  });

  it('maps a completing job to task.completed with the variables and marks the task ended', () => {
    const result = ok(
      mapListenerJob(taskJob('COMPLETING', {}, { variables: { approved: true } }), context()),
    );
    expect(result.transaction.events[0]).toMatchObject({
      type: 'task.completed',
      variables: { approved: true },
    });
    expect(result.taskEnded).toBe(true);
  });

  it('maps a canceling job to task.cancelled: instanceCancelled when Eddy cancelled the instance, else boundaryEvent', () => {
    expect(
      ok(mapListenerJob(taskJob('CANCELING'), context({ cancelledByEddy: true }))).transaction.events[0],
    ).toMatchObject({
      type: 'task.cancelled',
      reason: 'instanceCancelled',
    });
    const other = ok(mapListenerJob(taskJob('CANCELING'), context()));
    expect(other.transaction.events[0]).toMatchObject({ type: 'task.cancelled', reason: 'boundaryEvent' });
    expect(other.taskEnded).toBe(true);
  });

  it("reports an instance's start with its first job, in the same transaction, and its end from the end listener", () => {
    const first = ok(mapListenerJob(taskJob('CREATING'), context({ instanceReported: false })));
    expect(first.instanceStarted).toBe(true);
    expect(first.transaction.events.map((e) => e.type)).toEqual(['processInstance.started', 'task.created']);
    expect(first.transaction.events[0]).toEqual({
      type: 'processInstance.started',
      eventId: '100:100:started',
      occurredAt: '2030-01-01T10:00:00.000Z',
      startUserId: null,
      variables: { orderId: 'O-1', businessKey: 'O-1' },
      instance: {
        id: '100',
        processDefinitionId: '10',
        processDefinitionKey: 'order',
        processName: 'Order',
        businessKey: 'O-1',
        tenantId: null,
        startTime: '2030-01-01T10:00:00.000Z',
      },
    });
    // A cancelled task of an unreported instance reports no start.
    expect(
      ok(mapListenerJob(taskJob('CANCELING'), context({ instanceReported: false }))).instanceStarted,
    ).toBe(false);

    const endJob = {
      ...taskJob('END'),
      kind: 'EXECUTION_LISTENER',
      type: 'eddy-process-instance',
      elementId: 'order',
      elementInstanceKey: '100',
      userTask: undefined,
      tenantId: 'emea',
    };
    const end = ok(mapListenerJob(endJob, context()));
    expect(end.transaction.events).toEqual([
      expect.objectContaining({
        type: 'processInstance.finished',
        eventId: '100:100:900',
        instance: expect.objectContaining({ id: '100', tenantId: 'emea' }),
      }),
    ]);
    expect(end).toMatchObject({ task: null, instanceEnded: true, instanceStarted: false });
    // An instance that ends before any task: its start and end in one transaction.
    expect(
      ok(mapListenerJob(endJob, context({ instanceReported: false }))).transaction.events.map((e) => e.type),
    ).toEqual(['processInstance.started', 'processInstance.finished']);
  });

  it('reports the modelled assignee at creation, which Camunda applies right after (its assigning job follows)', () => {
    const created = ok(
      mapListenerJob(taskJob('CREATING', {}, { variables: { submitter: 'sue' } }), context()),
    );
    expect(created.task?.assignee).toBe('sue');
    const assigning = ok(
      mapListenerJob(taskJob('ASSIGNING', { assignee: '' }, { variables: { submitter: 'sue' } }), context()),
    );
    expect(assigning.task?.assignee).toBeNull();
  });

  it('is deterministic: the same job gives the same transaction, so a redelivery is a duplicate', () => {
    expect(mapListenerJob(taskJob('CREATING'), context())).toEqual(
      mapListenerJob(taskJob('CREATING'), context()),
    );
  });

  describe('refuses a job whose data does not fit, naming the field', () => {
    const refused = (job: unknown, over: Partial<ListenerJobContext> = {}) => {
      const result = mapListenerJob(job, context(over));
      if (result.ok) throw new Error('mapped');
      return result.reason;
    };

    it.each([
      ['priority out of range', taskJob('CREATING', { priority: 101 }), 'userTask.priority'],
      ['a due date that is not ISO-8601', taskJob('CREATING', { dueDate: 'tomorrow' }), 'userTask.dueDate'],
      ['no user task key', taskJob('CREATING', { userTaskKey: '' }), 'userTask.userTaskKey'],
      ['variables that are not an object', taskJob('CREATING', {}, { variables: [1, 2] }), 'variables'],
      ['an unknown event type', taskJob('DENYING'), 'listenerEventType'],
      [
        'a business key that is not a string',
        taskJob('CREATING', {}, { variables: { businessKey: 7 } }),
        'variables.businessKey',
      ],
      ['a task listener job without its user task', taskJob('CREATING', {}, { userTask: null }), 'userTask'],
    ])('%s', (_what, job, field) => {
      const reason = refused(job);
      expect(reason).toContain(field);
      expect(reason).toContain('job 900');
    });

    it('an execution listener of an element other than the process', () => {
      const job = { ...taskJob('START'), kind: 'EXECUTION_LISTENER', userTask: undefined };
      expect(refused(job)).toContain('elementId');
    });

    it('a job that is not an object at all', () => {
      expect(refused(null)).toContain('job ?');
    });
  });

  it('reads the business key from the configured variable', () => {
    const job = taskJob('CREATING', {}, { variables: { orderNumber: 'N-9' } });
    const task = ok(mapListenerJob(job, context({ businessKeyVariable: 'orderNumber' }))).task as EngineTask;
    expect(task.businessKey).toBe('N-9');
  });
});
