import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@eddy/testing/wait-for';
import { TaskCountsService } from '@eddy/tasklist/counts/task-counts.service';
import { SubscriptionProbe, TasklistHarness } from './support/tasklist-harness';

const COUNT = 'query($filter: TaskFilter) { taskCount(filter: $filter) }';
const COUNT_CHANGES = `subscription($filters: [TaskFilter!]!) {
  taskCountChanges(filters: $filters) { counts position }
}`;
type Counts = { taskCountChanges: { counts: number[]; position: string } };

describe('task counts end to end', () => {
  let harness: TasklistHarness;
  let alice: Record<string, string>;
  let bob: Record<string, string>;
  const clients: Client[] = [];

  beforeAll(async () => {
    harness = await TasklistHarness.start();
    alice = await harness.as('alice', ['sales']);
    bob = await harness.as('bob', ['support']);
    await harness.createTask('c-1', { candidateGroups: ['sales'], priority: 80 });
    await harness.createTask('c-2', { candidateGroups: ['sales'], priority: 10 });
    await harness.createTask('c-3', { candidateGroups: ['support'], priority: 90 });
    await harness.createTask('c-4', { candidateGroups: ['sales'], followUpDate: '2099-01-01T00:00:00Z' });
  });

  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await harness?.close();
  });

  const count = async (filter: Record<string, unknown> | null, as: Record<string, string>) => {
    const answer = await harness.graphql<{ taskCount: number }>(COUNT, { filter }, as);
    expect(answer.errors).toBeUndefined();
    return answer.data!.taskCount;
  };

  it("answers tasks' totalCount for the same filter, and only over the tasks the user may see", async () => {
    const filters = [null, { priorityMin: 50 }, { includeDeferred: true }, { unassigned: true }];
    for (const filter of filters) {
      for (const user of [alice, bob]) {
        const listed = await harness.graphql<{ tasks: { totalCount: number } }>(
          'query($filter: TaskFilter) { tasks(filter: $filter, first: 0) { totalCount } }',
          { filter },
          user,
        );
        expect(await count(filter, user)).toBe(listed.data!.tasks.totalCount);
      }
    }
    expect(await count(null, alice)).toBe(2);
    expect(await count({ includeDeferred: true }, alice)).toBe(3);
    expect(await count(null, bob)).toBe(1);
  });

  it('refuses a bad filter naming the field', async () => {
    const answer = await harness.graphql(
      COUNT,
      { filter: { payload: [{ path: 'a..b', op: 'EQ', value: 1 }] } },
      alice,
    );
    expect(answer.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'filter.payload[0].path',
    });
  });

  it('pushes the counts of every filter first, then again when one changes, never for changes the user cannot see', async () => {
    const client = harness.client(alice);
    clients.push(client);
    const probe = new SubscriptionProbe<Counts>(client, COUNT_CHANGES, {
      filters: [{}, { assignedToMe: true }],
    });
    const counts = () => probe.results.map((r) => r.data?.taskCountChanges.counts);
    await probe.until(() => probe.results.length === 1, 10_000, 'the first counts');
    expect(counts()).toEqual([[2, 0]]);

    // Another group's task: alice's counts stay, so nothing is pushed for it.
    await harness.createTask('c-5', { candidateGroups: ['support'] });
    await harness.graphql('mutation { claimTask(id: "c-1") { id } }', {}, alice);
    await probe.until(() => probe.results.length === 2, 10_000, 'the counts after the claim');
    expect(counts()[1]).toEqual([2, 1]);

    await harness.createTask('c-6', { candidateGroups: ['sales'] });
    await probe.until(() => probe.results.length === 3, 10_000, 'the counts after a new task');
    expect(counts()[2]).toEqual([3, 1]);
    expect(Number(probe.results[2].data!.taskCountChanges.position)).toBeGreaterThan(
      Number(probe.results[1].data!.taskCountChanges.position),
    );
    expect(probe.error).toBeNull();
    // Closing the subscription releases its counts: nothing is counted for it any more.
    const service = harness.app.get(TaskCountsService, { strict: false });
    const open = () => (service as unknown as { live: Set<unknown> }).live.size;
    expect(open()).toBe(1);
    probe.close();
    await waitFor(() => expect(open()).toBe(0), { timeout: 10_000 });
  });

  it('counts a deferred task once its follow-up date passes, without any change of the view', async () => {
    const client = harness.client(bob);
    clients.push(client);
    const probe = new SubscriptionProbe<Counts>(client, COUNT_CHANGES, { filters: [{}] });
    await probe.until(() => probe.results.length === 1, 10_000, 'the first counts');
    const before = probe.results[0].data!.taskCountChanges.counts[0];
    await harness.createTask('c-soon', {
      candidateGroups: ['support'],
      followUpDate: new Date(Date.now() + 1_500).toISOString(),
    });
    await probe.until(
      () => probe.results.some((r) => r.data?.taskCountChanges.counts[0] === before + 1),
      15_000,
      'the count once the follow-up date passed',
    );
    probe.close();
  });

  it('refuses an empty or too long list of filters, and names a bad filter by its place', async () => {
    const client = harness.client(bob);
    clients.push(client);
    for (const [filters, field] of [
      [[], 'filters'],
      [Array.from({ length: 21 }, () => ({})), 'filters'],
      [[{}, { payload: [{ path: '', op: 'EQ', value: 1 }] }], 'filters[1].payload[0].path'],
    ] as const) {
      const probe = new SubscriptionProbe<Counts>(client, COUNT_CHANGES, { filters });
      await probe.until(() => probe.results.length > 0 || probe.error !== null, 10_000, 'an error');
      const errors = probe.results[0]?.errors ?? (probe.error as { extensions?: unknown }[]);
      expect(JSON.stringify(errors)).toContain('BAD_USER_INPUT');
      expect(JSON.stringify(errors)).toContain(`"field":"${field}"`);
      probe.close();
    }
  });
});
