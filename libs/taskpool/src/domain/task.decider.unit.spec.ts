import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  foldEvents,
  type CreateTaskData,
  type TaskCommand,
  type TaskCreated,
  type TaskEvent,
} from '@eddy/contracts';
import { DeciderSpecification, testMetadata } from '@eddy/testing';
import { taskDecider, type TaskState } from './task.decider';

const id = 'task-1';
const sourceReference = {
  type: 'process' as const,
  instanceId: 'pi-1',
  definitionId: 'order:1:abc',
  definitionKey: 'order',
  name: 'Order',
  applicationName: 'shop',
};
const minimal: CreateTaskData = { id, name: 'Approve order', taskDefinitionKey: 'approve', sourceReference };

const created: TaskCreated = {
  type: 'TaskCreated',
  data: {
    ...minimal,
    description: null,
    formKey: null,
    priority: null,
    createTime: '2026-01-01T08:00:00.000Z',
    dueDate: null,
    followUpDate: null,
    assignee: null,
    owner: null,
    candidateUsers: ['anna', 'bert'],
    candidateGroups: ['clerks'],
    businessKey: null,
    payload: { amount: 10 },
    correlations: [],
  },
};
const assignedTo = (assignee: string | null): TaskEvent => ({ type: 'TaskAssigned', data: { id, assignee } });
const completed: TaskEvent = { type: 'TaskCompleted', data: { id, assignee: null } };
const deleted: TaskEvent = { type: 'TaskDeleted', data: { id, deleteReason: null } };

const spec = DeciderSpecification.for(taskDecider);

