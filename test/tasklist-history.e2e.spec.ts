import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SubscriptionProbe, TasklistHarness } from './support/tasklist-harness';

interface HistoryNode {
  revision: number;
  type: string;
  userId: string | null;
  commandId: string;
  changes: { field: string; value: unknown }[];
  comment: { author: string; text: string } | null;
}

const HISTORY =
  'history { totalCount nodes { revision type userId commandId changes { field value } comment { author text } } }';

const codeOf = (answer: { errors?: { extensions?: { code?: string } }[] }) =>
  answer.errors?.[0]?.extensions?.code;

describe('tasklist history, closed tasks and comments end to end', () => {
  let harness: TasklistHarness;
  let alice: Record<string, string>;
  let bob: Record<string, string>;
  let carol: Record<string, string>;
  const clients: Client[] = [];

  beforeAll(async () => {
    harness = await TasklistHarness.start({
      tasklist: { readYourWritesTimeoutMs: 5_000, maxCommentLength: 40 },
    });
    alice = await harness.as('alice', ['sales']);
    bob = await harness.as('bob', ['support']);
    carol = await harness.as('carol', ['sales']);
    await harness.createTask('h-1', { name: 'Quote for ACME', candidateGroups: ['sales'], priority: 10 });
    await harness.createTask('h-2', { name: 'Quote for Initech', candidateGroups: ['sales'] });
    await harness.createTask('h-3', { name: 'Ticket 4711', candidateGroups: ['support'] });
    await harness.createTask('h-4', { name: 'Obsolete quote', candidateGroups: ['sales'] });
    await harness.settle();
  });

  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await harness?.close();
  });

  it('answers a comment with the task showing it, and records who claimed, commented and completed it', async () => {
    expect(
      codeOf(await harness.graphql('mutation { claimTask(id: "h-1") { id } }', {}, alice)),
    ).toBeUndefined();
    const commented = await harness.graphql<{
      addTaskComment: { comments: { author: string; text: string }[] };
    }>(
      'mutation($text: String!) { addTaskComment(id: "h-1", text: $text) { comments { author text time id } } }',
      { text: 'Asked ACME for\nthe volume.' },
      alice,
    );
    expect(commented.errors).toBeUndefined();
    expect(commented.data!.addTaskComment.comments).toMatchObject([
      { author: 'alice', text: 'Asked ACME for\nthe volume.' },
    ]);
    await harness.dispatch({ type: 'CompleteTask', data: { id: 'h-1' } });
    await harness.settle();

    const answer = await harness.graphql<{
      closedTasks: {
        totalCount: number;
        nodes: {
          closedAs: string;
          completedBy: string;
          closedBy: string;
          closedAt: string;
          task: { id: string; name: string; assignee: string; history: { nodes: HistoryNode[] } };
        }[];
      };
    }>(
      `{ closedTasks(filter: { completedByMe: true }) { totalCount nodes {
          closedAs completedBy closedBy closedAt task { id name assignee ${HISTORY} } } } }`,
      {},
      alice,
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.closedTasks.totalCount).toBe(1);
    const [closed] = answer.data!.closedTasks.nodes;
    expect(closed).toMatchObject({
      closedAs: 'COMPLETED',
      completedBy: 'alice',
      closedBy: 'harness',
      task: { id: 'h-1', name: 'Quote for ACME', assignee: 'alice' },
    });
    expect(Date.parse(closed.closedAt)).not.toBeNaN();
    const history = closed.task.history.nodes;
    expect(history.map((h) => [h.revision, h.type, h.userId])).toEqual([
      [0, 'TaskCreated', 'harness'],
      [1, 'TaskClaimed', 'alice'],
      [2, 'TaskCommentAdded', 'alice'],
      [3, 'TaskCompleted', 'harness'],
    ]);
    expect(history[1].changes).toEqual([{ field: 'assignee', value: 'alice' }]);
    expect(history[2].comment).toEqual({ author: 'alice', text: 'Asked ACME for\nthe volume.' });
    expect(new Set(history.map((h) => h.commandId)).size).toBe(4);

    // Another member of the group sees the closed task, but not as done by her; others see nothing of it.
    const ofCarol = await harness.graphql<{
      mine: { totalCount: number };
      all: { nodes: { task: { id: string } }[] };
    }>(
      '{ mine: closedTasks(filter: { completedByMe: true }) { totalCount } all: closedTasks { nodes { task { id } } } }',
      {},
      carol,
    );
    expect(ofCarol.data).toEqual({ mine: { totalCount: 0 }, all: { nodes: [{ task: { id: 'h-1' } }] } });
    const ofBob = await harness.graphql<{ closedTasks: { totalCount: number } }>(
      '{ closedTasks { totalCount } }',
      {},
      bob,
    );
    expect(ofBob.data!.closedTasks.totalCount).toBe(0);
  });

  it('pages a history with cursors', async () => {
    const page = async (after: string | null) =>
      (
        await harness.graphql<{
          closedTasks: {
            nodes: {
              task: {
                history: {
                  totalCount: number;
                  pageInfo: { endCursor: string; hasNextPage: boolean };
                  nodes: { revision: number }[];
                };
              };
            }[];
          };
        }>(
          'query($after: String) { closedTasks { nodes { task { history(first: 3, after: $after) { totalCount pageInfo { endCursor hasNextPage } nodes { revision } } } } } }',
          { after },
          alice,
        )
      ).data!.closedTasks.nodes[0].task.history;
    const first = await page(null);
    expect(first).toMatchObject({
      totalCount: 4,
      pageInfo: { hasNextPage: true },
      nodes: [{ revision: 0 }, { revision: 1 }, { revision: 2 }],
    });
    const second = await page(first.pageInfo.endCursor);
    expect(second).toMatchObject({ pageInfo: { hasNextPage: false }, nodes: [{ revision: 3 }] });
    const bad = await harness.graphql(
      '{ closedTasks { nodes { task { history(after: "nope") { totalCount } } } } }',
      {},
      alice,
    );
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('keeps a deleted task with its reason, filtered by how and when it closed', async () => {
    const before = new Date(Date.now() - 1_000).toISOString();
    await harness.dispatch({ type: 'DeleteTask', data: { id: 'h-4', deleteReason: 'withdrawn' } });
    await harness.settle();
    const answer = await harness.graphql<{ deleted: { nodes: unknown[] }; none: { totalCount: number } }>(
      `query($before: DateTime) {
         deleted: closedTasks(filter: { closedAs: DELETED, completedAfter: $before, task: { text: "obsolete" } }) {
           nodes { closedAs deleteReason completedBy task { id } } }
         none: closedTasks(filter: { completedBefore: $before }) { totalCount } }`,
      { before },
      alice,
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.deleted.nodes).toEqual([
      { closedAs: 'DELETED', deleteReason: 'withdrawn', completedBy: null, task: { id: 'h-4' } },
    ]);
    expect(answer.data!.none.totalCount).toBe(0);
    const bad = await harness.graphql(
      '{ closedTasks(filter: { task: { payload: [{ path: "$where", op: EQ, value: 1 }] } }) { totalCount } }',
      {},
      alice,
    );
    expect(bad.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'filter.task.payload[0].path',
    });
  });

  it('pushes a comment to the subscribers of the task, with the comment in the pushed task', async () => {
    const client = harness.client(carol);
    clients.push(client);
    const probe = new SubscriptionProbe<{
      taskChanges: { kind: string; tasks: { id: string; comments: { author: string; text: string }[] }[] };
    }>(client, 'subscription { taskChanges { kind tasks { id comments { author text } } } }');
    await probe.until(() => probe.results.length >= 1, 10_000, 'the snapshot');
    const commented = await harness.graphql(
      'mutation { addTaskComment(id: "h-2", text: "Initech called back.") { id } }',
      {},
      alice,
    );
    expect(commented.errors).toBeUndefined();
    const pushed = () =>
      probe.results.some((r) =>
        r.data?.taskChanges.tasks.some(
          (t) => t.id === 'h-2' && t.comments.some((c) => c.text === 'Initech called back.'),
        ),
      );
    await probe.until(pushed, 10_000, 'the comment pushed');
    const update = probe.results.find((r) => r.data?.taskChanges.kind === 'UPSERTED')!;
    expect(update.data!.taskChanges.tasks[0].comments).toEqual([
      { author: 'alice', text: 'Initech called back.' },
    ]);
    probe.close();
  });

  it('refuses bad comments naming the field, and comments on tasks the user may not see as not found', async () => {
    const comment = (id: string, text: string, who = alice) =>
      harness.graphql(
        'mutation($id: ID!, $text: String!) { addTaskComment(id: $id, text: $text) { id } }',
        { id, text },
        who,
      );
    for (const text of ['bell \u0007', 'escape \u001b[2J', '   ', 'x'.repeat(41)]) {
      const refused = await comment('h-2', text);
      expect(refused.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'text',
      });
    }
    // The limit the refusals follow is the one the API tells clients.
    const limit = await harness.graphql<{ commentMaxLength: number }>('{ commentMaxLength }', {}, alice);
    expect(limit.data?.commentMaxLength).toBe(40);
    expect(codeOf(await comment('h-3', 'not mine'))).toBe('NOT_FOUND');
    expect(codeOf(await comment('h-1', 'too late'))).toBe('CONFLICT');
    const comments = await harness.graphql<{ task: { comments: unknown[] } }>(
      '{ task(id: "h-2") { comments { text } } }',
      {},
      alice,
    );
    expect(comments.data!.task.comments).toEqual([{ text: 'Initech called back.' }]);
  });

  it('links each protocol line of a data entry to the change that wrote it, authorised like the entry', async () => {
    const report = (state: string, log: string | undefined, payload: Record<string, unknown> = {}) =>
      harness.dispatch({
        type: 'CreateOrUpdateDataEntry',
        data: {
          entryType: 'order',
          entryId: 'O-9',
          type: 'Order',
          name: 'Order 9',
          applicationName: 'shop',
          state: { processingType: 'IN_PROGRESS', state },
          payload,
          authorizations: [{ kind: 'ADD_GROUP', principal: 'sales' }],
          ...(log ? { modification: { username: 'shop-app', log } } : {}),
        },
      });
    await report('received', 'Received');
    // Neither a log nor a new state: a change without a protocol line.
    await report('received', undefined, { weight: 3 });
    await report('packed', 'Packed', { weight: 3 });
    await harness.settle();
    const query = `{ dataEntry(entryType: "order", entryId: "O-9") {
        protocol { logMessage historyEntry { revision type } }
        history { nodes { revision type changes { field value } } } } }`;
    const answer = await harness.graphql<{
      dataEntry: {
        protocol: { logMessage: string; historyEntry: { revision: number; type: string } }[];
        history: { nodes: { revision: number; changes: { field: string; value: unknown }[] }[] };
      };
    }>(query, {}, alice);
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.dataEntry.protocol).toEqual([
      { logMessage: 'Received', historyEntry: { revision: 0, type: 'DataEntryCreated' } },
      { logMessage: 'Packed', historyEntry: { revision: 2, type: 'DataEntryUpdated' } },
    ]);
    expect(answer.data!.dataEntry.history.nodes[1].changes).toEqual([
      { field: 'payload', value: { weight: 3 } },
    ]);
    const ofBob = await harness.graphql<{ dataEntry: null }>(query, {}, bob);
    expect(ofBob.data!.dataEntry).toBeNull();
  });
});
