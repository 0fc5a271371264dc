import { describe, expect, it } from '@jest/globals';
import { projectionSpecification } from '@eddy/testing';
import { taskCreated } from '../projection.fixtures.spec';
import { tasksProjection } from '../tasks/tasks.projection';
import { closedTasksProjection } from './closed-tasks.projection';

const spec = projectionSpecification(closedTasksProjection);
const claimed = { type: 'TaskClaimed', data: { id: 't1', assignee: 'alice' } };

describe('closed tasks projection', () => {
  it('follows an open task as the tasks view does, marked as not closed', () => {
    spec
      .given(taskCreated('t1', { candidateGroups: ['clerks'] }))
      .when(claimed, { type: 'TaskDeferred', data: { id: 't1', followUpDate: '2027-01-01T00:00:00.000Z' } })
      .thenDocument('t1', {
        assignee: 'alice',
        followUpDate: '2027-01-01T00:00:00.000Z',
        closedAs: null,
        closedAt: null,
        completedBy: null,
        closedBy: null,
        version: 2,
      })
      .thenReplayGivesSameView();
  });

  it('holds an open task with every field the tasks view holds, and the closing fields', () => {
    const created = taskCreated('t1', { payload: { amount: 5 } });
    const open = spec.given().when(created).documents.get('t1')!;
    const task = projectionSpecification(tasksProjection).given().when(created).documents.get('t1')!;
    expect(open).toEqual({
      ...task,
      closedAs: null,
      closedAt: null,
      completedBy: null,
      closedBy: null,
      deleteReason: null,
    });
  });

  it('keeps a completed task as it was, with who completed it and when', () => {
    spec
      .given(taskCreated('t1', { payload: { amount: 5 } }), claimed)
      .when({
        type: 'TaskCompleted',
        data: { id: 't1', assignee: 'alice' },
        timestamp: '2026-03-01T09:00:00.000Z',
      })
      .thenDocument('t1', {
        name: 'Approve t1',
        payload: { amount: 5 },
        assignee: 'alice',
        closedAs: 'COMPLETED',
        closedAt: '2026-03-01T09:00:00.000Z',
        completedBy: 'alice',
        closedBy: null,
        deleteReason: null,
        version: 2,
        position: 3,
      })
      .thenReplayGivesSameView();
  });

  it('names the user of the command when the engine reports no assignee', () => {
    spec
      .given(taskCreated('t1'))
      .when({ type: 'TaskCompleted', data: { id: 't1', assignee: null }, userId: 'ops' })
      .thenDocument('t1', { closedAs: 'COMPLETED', completedBy: 'ops', closedBy: 'ops' });
  });

  it('keeps a deleted task with its reason and nobody as its completer', () => {
    spec
      .given(taskCreated('t1'), claimed)
      .when({ type: 'TaskDeleted', data: { id: 't1', deleteReason: 'cancelled' }, userId: 'ops' })
      .thenDocument('t1', {
        closedAs: 'DELETED',
        completedBy: null,
        closedBy: 'ops',
        deleteReason: 'cancelled',
        assignee: 'alice',
      })
      .thenReplayGivesSameView();
  });

  it('takes no change after the task closed, and ignores duplicates', () => {
    const then = spec
      .given(taskCreated('t1'), { type: 'TaskCompleted', data: { id: 't1', assignee: 'bob' } })
      .when({ type: 'TaskAssigned', data: { id: 't1', assignee: 'carl' } });
    then.thenDocument('t1', { assignee: 'bob', completedBy: 'bob', version: 1 });
    expect(then.events).toHaveLength(3);
  });

  it('refuses a closing event of a task it never saw created', () => {
    expect(() => spec.given().when({ type: 'TaskCompleted', data: { id: 'ghost', assignee: null } })).toThrow(
      /never created/,
    );
  });
});