describe('task decider: engine commands', () => {
  describe('CreateTask', () => {
    it('creates a task with defaults for the optional fields and the command time as create time', () => {
      spec
        .given([])
        .when({ type: 'CreateTask', data: minimal }, { timestamp: '2026-03-04T05:06:07.000Z' })
        .then([
          {
            type: 'TaskCreated',
            data: {
              ...minimal,
              description: null,
              formKey: null,
              priority: null,
              createTime: '2026-03-04T05:06:07.000Z',
              dueDate: null,
              followUpDate: null,
              assignee: null,
              owner: null,
              candidateUsers: [],
              candidateGroups: [],
              businessKey: null,
              payload: {},
              correlations: [],
            },
          },
        ]);
    });

    it('keeps every given field and drops repeated candidates', () => {
      const full: CreateTaskData = {
        ...minimal,
        description: 'check the amount',
        formKey: 'forms/approve',
        priority: 50,
        createTime: '2025-12-31T23:00:00Z',
        dueDate: '2026-01-10T00:00:00Z',
        followUpDate: '2026-01-05T00:00:00Z',
        assignee: 'anna',
        owner: 'olga',
        candidateUsers: ['anna', 'bert', 'anna'],
        candidateGroups: ['clerks'],
        businessKey: 'order-17',
        payload: { amount: 10 },
        correlations: [{ entryType: 'order', entryId: '17' }],
      };
      spec
        .given([])
        .when({ type: 'CreateTask', data: full })
        .then([
          { type: 'TaskCreated', data: { ...full, candidateUsers: ['anna', 'bert'] } as TaskCreated['data'] },
        ]);
    });

    it.each([
      ['open', [created]],
      ['completed', [created, completed]],
      ['deleted', [created, deleted]],
    ])('refuses a second CreateTask for an %s task with TASK_EXISTS', (_status, history) => {
      spec.given(history).when({ type: 'CreateTask', data: minimal }).thenThrows('TASK_EXISTS');
    });
  });

  describe('AssignTask', () => {
    it('assigns', () => {
      spec
        .given([created])
        .when({ type: 'AssignTask', data: { id, assignee: 'anna' } })
        .then([assignedTo('anna')]);
    });
    it('unassigns with null', () => {
      spec
        .given([created, assignedTo('anna')])
        .when({ type: 'AssignTask', data: { id, assignee: null } })
        .then([assignedTo(null)]);
    });
    it('emits nothing for the current assignee', () => {
      spec
        .given([created, assignedTo('anna')])
        .when({ type: 'AssignTask', data: { id, assignee: 'anna' } })
        .thenNothing();
      spec
        .given([created])
        .when({ type: 'AssignTask', data: { id, assignee: null } })
        .thenNothing();
    });
  });

  describe('UpdateTaskAttributes', () => {
    it('emits only the attributes that change', () => {
      spec
        .given([created])
        .when({
          type: 'UpdateTaskAttributes',
          data: {
            id,
            name: 'Approve order',
            description: 'new',
            priority: null,
            dueDate: '2026-02-01T00:00:00Z',
            payload: { amount: 10 },
            owner: 'olga',
          },
        })
        .then([
          {
            type: 'TaskAttributesUpdated',
            data: { id, changes: { description: 'new', dueDate: '2026-02-01T00:00:00Z', owner: 'olga' } },
          },
        ]);
    });
    it('clears attributes with null and replaces payload and correlations', () => {
      const withDetails: TaskEvent = {
        type: 'TaskAttributesUpdated',
        data: { id, changes: { description: 'text', priority: 3 } },
      };
      spec
        .given([created, withDetails])
        .when({
          type: 'UpdateTaskAttributes',
          data: {
            id,
            description: null,
            priority: null,
            payload: { amount: 11 },
            correlations: [{ entryType: 'order', entryId: '17' }],
          },
        })
        .thenState((state) => {
          expect(state).toMatchObject({
            status: 'open',
            task: {
              description: null,
              priority: null,
              payload: { amount: 11 },
              correlations: [{ entryType: 'order', entryId: '17' }],
            },
          });
        });
    });
    it('emits nothing when nothing changes: same values, equal payload in another key order, same instant', () => {
      const dated: TaskEvent = {
        type: 'TaskAttributesUpdated',
        data: { id, changes: { dueDate: '2026-02-01T00:00:00Z', payload: { a: 1, b: { c: [1, 2] } } } },
      };
      spec
        .given([created, dated])
        .when({
          type: 'UpdateTaskAttributes',
          data: {
            id,
            name: 'Approve order',
            dueDate: '2026-02-01T01:00:00.000+01:00',
            payload: { b: { c: [1, 2] }, a: 1 },
          },
        })
        .thenNothing();
    });
  });

  describe('candidate users and groups', () => {
    it('adds only the users not yet candidates and lists the new candidates', () => {
      spec
        .given([created])
        .when({ type: 'AddCandidateUsers', data: { id, users: ['bert', 'carl', 'carl'] } })
        .then([
          {
            type: 'TaskCandidateUsersChanged',
            data: { id, added: ['carl'], removed: [], candidateUsers: ['anna', 'bert', 'carl'] },
          },
        ]);
    });
    it('deletes only users that are candidates', () => {
      spec
        .given([created])
        .when({ type: 'DeleteCandidateUsers', data: { id, users: ['anna', 'zoe'] } })
        .then([
          {
            type: 'TaskCandidateUsersChanged',
            data: { id, added: [], removed: ['anna'], candidateUsers: ['bert'] },
          },
        ]);
    });
    it('adds and deletes groups', () => {
      spec
        .given([created])
        .when({ type: 'AddCandidateGroups', data: { id, groups: ['clerks', 'managers'] } })
        .then([
          {
            type: 'TaskCandidateGroupsChanged',
            data: { id, added: ['managers'], removed: [], candidateGroups: ['clerks', 'managers'] },
          },
        ]);
      spec
        .given([created])
        .when({ type: 'DeleteCandidateGroups', data: { id, groups: ['clerks'] } })
        .then([
          {
            type: 'TaskCandidateGroupsChanged',
            data: { id, added: [], removed: ['clerks'], candidateGroups: [] },
          },
        ]);
    });
    it('emits nothing when the candidates do not change', () => {
      spec
        .given([created])
        .when({ type: 'AddCandidateUsers', data: { id, users: ['anna'] } })
        .thenNothing();
      spec
        .given([created])
        .when({ type: 'DeleteCandidateUsers', data: { id, users: ['zoe'] } })
        .thenNothing();
      spec
        .given([created])
        .when({ type: 'AddCandidateGroups', data: { id, groups: ['clerks'] } })
        .thenNothing();
      spec
        .given([created])
        .when({ type: 'DeleteCandidateGroups', data: { id, groups: ['managers'] } })
        .thenNothing();
    });
  });

  describe('CompleteTask and DeleteTask', () => {
    it('completes with the given assignee, or else the current one', () => {
      spec
        .given([created, assignedTo('anna')])
        .when({ type: 'CompleteTask', data: { id } })
        .then([{ type: 'TaskCompleted', data: { id, assignee: 'anna' } }]);
      spec
        .given([created, assignedTo('anna')])
        .when({ type: 'CompleteTask', data: { id, assignee: 'bert' } })
        .thenState((state) =>
          expect(state).toMatchObject({ status: 'completed', task: { assignee: 'bert' } }),
        );
    });
    it('deletes with the reason', () => {
      spec
        .given([created])
        .when({ type: 'DeleteTask', data: { id, deleteReason: 'cancelled' } })
        .then([{ type: 'TaskDeleted', data: { id, deleteReason: 'cancelled' } }]);
      spec
        .given([created])
        .when({ type: 'DeleteTask', data: { id } })
        .then([{ type: 'TaskDeleted', data: { id, deleteReason: null } }]);
    });
  });
});

