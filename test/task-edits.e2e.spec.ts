import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TasklistHarness } from './support/tasklist-harness';

const TASK = 'id assignee priority dueDate followUpDate version';
const ASSIGN = `mutation($id: ID!, $assignee: String!) { assignTask(id: $id, assignee: $assignee) { ${TASK} } }`;
const UPDATE = `mutation($id: ID!, $changes: TaskChangesInput!) { updateTask(id: $id, changes: $changes) { ${TASK} } }`;

interface TaskNode {
  id: string;
  assignee: string | null;
  priority: number | null;
  dueDate: string | null;
  followUpDate: string | null;
  version: number;
}

const errorOf = (answer: { errors?: { extensions?: Record<string, unknown> }[] }) =>
  answer.errors?.[0]?.extensions ?? {};

describe('delegation and edits end to end', () => {
  let harness: TasklistHarness;
  let alice: Record<string, string>;
  let bob: Record<string, string>;
  let manager: Record<string, string>;
  let outsider: Record<string, string>;

  beforeAll(async () => {
    harness = await TasklistHarness.start({ tasklist: { readYourWritesTimeoutMs: 5_000 } });
    alice = await harness.as('alice', ['sales']);
    bob = await harness.as('bob', ['support']);
    manager = await harness.as('maria', ['sales', 'task-managers']);
    outsider = await harness.as('otto', ['task-managers']);
    const createTime = '2026-01-10T08:00:00.000Z';
    for (const id of ['d-1', 'd-2', 'd-3', 'e-1', 'e-2'])
      await harness.createTask(id, { candidateGroups: ['sales'], priority: 50, createTime });
  });

  afterAll(async () => {
    await harness?.close();
  });

  const assign = (id: string, assignee: string, as: Record<string, string>) =>
    harness.graphql<{ assignTask: TaskNode }>(ASSIGN, { id, assignee }, as);
  const update = (id: string, changes: Record<string, unknown>, as: Record<string, string>) =>
    harness.graphql<{ updateTask: TaskNode }>(UPDATE, { id, changes }, as);

  it('tells each user their permissions in me, so that a client offers the edits only to task managers', async () => {
    const permissions = async (as: Record<string, string>) =>
      (await harness.graphql<{ me: { permissions: string[] } }>('{ me { permissions } }', {}, as)).data?.me
        .permissions;
    expect(await permissions(manager)).toEqual(['tasks:manage']);
    expect(await permissions(alice)).toEqual([]);
  });

  describe('assignTask', () => {
    it('lets the assignee hand the task on; the answer shows the new assignee although the delegator no longer sees it', async () => {
      const claimed = await harness.graphql('mutation { claimTask(id: "d-1") { id } }', {}, alice);
      expect(claimed.errors).toBeUndefined();
      const answer = await assign('d-1', 'bob', alice);
      expect(answer.errors).toBeUndefined();
      expect(answer.data?.assignTask).toMatchObject({ id: 'd-1', assignee: 'bob' });
      const ofBob = await harness.graphql<{ task: TaskNode | null }>(
        `{ task(id: "d-1") { ${TASK} } }`,
        {},
        bob,
      );
      expect(ofBob.data?.task).toMatchObject({ assignee: 'bob' });
      // Bob is now its assignee and may hand it back.
      expect((await assign('d-1', 'alice', bob)).data?.assignTask.assignee).toBe('alice');
    });

    it('refuses a candidate who is not the assignee, and answers a task one cannot see as not found', async () => {
      const notAssigned = await assign('d-2', 'bob', alice);
      expect(errorOf(notAssigned)).toMatchObject({ code: 'CONFLICT', reason: 'TASK_NOT_ASSIGNED' });
      await harness.graphql('mutation { claimTask(id: "d-2") { id } }', {}, manager);
      expect(errorOf(await assign('d-2', 'bob', alice)).code).toBe('FORBIDDEN');
      expect(errorOf(await assign('d-2', 'bob', bob))).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
      // Holding tasks:manage does not reveal tasks one cannot see.
      expect(errorOf(await assign('d-2', 'otto', outsider))).toMatchObject({ code: 'NOT_FOUND' });
    });

    it('lets a holder of tasks:manage hand any task they see to anyone', async () => {
      const answer = await assign('d-3', 'carol', manager);
      expect(answer.data?.assignTask).toMatchObject({ assignee: 'carol' });
      const again = await assign('d-3', 'carol', manager);
      expect(again.data?.assignTask.version).toBe(answer.data?.assignTask.version);
    });

    it('refuses an assignee that is not a user id, naming the field', async () => {
      await harness.graphql('mutation { claimTask(id: "e-2") { id } }', {}, alice);
      for (const bad of ['', 'two words', 'a,b', 'x#y']) {
        const answer = await assign('e-2', bad, alice);
        expect(errorOf(answer)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'assignee' });
      }
      const task = await harness.graphql<{ task: TaskNode }>(`{ task(id: "e-2") { ${TASK} } }`, {}, alice);
      expect(task.data?.task.assignee).toBe('alice');
    });
  });

  describe('updateTask', () => {
    it('changes priority and dates for a holder of tasks:manage, and removes a date with null', async () => {
      const answer = await update(
        'e-1',
        { priority: 90, dueDate: '2026-02-01T17:00:00+01:00', followUpDate: '2026-01-20T08:00:00Z' },
        manager,
      );
      expect(answer.errors).toBeUndefined();
      expect(answer.data?.updateTask).toMatchObject({
        priority: 90,
        dueDate: '2026-02-01T16:00:00.000Z',
        followUpDate: '2026-01-20T08:00:00.000Z',
      });
      const removed = await update('e-1', { dueDate: null }, manager);
      expect(removed.data?.updateTask).toMatchObject({ priority: 90, dueDate: null });
      expect(removed.data!.updateTask.version).toBe(answer.data!.updateTask.version + 1);
    });

    it('is refused to users without tasks:manage, even the assignee', async () => {
      const answer = await update('e-2', { priority: 1 }, alice);
      expect(errorOf(answer).code).toBe('FORBIDDEN');
    });

    it('refuses bad input naming the field: a due date before the creation, a priority out of range, nothing to change', async () => {
      expect(errorOf(await update('e-1', { dueDate: '2026-01-09T00:00:00Z' }, manager))).toMatchObject({
        code: 'BAD_USER_INPUT',
        reason: 'DUE_DATE_BEFORE_CREATE_TIME',
        field: 'changes.dueDate',
      });
      expect(errorOf(await update('e-1', { priority: 101 }, manager))).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'changes.priority',
      });
      expect(errorOf(await update('e-1', {}, manager))).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'changes.priority',
      });
      const task = await harness.graphql<{ task: TaskNode }>(`{ task(id: "e-1") { ${TASK} } }`, {}, manager);
      expect(task.data?.task).toMatchObject({ priority: 90, dueDate: null });
    });

    it('writes events of their own into the task stream', async () => {
      const events = await harness.eventStore.readStream('task-e-1');
      expect(events.map((e) => e.type)).toEqual(['TaskCreated', 'TaskEdited', 'TaskEdited']);
      expect(events[1].metadata).toMatchObject({ userId: 'maria' });
    });
  });
});
