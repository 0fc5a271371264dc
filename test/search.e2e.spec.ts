import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SubscriptionProbe, TasklistHarness } from './support/tasklist-harness';

const TASKS = `query($filter: TaskFilter, $sort: [TaskSort!]) {
  tasks(filter: $filter, sort: $sort) { totalCount nodes { id } }
}`;
const ENTRIES =
  'query($filter: DataEntryFilter) { dataEntries(filter: $filter) { totalCount nodes { id } } }';
const COUNT = 'query($filter: TaskFilter) { taskCount(filter: $filter) }';
const CHANGES = `subscription($filter: TaskFilter) {
  taskChanges(filter: $filter) { kind removedIds tasks { id name } }
}`;
type Change = { kind: string; removedIds: string[]; tasks: { id: string; name: string }[] };

describe('free-text search through the tasklist API', () => {
  let harness: TasklistHarness;
  let alice: Record<string, string>;
  let bob: Record<string, string>;
  const clients: Client[] = [];

  beforeAll(async () => {
    harness = await TasklistHarness.start({ search: { payloadFields: ['customer.name'] } });
    alice = await harness.as('alice', ['sales']);
    bob = await harness.as('bob', ['support']);
    await harness.createTask('s-1', { name: 'Approve invoice', candidateGroups: ['sales'], priority: 10 });
    await harness.createTask('s-2', {
      name: 'Call customer',
      description: 'about the invoice',
      candidateGroups: ['sales'],
      priority: 90,
    });
    await harness.createTask('s-3', {
      name: 'Check order',
      candidateGroups: ['sales'],
      payload: { customer: { name: 'Société Générale' } },
    });
    await harness.createTask('s-4', { name: 'Approve invoice', candidateGroups: ['support'] });
    for (const [entryId, name, group] of [
      ['INV-1', 'Invoice Müller', 'sales'],
      ['INV-2', 'Invoice Meyer', 'support'],
    ]) {
      await harness.dispatch({
        type: 'CreateOrUpdateDataEntry',
        data: {
          entryType: 'invoice',
          entryId,
          type: 'Invoice',
          name,
          applicationName: 'billing',
          authorizations: [{ kind: 'ADD_GROUP', principal: group }],
        },
      });
    }
    await harness.settle();
  });

  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await harness?.close();
  });

  const ids = async (filter: object, as: Record<string, string>, sort?: object[]) => {
    const answer = await harness.graphql<{ tasks: { totalCount: number; nodes: { id: string }[] } }>(
      TASKS,
      { filter, sort },
      as,
    );
    expect(answer.errors).toBeUndefined();
    return answer.data!.tasks.nodes.map((t) => t.id);
  };

  it('finds tasks by words of their name, description and chosen payload fields, ranked, authorised', async () => {
    expect(await ids({ search: 'INVOICE' }, alice)).toEqual(['s-1', 's-2']);
    expect(await ids({ search: 'invoice' }, alice, [{ field: 'PRIORITY', direction: 'DESC' }])).toEqual([
      's-2',
      's-1',
    ]);
    expect(await ids({ search: 'societe gen' }, alice)).toEqual(['s-3']);
    expect(await ids({ search: 'invoice', priorityMin: 50 }, alice)).toEqual(['s-2']);
    expect(await ids({ search: 'approve' }, bob)).toEqual(['s-4']);
    const count = await harness.graphql<{ taskCount: number }>(
      COUNT,
      { filter: { search: 'invoice' } },
      alice,
    );
    expect(count.data?.taskCount).toBe(2);
  });

  it('searches data entries the user may see', async () => {
    const answer = await harness.graphql<{ dataEntries: { nodes: { id: string }[] } }>(
      ENTRIES,
      { filter: { search: 'invoice mull' } },
      alice,
    );
    expect(answer.data?.dataEntries.nodes.map((e) => e.id)).toEqual(['invoice#INV-1']);
    const none = await harness.graphql<{ dataEntries: { nodes: { id: string }[] } }>(
      ENTRIES,
      { filter: { search: 'meyer' } },
      alice,
    );
    expect(none.data?.dataEntries.nodes).toEqual([]);
  });

  it('refuses a search of 10,000 characters with BAD_USER_INPUT naming the field', async () => {
    const search = 'x'.repeat(10_000);
    for (const [query, filter, field] of [
      [TASKS, { search }, 'filter.search'],
      [COUNT, { search }, 'filter.search'],
      [ENTRIES, { search }, 'filter.search'],
      [
        'query($filter: ClosedTaskFilter) { closedTasks(filter: $filter) { totalCount } }',
        { task: { search } },
        'filter.task.search',
      ],
    ] as const) {
      const answer = await harness.graphql(query, { filter }, alice);
      expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(answer.errors?.[0]?.message).toContain('at most 200');
    }
  });

  it('pushes to a live list with a search only the changes that match it', async () => {
    const client = harness.client(alice);
    clients.push(client);
    const probe = new SubscriptionProbe<{ taskChanges: Change }>(client, CHANGES, {
      filter: { search: 'invoice' },
    });
    const changes = () => probe.results.map((r) => r.data!.taskChanges);
    await probe.until(() => probe.results.length === 1, 10_000, 'the snapshot');
    expect(
      changes()[0]
        .tasks.map((t) => t.id)
        .sort(),
    ).toEqual(['s-1', 's-2']);
    await harness.createTask('s-5', { name: 'Archive letters', candidateGroups: ['sales'] });
    await harness.createTask('s-6', { name: 'Send invoice', candidateGroups: ['sales'] });
    await probe.until(() => probe.results.length === 2, 10_000, 'the matching task');
    expect(changes()[1]).toMatchObject({ kind: 'UPSERTED', tasks: [{ id: 's-6' }] });
    expect(probe.error).toBeNull();
    probe.close();
  });
});