describe('task decider: interaction commands', () => {
  describe('ClaimTask', () => {
    it('claims an unassigned task', () => {
      spec
        .given([created])
        .when({ type: 'ClaimTask', data: { id, assignee: 'anna' } })
        .then([{ type: 'TaskClaimed', data: { id, assignee: 'anna' } }]);
    });
    it('unclaims from the current assignee before claiming for another user', () => {
      spec
        .given([created, assignedTo('bert')])
        .when({ type: 'ClaimTask', data: { id, assignee: 'anna' } })
        .then([
          { type: 'TaskUnclaimed', data: { id, previousAssignee: 'bert' } },
          { type: 'TaskClaimed', data: { id, assignee: 'anna' } },
        ]);
    });
    it('refuses an exclusive claim of a task someone else holds with TASK_ASSIGNED', () => {
      spec
        .given([created, assignedTo('bert')])
        .when({ type: 'ClaimTask', data: { id, assignee: 'anna', exclusive: true } })
        .thenThrows('TASK_ASSIGNED');
    });
    it("grants an exclusive claim of an unassigned task or of a task already the user's", () => {
      spec
        .given([created])
        .when({ type: 'ClaimTask', data: { id, assignee: 'anna', exclusive: true } })
        .then([{ type: 'TaskClaimed', data: { id, assignee: 'anna' } }]);
      spec
        .given([created, assignedTo('anna')])
        .when({ type: 'ClaimTask', data: { id, assignee: 'anna', exclusive: true } })
        .thenNothing();
    });
    it('emits nothing for a task already claimed by the user', () => {
      spec
        .given([created, assignedTo('anna')])
        .when({ type: 'ClaimTask', data: { id, assignee: 'anna' } })
        .thenNothing();
    });
    it('sets the assignee, so that the engine reporting the same assignee changes nothing', () => {
      spec
        .given([created, { type: 'TaskClaimed', data: { id, assignee: 'anna' } }])
        .when({ type: 'AssignTask', data: { id, assignee: 'anna' } })
        .thenNothing();
    });
  });

  describe('UnclaimTask', () => {
    it('unclaims', () => {
      spec
        .given([created, assignedTo('anna')])
        .when({ type: 'UnclaimTask', data: { id } })
        .then([{ type: 'TaskUnclaimed', data: { id, previousAssignee: 'anna' } }]);
    });
    it('refuses a task nobody holds with TASK_NOT_ASSIGNED', () => {
      spec.given([created]).when({ type: 'UnclaimTask', data: { id } }).thenThrows('TASK_NOT_ASSIGNED');
      spec
        .given([
          created,
          { type: 'TaskClaimed', data: { id, assignee: 'anna' } },
          { type: 'TaskUnclaimed', data: { id, previousAssignee: 'anna' } },
        ])
        .when({ type: 'UnclaimTask', data: { id } })
        .thenThrows('TASK_NOT_ASSIGNED');
    });
  });

  describe('CompleteTaskInteraction', () => {
    it('marks the task to be completed by its assignee, with the variables', () => {
      spec
        .given([created, assignedTo('anna')])
        .when({
          type: 'CompleteTaskInteraction',
          data: { id, assignee: 'anna', variables: { approved: true } },
        })
        .then([{ type: 'TaskToBeCompleted', data: { id, assignee: 'anna', variables: { approved: true } } }]);
      spec
        .given([created, assignedTo('anna')])
        .when({ type: 'CompleteTaskInteraction', data: { id, assignee: 'anna' } })
        .then([{ type: 'TaskToBeCompleted', data: { id, assignee: 'anna', variables: {} } }]);
    });
    it('refuses a user who is not the assignee with TASK_NOT_ASSIGNED_TO_USER', () => {
      spec
        .given([created, assignedTo('bert')])
        .when({ type: 'CompleteTaskInteraction', data: { id, assignee: 'anna' } })
        .thenThrows('TASK_NOT_ASSIGNED_TO_USER');
      spec
        .given([created])
        .when({ type: 'CompleteTaskInteraction', data: { id, assignee: 'anna' } })
        .thenThrows('TASK_NOT_ASSIGNED_TO_USER');
    });
    it('emits nothing the second time, while the engine has not completed the task', () => {
      spec
        .given([
          created,
          assignedTo('anna'),
          { type: 'TaskToBeCompleted', data: { id, assignee: 'anna', variables: {} } },
        ])
        .when({ type: 'CompleteTaskInteraction', data: { id, assignee: 'anna' } })
        .thenNothing();
    });
    it('forgets a pending completion when the task goes to someone else', () => {
      spec
        .given([
          created,
          assignedTo('anna'),
          { type: 'TaskToBeCompleted', data: { id, assignee: 'anna', variables: {} } },
          assignedTo('bert'),
          assignedTo('anna'),
        ])
        .when({ type: 'CompleteTaskInteraction', data: { id, assignee: 'anna' } })
        .then([{ type: 'TaskToBeCompleted', data: { id, assignee: 'anna', variables: {} } }]);
    });
  });

  describe('DeferTask and UndeferTask', () => {
    it('defers to the follow-up date', () => {
      spec
        .given([created])
        .when({ type: 'DeferTask', data: { id, followUpDate: '2026-02-01T00:00:00Z' } })
        .then([{ type: 'TaskDeferred', data: { id, followUpDate: '2026-02-01T00:00:00Z' } }]);
    });
    it('emits nothing when deferring to the current follow-up date', () => {
      spec
        .given([created, { type: 'TaskDeferred', data: { id, followUpDate: '2026-02-01T00:00:00Z' } }])
        .when({ type: 'DeferTask', data: { id, followUpDate: '2026-02-01T00:00:00.000Z' } })
        .thenNothing();
    });
    it('sets the follow-up date, so that the engine reporting it back changes nothing', () => {
      spec
        .given([created, { type: 'TaskDeferred', data: { id, followUpDate: '2026-02-01T00:00:00Z' } }])
        .when({ type: 'UpdateTaskAttributes', data: { id, followUpDate: '2026-02-01T00:00:00Z' } })
        .thenNothing();
    });
    it('undefers a deferred task', () => {
      spec
        .given([created, { type: 'TaskDeferred', data: { id, followUpDate: '2026-02-01T00:00:00Z' } }])
        .when({ type: 'UndeferTask', data: { id } })
        .then([{ type: 'TaskUndeferred', data: { id } }]);
    });
    it('emits nothing when undeferring a task without follow-up date', () => {
      spec.given([created]).when({ type: 'UndeferTask', data: { id } }).thenNothing();
      spec
        .given([
          created,
          { type: 'TaskDeferred', data: { id, followUpDate: '2026-02-01T00:00:00Z' } },
          { type: 'TaskUndeferred', data: { id } },
        ])
        .when({ type: 'UndeferTask', data: { id } })
        .thenNothing();
      spec
        .given([created, { type: 'TaskUndeferred', data: { id } }])
        .when({ type: 'UpdateTaskAttributes', data: { id, followUpDate: null } })
        .thenNothing();
    });
  });

  describe('AddTaskComment', () => {
    const comment = (text: string): TaskCommand => ({
      type: 'AddTaskComment',
      data: { id, author: 'anna', text },
    });
    it('records the comment with its author', () => {
      spec
        .given([created])
        .when(comment('Checked the amount.'))
        .then([{ type: 'TaskCommentAdded', data: { id, author: 'anna', text: 'Checked the amount.' } }]);
    });
    it('records a comment that repeats an earlier one again, and leaves the task as it was', () => {
      const earlier: TaskEvent = { type: 'TaskCommentAdded', data: { id, author: 'anna', text: 'ok' } };
      spec
        .given([created, earlier])
        .when(comment('ok'))
        .then([{ type: 'TaskCommentAdded', data: { id, author: 'anna', text: 'ok' } }]);
      spec
        .given([created, earlier])
        .when(comment('ok'))
        .thenState((state) =>
          expect(state).toEqual({ status: 'open', task: created.data, toBeCompleted: false }),
        );
    });
  });
});

