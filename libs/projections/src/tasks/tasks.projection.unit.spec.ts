import { describe, expect, it } from '@jest/globals';
import { projectionSpecification } from '@eddy/testing';
import { taskCreated } from '../projection.fixtures.spec';
import { taskDecider } from '@eddy/taskpool';
import { tasksProjection } from './tasks.projection';

const spec = projectionSpecification(tasksProjection);

describe('tasks projection', () => {
  it('puts a created task in the view with every field the tasklist shows', () => {
    spec
      .given()
      .when(
        taskCreated('t1', {
          businessKey: 'BK-1',
          payload: { amount: 10 },
          correlations: [{ entryType: 'order', entryId: 'o1' }],
        }),
      )
      .thenDocument('t1', {
        id: 't1',
        name: 'Approve t1',
        applicationName: 'shop',
        processName: 'Order approval',
        processDefinitionKey: 'order',
        processInstanceId: 'pi-1',
        tenantId: null,
        businessKey: 'BK-1',
        payload: { amount: 10 },
        correlations: [{ entryType: 'order', entryId: 'o1' }],
        candidateGroups: ['clerks'],
        toBeCompleted: false,
        version: 0,
        position: 1,
      })
      .thenReplayGivesSameView();
  });

  it('claim sets the assignee and unclaim clears it', () => {
    spec
      .given(taskCreated('t1'), { type: 'TaskClaimed', data: { id: 't1', assignee: 'alice' } })
      .when()
      .thenDocument('t1', { assignee: 'alice', version: 1 });
    spec
      .given(taskCreated('t1'), { type: 'TaskClaimed', data: { id: 't1', assignee: 'alice' } })
      .when({ type: 'TaskUnclaimed', data: { id: 't1', previousAssignee: 'alice' } })
      .thenDocument('t1', { assignee: null, version: 2, position: 3 })
      .thenReplayGivesSameView();
  });

  it('a comment moves the revision of the task and nothing else, so that its subscribers hear of it', () => {
    const then = spec
      .given(taskCreated('t1'))
      .when({ type: 'TaskCommentAdded', data: { id: 't1', author: 'alice', text: 'looked at it' } })
      .thenDocument('t1', { version: 1, position: 2, assignee: null, payload: {} })
      .thenReplayGivesSameView();
    expect(Object.keys(then.documents.get('t1')!)).not.toContain('text');
  });

  it('assignment, attribute updates and candidate changes are applied', () => {
    spec
      .given(taskCreated('t1'))
      .when(
        { type: 'TaskAssigned', data: { id: 't1', assignee: 'bob' } },
        {
          type: 'TaskAttributesUpdated',
          data: {
            id: 't1',
            changes: { priority: 90, payload: { a: { b: 1 } }, dueDate: '2026-02-01T00:00:00.000Z' },
          },
        },
        {
          type: 'TaskCandidateUsersChanged',
          data: { id: 't1', added: ['carol'], removed: [], candidateUsers: ['carol'] },
        },
        {
          type: 'TaskCandidateGroupsChanged',
          data: { id: 't1', added: [], removed: ['clerks'], candidateGroups: [] },
        },
      )
      .thenDocument('t1', {
        assignee: 'bob',
        priority: 90,
        payload: { a: { b: 1 } },
        dueDate: '2026-02-01T00:00:00.000Z',
        name: 'Approve t1',
        candidateUsers: ['carol'],
        candidateGroups: [],
        version: 4,
      })
      .thenReplayGivesSameView();
  });

  it('delegation sets the assignee and ends a pending completion; edits set priority and dates', () => {
    spec
      .given(
        taskCreated('t1'),
        { type: 'TaskClaimed', data: { id: 't1', assignee: 'alice' } },
        { type: 'TaskToBeCompleted', data: { id: 't1', assignee: 'alice', variables: {} } },
      )
      .when(
        { type: 'TaskDelegated', data: { id: 't1', assignee: 'bob', previousAssignee: 'alice' } },
        {
          type: 'TaskEdited',
          data: {
            id: 't1',
            changes: { priority: 80, dueDate: '2026-03-01T00:00:00.000Z', followUpDate: null },
          },
        },
      )
      .thenDocument('t1', {
        assignee: 'bob',
        toBeCompleted: false,
        priority: 80,
        dueDate: '2026-03-01T00:00:00.000Z',
        followUpDate: null,
        version: 4,
      })
      .thenReplayGivesSameView();
  });

  it('defer and undefer set and clear the follow-up date; to-be-completed keeps the task flagged', () => {
    spec
      .given(taskCreated('t1'))
      .when({ type: 'TaskDeferred', data: { id: 't1', followUpDate: '2030-01-01T00:00:00.000Z' } })
      .thenDocument('t1', { followUpDate: '2030-01-01T00:00:00.000Z' });
    spec
      .given(taskCreated('t1'), {
        type: 'TaskDeferred',
        data: { id: 't1', followUpDate: '2030-01-01T00:00:00.000Z' },
      })
      .when({ type: 'TaskUndeferred', data: { id: 't1' } })
      .thenDocument('t1', { followUpDate: null });
    spec
      .given(taskCreated('t1'))
      .when({ type: 'TaskToBeCompleted', data: { id: 't1', assignee: 'alice', variables: { ok: true } } })
      .thenDocument('t1', { toBeCompleted: true })
      .thenReplayGivesSameView();
  });

  describe('a pending completion (toBeCompleted), as the task decider keeps it', () => {
    const claimedAndToBeCompleted = [
      taskCreated('t1'),
      { type: 'TaskClaimed' as const, data: { id: 't1', assignee: 'alice' } },
      { type: 'TaskToBeCompleted' as const, data: { id: 't1', assignee: 'alice', variables: {} } },
    ];
    const changes = {
      'an assignment to someone else': { type: 'TaskAssigned' as const, data: { id: 't1', assignee: 'bob' } },
      'an unclaim': { type: 'TaskUnclaimed' as const, data: { id: 't1', previousAssignee: 'alice' } },
      'a claim by someone else': { type: 'TaskClaimed' as const, data: { id: 't1', assignee: 'carol' } },
      'an assignment to the same assignee': {
        type: 'TaskAssigned' as const,
        data: { id: 't1', assignee: 'alice' },
      },
      'an attribute update': {
        type: 'TaskAttributesUpdated' as const,
        data: { id: 't1', changes: { priority: 7 } },
      },
    };

    it.each(Object.entries(changes))('after %s is what the decider has', (_, change) => {
      let decided = taskDecider.initialState();
      for (const event of [...claimedAndToBeCompleted, change]) decided = taskDecider.evolve(decided, event);
      const pending = decided.status === 'open' && decided.toBeCompleted;
      spec
        .given(...claimedAndToBeCompleted)
        .when(change)
        .thenDocument('t1', { toBeCompleted: pending })
        .thenReplayGivesSameView();
    });

    it('is cleared when the assignee changes and kept otherwise', () => {
      spec
        .given(...claimedAndToBeCompleted)
        .when(changes['an unclaim'])
        .thenDocument('t1', {
          assignee: null,
          toBeCompleted: false,
        });
      spec
        .given(...claimedAndToBeCompleted)
        .when(changes['an assignment to someone else'])
        .thenDocument('t1', { assignee: 'bob', toBeCompleted: false });
      spec
        .given(...claimedAndToBeCompleted)
        .when(changes['an assignment to the same assignee'])
        .thenDocument('t1', { assignee: 'alice', toBeCompleted: true });
    });
  });

  it('completed and deleted tasks leave the view and late events cannot bring them back', () => {
    spec
      .given(taskCreated('t1'))
      .when({ type: 'TaskCompleted', data: { id: 't1', assignee: 'alice' } })
      .thenNoDocument('t1')
      .thenReplayGivesSameView();
    const then = spec
      .given(taskCreated('t1'), { type: 'TaskDeleted', data: { id: 't1', deleteReason: 'cancelled' } })
      .when({ type: 'TaskClaimed', data: { id: 't1', assignee: 'alice' } })
      .thenNoDocument('t1')
      .thenNothingChanged();
    expect(then.documents.size).toBe(0);
  });

  it('a duplicate or out-of-date event changes nothing', () => {
    spec
      .given(taskCreated('t1'), { type: 'TaskClaimed', data: { id: 't1', assignee: 'alice' } })
      .when(
        { type: 'TaskClaimed', data: { id: 't1', assignee: 'alice' }, streamId: 'spec-t1', revision: 1 },
        { type: 'TaskAssigned', data: { id: 't1', assignee: 'mallory' }, streamId: 'spec-t1', revision: 0 },
        { ...taskCreated('t1', { name: 'changed' }), streamId: 'spec-t1', revision: 0 },
      )
      .thenNothingChanged();
  });

  it('ignores events of other aggregates and fails loudly on a change to a task it never saw', () => {
    expect(tasksProjection.documentId({ type: 'DataEntryCreated', data: {} } as never)).toBeNull();
    expect(() =>
      spec.given().when({ type: 'TaskClaimed', data: { id: 'ghost', assignee: 'alice' } }),
    ).toThrow(/task ghost was never created/);
  });
});
