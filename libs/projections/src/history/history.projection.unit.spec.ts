import { describe, expect, it } from '@jest/globals';
import { projectionSpecification } from '@eddy/testing';
import { dataEntryCreated, taskCreated } from '../projection.fixtures.spec';
import type { HistoryView } from '../view.types';
import { historyProjection } from './history.projection';

const spec = projectionSpecification(historyProjection);

describe('history projection', () => {
  it('records every task event with its time, user, command id and the fields it changed', () => {
    const then = spec
      .given(taskCreated('t1', { candidateUsers: ['bob'], candidateGroups: ['clerks'], priority: 10 }))
      .when(
        { type: 'TaskClaimed', data: { id: 't1', assignee: 'alice' }, userId: 'alice' },
        {
          type: 'TaskAttributesUpdated',
          data: { id: 't1', changes: { priority: 80, dueDate: '2026-05-01T00:00:00.000Z' } },
        },
        {
          type: 'TaskCommentAdded',
          data: { id: 't1', author: 'alice', text: 'asked the supplier' },
          userId: 'alice',
        },
        { type: 'TaskCompleted', data: { id: 't1', assignee: 'alice' } },
      )
      .thenReplayGivesSameView();
    const history = then.documents.get('task:t1') as HistoryView;
    expect(history).toMatchObject({ subject: 'TASK', subjectId: 't1', version: 4, position: 5 });
    expect(history.entries.map((e) => [e.revision, e.type, e.userId])).toEqual([
      [0, 'TaskCreated', null],
      [1, 'TaskClaimed', 'alice'],
      [2, 'TaskAttributesUpdated', null],
      [3, 'TaskCommentAdded', 'alice'],
      [4, 'TaskCompleted', null],
    ]);
    const [created, claim, update, comment, completion] = history.entries;
    expect(created.changes).toContainEqual({ field: 'priority', value: 10 });
    expect(created.changes).toContainEqual({ field: 'candidateUsers', value: ['bob'] });
    expect(created.changes.map((c) => c.field)).not.toContain('version');
    expect(claim).toMatchObject({
      changes: [{ field: 'assignee', value: 'alice' }],
      commandId: 'command-2',
      time: '2026-01-01T00:00:02.000Z',
    });
    expect(update.changes).toEqual([
      { field: 'priority', value: 80 },
      { field: 'dueDate', value: '2026-05-01T00:00:00.000Z' },
    ]);
    expect(comment).toMatchObject({
      changes: [],
      comment: { author: 'alice', text: 'asked the supplier' },
    });
    expect(completion.changes).toEqual([{ field: 'assignee', value: 'alice' }]);
  });

  it('is readable by whoever may see the task, as of its last event', () => {
    const then = spec.given(taskCreated('t1', { candidateUsers: ['bob'], candidateGroups: ['clerks'] })).when(
      { type: 'TaskClaimed', data: { id: 't1', assignee: 'alice' } },
      {
        type: 'TaskCandidateGroupsChanged',
        data: { id: 't1', added: ['managers'], removed: ['clerks'], candidateGroups: ['managers'] },
      },
      { type: 'TaskDeleted', data: { id: 't1', deleteReason: null } },
    );
    expect(then.documents.get('task:t1')).toMatchObject({
      authorizedUsers: ['bob', 'alice'],
      authorizedGroups: ['managers'],
    });
  });

  it('records data entry changes with their protocol lines, and anonymizes them with the entry', () => {
    const then = spec
      .given(dataEntryCreated('o1', { authorizedUsers: ['alice'] }))
      .when(
        {
          type: 'DataEntryUpdated',
          data: {
            ...dataEntryCreated('o1').data,
            name: 'Order o1 (rush)',
            state: { processingType: 'COMPLETED', state: 'shipped' },
            authorizations: {
              addedUsers: [],
              removedUsers: [],
              addedGroups: ['shipping'],
              removedGroups: [],
            },
            protocolEntry: {
              time: '2026-01-02T10:00:00.000Z',
              processingType: 'COMPLETED',
              state: 'shipped',
              username: 'bob',
              logMessage: 'shipped',
              logDetails: null,
            },
          },
          userId: 'shop-app',
        },
        {
          type: 'DataEntryAnonymized',
          data: {
            entryType: 'order',
            entryId: 'o1',
            anonymizedUsername: 'someone',
            excludedUsernames: ['shop-app'],
            removedUsers: ['alice'],
          },
        },
      )
      .thenReplayGivesSameView();
    const history = then.documents.get('data-entry:order#o1') as HistoryView;
    expect(history).toMatchObject({
      subject: 'DATA_ENTRY',
      subjectId: 'order#o1',
      authorizedUsers: [],
      authorizedGroups: ['sales', 'shipping'],
    });
    const [created, updated, anonymized] = history.entries;
    expect(created.protocolEntry).toMatchObject({ username: 'someone', logMessage: 'created' });
    expect(updated).toMatchObject({ type: 'DataEntryUpdated', userId: 'shop-app' });
    expect(updated.protocolEntry).toMatchObject({ username: 'someone', logMessage: 'shipped' });
    expect(updated.changes).toEqual([
      { field: 'name', value: 'Order o1 (rush)' },
      { field: 'state', value: { processingType: 'COMPLETED', state: 'shipped' } },
      { field: 'authorizedGroups', value: ['sales', 'shipping'] },
    ]);
    expect(anonymized.changes).toEqual([{ field: 'authorizedUsers', value: [] }]);
  });

  it('ignores events it has already applied', () => {
    const created = taskCreated('t1');
    const then = spec.given(created).when({ ...created, revision: 0 });
    expect((then.documents.get('task:t1') as HistoryView).entries).toHaveLength(1);
  });
});