describe('task decider: delegation and edits', () => {
  describe('DelegateTask', () => {
    it('hands an unassigned or assigned task to another user, naming who held it', () => {
      spec
        .given([created])
        .when({ type: 'DelegateTask', data: { id, assignee: 'bert' } })
        .then([{ type: 'TaskDelegated', data: { id, assignee: 'bert', previousAssignee: null } }]);
      spec
        .given([created, assignedTo('anna')])
        .when({ type: 'DelegateTask', data: { id, assignee: 'bert' } })
        .then([{ type: 'TaskDelegated', data: { id, assignee: 'bert', previousAssignee: 'anna' } }]);
    });
    it('changes nothing when the task is already with that user, and the engine echo changes nothing', () => {
      spec
        .given([created, assignedTo('bert')])
        .when({ type: 'DelegateTask', data: { id, assignee: 'bert' } })
        .thenNothing();
      spec
        .given([created, { type: 'TaskDelegated', data: { id, assignee: 'bert', previousAssignee: null } }])
        .when({ type: 'AssignTask', data: { id, assignee: 'bert' } })
        .thenNothing();
    });
    it('ends a pending completion of the previous assignee', () => {
      spec
        .given([
          created,
          assignedTo('anna'),
          { type: 'TaskToBeCompleted', data: { id, assignee: 'anna', variables: {} } },
          { type: 'TaskDelegated', data: { id, assignee: 'bert', previousAssignee: 'anna' } },
        ])
        .when({ type: 'CompleteTaskInteraction', data: { id, assignee: 'bert' } })
        .then([{ type: 'TaskToBeCompleted', data: { id, assignee: 'bert', variables: {} } }]);
    });
  });

  describe('EditTask', () => {
    it('records only the attributes that change; dates compare as instants', () => {
      spec
        .given([created, { type: 'TaskDeferred', data: { id, followUpDate: '2026-02-01T00:00:00Z' } }])
        .when({
          type: 'EditTask',
          data: {
            id,
            priority: 80,
            dueDate: '2026-03-01T00:00:00Z',
            followUpDate: '2026-02-01T01:00:00+01:00',
          },
        })
        .then([
          { type: 'TaskEdited', data: { id, changes: { priority: 80, dueDate: '2026-03-01T00:00:00Z' } } },
        ]);
    });
    it('removes a date with null, and the engine echo changes nothing', () => {
      const edited: TaskEvent = {
        type: 'TaskEdited',
        data: { id, changes: { priority: 80, dueDate: '2026-03-01T00:00:00Z' } },
      };
      spec
        .given([created, edited])
        .when({ type: 'EditTask', data: { id, dueDate: null } })
        .then([{ type: 'TaskEdited', data: { id, changes: { dueDate: null } } }]);
      spec
        .given([created, edited])
        .when({
          type: 'UpdateTaskAttributes',
          data: { id, priority: 80, dueDate: '2026-03-01T00:00:00.000Z' },
        })
        .thenNothing();
    });
    it('refuses a due date before the task was created, naming the field', () => {
      const error = spec
        .given([created])
        .when({ type: 'EditTask', data: { id, dueDate: '2025-12-31T23:59:59Z' } })
        .thenThrows('DUE_DATE_BEFORE_CREATE_TIME');
      expect(error.path).toBe('data.dueDate');
    });
  });
});

/** One command of every type but CreateTask, for the rejections on unknown and closed tasks. */
const everyCommandOnAnExistingTask: TaskCommand[] = [
  { type: 'AssignTask', data: { id, assignee: 'anna' } },
  { type: 'UpdateTaskAttributes', data: { id, name: 'x' } },
  { type: 'AddCandidateUsers', data: { id, users: ['zoe'] } },
  { type: 'DeleteCandidateUsers', data: { id, users: ['anna'] } },
  { type: 'AddCandidateGroups', data: { id, groups: ['managers'] } },
  { type: 'DeleteCandidateGroups', data: { id, groups: ['clerks'] } },
  { type: 'CompleteTask', data: { id } },
  { type: 'DeleteTask', data: { id } },
  { type: 'ClaimTask', data: { id, assignee: 'anna' } },
  { type: 'UnclaimTask', data: { id } },
  { type: 'CompleteTaskInteraction', data: { id, assignee: 'anna' } },
  { type: 'DeferTask', data: { id, followUpDate: '2026-02-01T00:00:00Z' } },
  { type: 'UndeferTask', data: { id } },
  { type: 'DelegateTask', data: { id, assignee: 'bert' } },
  { type: 'EditTask', data: { id, priority: 10 } },

  { type: 'AddTaskComment', data: { id, author: 'anna', text: 'a comment' } },
];

describe('task decider: unknown and closed tasks', () => {
  it.each(everyCommandOnAnExistingTask.map((c) => [c.type, c] as const))(
    '%s on an unknown task is refused with TASK_NOT_FOUND',
    (_type, command) => {
      spec.given([]).when(command).thenThrows('TASK_NOT_FOUND');
    },
  );
  it.each(everyCommandOnAnExistingTask.map((c) => [c.type, c] as const))(
    '%s on a completed or deleted task is refused with TASK_CLOSED',
    (_type, command) => {
      spec
        .given([created, assignedTo('anna'), completed])
        .when(command)
        .thenThrows('TASK_CLOSED');
      spec
        .given([created, assignedTo('anna'), deleted])
        .when(command)
        .thenThrows('TASK_CLOSED');
    },
  );
});

describe('task decider: properties', () => {
  const users = fc.constantFrom('anna', 'bert', 'carl');
  const date = fc.constantFrom('2026-02-01T00:00:00Z', '2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00Z');
  const command: fc.Arbitrary<TaskCommand> = fc.oneof(
    fc.constant<TaskCommand>({ type: 'CreateTask', data: minimal }),
    fc
      .option(users, { nil: null })
      .map((assignee): TaskCommand => ({ type: 'AssignTask', data: { id, assignee } })),
    fc
      .record({
        priority: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
        followUpDate: fc.option(date, { nil: null }),
      })
      .map((changes): TaskCommand => ({ type: 'UpdateTaskAttributes', data: { id, ...changes } })),
    fc
      .array(users, { minLength: 1 })
      .map((u): TaskCommand => ({ type: 'AddCandidateUsers', data: { id, users: u } })),
    fc
      .array(users, { minLength: 1 })
      .map((u): TaskCommand => ({ type: 'DeleteCandidateUsers', data: { id, users: u } })),
    users.map((assignee): TaskCommand => ({ type: 'ClaimTask', data: { id, assignee } })),
    fc.constant<TaskCommand>({ type: 'UnclaimTask', data: { id } }),
    users.map((assignee): TaskCommand => ({ type: 'CompleteTaskInteraction', data: { id, assignee } })),
    date.map((followUpDate): TaskCommand => ({ type: 'DeferTask', data: { id, followUpDate } })),
    fc.constant<TaskCommand>({ type: 'UndeferTask', data: { id } }),
    users.map((assignee): TaskCommand => ({ type: 'DelegateTask', data: { id, assignee } })),
    fc
      .record({ priority: fc.integer({ min: 0, max: 3 }), dueDate: fc.option(date, { nil: null }) })
      .map((changes): TaskCommand => ({ type: 'EditTask', data: { id, ...changes } })),
    fc.constant<TaskCommand>({ type: 'CompleteTask', data: { id } }),
    fc.constant<TaskCommand>({ type: 'DeleteTask', data: { id } }),
  );

  /** Decides the commands one after the other; refused commands leave the state as it is. */
  const run = (commands: TaskCommand[]): { events: TaskEvent[]; state: TaskState } => {
    let state = taskDecider.initialState();
    const events: TaskEvent[] = [];
    commands.forEach((c, i) => {
      try {
        const emitted = taskDecider.decide(c, state, testMetadata({ commandId: `c-${i}` }));
        events.push(...emitted);
        state = foldEvents(taskDecider, emitted, state);
      } catch {
        // refusals are part of the run
      }
    });
    return { events, state };
  };

  it('deciding the same commands twice from the same state gives the same events and state', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 25 }), (commands) => {
        const first = run(commands);
        const second = run(commands);
        expect(second.events).toEqual(first.events);
        expect(second.state).toEqual(first.state);
        expect(foldEvents(taskDecider, first.events)).toEqual(first.state);
      }),
    );
  });

  it('a command that sets something emits nothing the second time', () => {
    const settingCommand = command.filter((c) =>
      [
        'AssignTask',
        'UpdateTaskAttributes',
        'AddCandidateUsers',
        'DeleteCandidateUsers',
        'ClaimTask',
        'DeferTask',
        'UndeferTask',
        'DelegateTask',
        'EditTask',
      ].includes(c.type),
    );
    fc.assert(
      fc.property(fc.array(command, { maxLength: 15 }), settingCommand, (history, repeated) => {
        const { state } = run([{ type: 'CreateTask', data: minimal }, ...history]);
        if (state.status !== 'open') return;
        const once = foldEvents(taskDecider, taskDecider.decide(repeated, state, testMetadata()), state);
        expect(taskDecider.decide(repeated, once, testMetadata())).toEqual([]);
      }),
    );
  });
});
