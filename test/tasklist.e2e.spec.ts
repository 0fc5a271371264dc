import {
  ENGINE_REQUESTS,
  type ProcessEngine,
  type StartProcessInstanceRequest,
} from '@eddy/collector/engine/engine.port';
import type { CommandDispatcher } from '@eddy/contracts';
import { CLOSE_TOO_MANY_CONNECTIONS, CLOSE_UNAUTHORIZED } from '@eddy/tasklist';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import WebSocket from 'ws';
import { SignJWT } from 'jose';
import {
  HARNESS_JWT_AUDIENCE,
  HARNESS_JWT_ISSUER,
  HARNESS_JWT_SECRET,
  SubscriptionProbe,
  TasklistHarness,
} from './support/tasklist-harness';

/**
 * Test doubles around the real dispatcher: the next command of `lagging.type` answers a position far
 * ahead, as if the views lagged behind; `racing` runs just before the next command of its type, as
 * a concurrent change by the engine would.
 */
const lagging = { type: null as string | null };
const racing: { type: string | null; run: () => Promise<unknown> } = {
  type: null,
  run: async () => undefined,
};
/** Commands of this type take `ms` longer to reach the core, so that requests overlap. */
const slow = { type: null as string | null, ms: 0 };

const TASK_FIELDS = 'id name assignee candidateGroups candidateUsers deferred followUpDate version';
const TASK_CHANGES = `subscription($filter: TaskFilter) {
  taskChanges(filter: $filter) { kind position removedIds tasks { ${TASK_FIELDS} } }
}`;

interface TaskNode {
  id: string;
  name: string;
  assignee: string | null;
  candidateGroups: string[];
  version: number;
  deferred: boolean;
  followUpDate: string | null;
}
interface TaskChange {
  kind: 'SNAPSHOT' | 'UPSERTED' | 'REMOVED';
  position: string;
  removedIds: string[];
  tasks: TaskNode[];
}
type Changes = SubscriptionProbe<{ taskChanges: TaskChange }>;

const changesOf = (probe: Changes): TaskChange[] =>
  probe.results.map((r) => {
    if (!r.data) throw new Error(`the subscription answered with errors: ${JSON.stringify(r.errors)}`);
    return r.data.taskChanges;
  });

/** The list a subscriber holds after applying every message. */
function replay(changes: TaskChange[]): Map<string, TaskNode> {
  const list = new Map<string, TaskNode>();
  for (const change of changes) {
    if (change.kind === 'SNAPSHOT') {
      list.clear();
      for (const t of change.tasks) list.set(t.id, t);
    } else if (change.kind === 'UPSERTED') {
      for (const t of change.tasks) list.set(t.id, t);
    } else {
      for (const id of change.removedIds) list.delete(id);
    }
  }
  return list;
}

/** A process engine double: records what the tasklist asked it to start. */
const started: StartProcessInstanceRequest[] = [];
const engine = {
  startProcessInstance: async (request: StartProcessInstanceRequest) => {
    started.push(request);
    return { instanceId: `pi-${started.length}`, definitionId: `${request.definitionKey}:1` };
  },
} as unknown as ProcessEngine;

const registerProcess = (key: string, extra: Record<string, unknown> = {}) => ({
  type: 'RegisterProcessDefinition' as const,
  data: {
    id: `${key}:1`,
    key,
    version: 1,
    name: `Process ${key}`,
    applicationName: 'review-app',
    startableFromTasklist: true,
    ...extra,
  },
});

type GraphqlErrors = { message: string; extensions?: { code?: string } }[];

const codeOf = (answer: { errors?: { extensions?: { code?: string } }[] }) =>
  answer.errors?.[0]?.extensions?.code;

describe('tasklist API end to end', () => {
  let harness: TasklistHarness;
  let alice: Record<string, string>;
  let bob: Record<string, string>;
  let carol: Record<string, string>;
  const clients: Client[] = [];
  const client = (params: Record<string, unknown>) => {
    const c = harness.client(params);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    harness = await TasklistHarness.start({
      tasklist: {
        readYourWritesTimeoutMs: 2_000,
        maxPageSize: 100,
        maxQueryDepth: 6,
        maxQueryCost: 5_000,
        maxSubscriptionsPerConnection: 3,
        maxConnectionsPerUser: 8,
        maxPayloadBytes: 16 * 1024,
        snapshotPageSize: 7,
      },
      providers: [{ provide: ENGINE_REQUESTS, useValue: engine }],
      wrapDispatcher: (real: CommandDispatcher): CommandDispatcher => ({
        dispatch: async (command) => {
          if (command.type === slow.type) await new Promise((r) => setTimeout(r, slow.ms));
          if (command.type === racing.type) {
            racing.type = null;
            await racing.run();
          }
          const result = await real.dispatch(command);
          if (command.type !== lagging.type || result.status === 'rejected') return result;
          lagging.type = null;
          return { ...result, position: result.position + 1_000_000 };
        },
      }),
    });
    alice = await harness.as('alice', ['sales']);
    bob = await harness.as('bob', ['support']);
    carol = await harness.as('carol', ['sales']);
    await harness.createTask('s-1', { name: 'Quote for ACME', candidateGroups: ['sales'], priority: 10 });
    await harness.createTask('s-2', { name: 'Quote for Initech', candidateGroups: ['sales'], priority: 80 });
    await harness.createTask('p-1', { name: 'Ticket 4711', candidateGroups: ['support'] });
    await harness.createTask('b-1', { name: 'Escalation', candidateGroups: ['sales', 'support'] });
    await harness.createTask('u-1', { name: 'Personal for bob', candidateUsers: ['bob'] });
    await harness.dispatch({
      type: 'CreateOrUpdateDataEntry',
      data: {
        entryType: 'order',
        entryId: 'O-1',
        type: 'Order',
        name: 'Order 1',
        applicationName: 'shop',
        authorizations: [{ kind: 'ADD_GROUP', principal: 'sales' }],
      },
    });
    await harness.dispatch({
      type: 'CreateOrUpdateDataEntry',
      data: {
        entryType: 'order',
        entryId: 'O-2',
        type: 'Order',
        name: 'Order 2',
        applicationName: 'shop',
        authorizations: [{ kind: 'ADD_GROUP', principal: 'support' }],
      },
    });
    await harness.createTask('j-1', {
      name: 'Ship order',
      candidateGroups: ['sales', 'support'],
      correlations: [
        { entryType: 'order', entryId: 'O-1' },
        { entryType: 'order', entryId: 'O-2' },
      ],
    });
    await harness.createTask('j-2', {
      name: 'Bill order',
      candidateGroups: ['sales'],
      correlations: [{ entryType: 'order', entryId: 'O-1' }],
    });
    await harness.settle();
  });

  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await harness?.close();
  });

  describe('queries', () => {
    it('shows two users with different groups exactly their own tasks', async () => {
      const query = '{ tasks(first: 100) { totalCount nodes { id } } }';
      const ofAlice = await harness.graphql<{ tasks: { totalCount: number; nodes: { id: string }[] } }>(
        query,
        {},
        alice,
      );
      const ofBob = await harness.graphql<{ tasks: { totalCount: number; nodes: { id: string }[] } }>(
        query,
        {},
        bob,
      );
      expect(ofAlice.data!.tasks.nodes.map((t) => t.id).sort()).toEqual(['b-1', 'j-1', 'j-2', 's-1', 's-2']);
      expect(ofAlice.data!.tasks.totalCount).toBe(5);
      expect(ofBob.data!.tasks.nodes.map((t) => t.id).sort()).toEqual(['b-1', 'j-1', 'p-1', 'u-1']);
      const single = await harness.graphql('{ task(id: "p-1") { id } }', {}, alice);
      expect(single.data).toEqual({ task: null });
      const counts = await harness.graphql('{ taskCountByApplication { applicationName count } }', {}, bob);
      expect(counts.data).toEqual({ taskCountByApplication: [{ applicationName: 'review-app', count: 4 }] });
    });

    it('filters, sorts and pages like the view store', async () => {
      const answer = await harness.graphql<{
        tasks: { nodes: { id: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
      }>(
        `query($after: String) { tasks(filter: { text: "quote" }, sort: [{ field: PRIORITY, direction: DESC }], first: 1, after: $after) {
          nodes { id } pageInfo { hasNextPage endCursor } } }`,
        {},
        alice,
      );
      expect(answer.data!.tasks.nodes).toEqual([{ id: 's-2' }]);
      expect(answer.data!.tasks.pageInfo.hasNextPage).toBe(true);
      const next = await harness.graphql<{ tasks: { nodes: { id: string }[] } }>(
        `query($after: String) { tasks(filter: { text: "quote" }, sort: [{ field: PRIORITY, direction: DESC }], first: 1, after: $after) { nodes { id } } }`,
        { after: answer.data!.tasks.pageInfo.endCursor },
        alice,
      );
      expect(next.data!.tasks.nodes).toEqual([{ id: 's-1' }]);
    });

    it('joins tasks and data entries in one batch per level, each authorised for the viewer', async () => {
      const getDataEntries = jest.spyOn(harness.viewStore, 'getDataEntries');
      const tasksCorrelatedTo = jest.spyOn(harness.viewStore, 'tasksCorrelatedTo');
      try {
        const answer = await harness.graphql<{
          tasks: { nodes: { id: string; dataEntries: { id: string; tasks: { id: string }[] }[] }[] };
        }>('{ tasks(first: 100) { nodes { id dataEntries { id tasks { id } } } } }', {}, alice);
        expect(answer.errors).toBeUndefined();
        const byId = Object.fromEntries(answer.data!.tasks.nodes.map((t) => [t.id, t.dataEntries]));
        // O-2 is for support only: alice never sees it, not even through a task she can see.
        expect(byId['j-1']).toEqual([{ id: 'order#O-1', tasks: [{ id: 'j-1' }, { id: 'j-2' }] }]);
        expect(byId['j-2']).toEqual([{ id: 'order#O-1', tasks: [{ id: 'j-1' }, { id: 'j-2' }] }]);
        expect(getDataEntries).toHaveBeenCalledTimes(1);
        expect(tasksCorrelatedTo).toHaveBeenCalledTimes(1);
        const entries = await harness.graphql('{ dataEntries { nodes { id tasks { id } } } }', {}, bob);
        expect(entries.data).toEqual({
          dataEntries: { nodes: [{ id: 'order#O-2', tasks: [{ id: 'j-1' }] }] },
        });
        const hidden = await harness.graphql(
          '{ dataEntry(entryType: "order", entryId: "O-2") { id } }',
          {},
          alice,
        );
        expect(hidden.data).toEqual({ dataEntry: null });
      } finally {
        getDataEntries.mockRestore();
        tasksCorrelatedTo.mockRestore();
      }
    });

    it('shows only the correlations to data entries the viewer may see, of tasks and of data entries', async () => {
      await harness.dispatch({
        type: 'CreateOrUpdateDataEntry',
        data: {
          entryType: 'order',
          entryId: 'O-3',
          type: 'Order',
          name: 'Order 3',
          applicationName: 'shop',
          authorizations: [
            { kind: 'ADD_GROUP', principal: 'sales' },
            { kind: 'ADD_GROUP', principal: 'support' },
          ],
          correlations: [
            { entryType: 'order', entryId: 'O-1' },
            { entryType: 'order', entryId: 'O-2' },
            { entryType: 'order', entryId: 'O-unknown' },
          ],
        },
      });
      await harness.settle();
      const query = `{ task(id: "j-1") { correlations { entryType entryId } }
        dataEntry(entryType: "order", entryId: "O-3") { correlations { entryId } } }`;
      const ofAlice = await harness.graphql(query, {}, alice);
      expect(ofAlice.data).toEqual({
        task: { correlations: [{ entryType: 'order', entryId: 'O-1' }] },
        dataEntry: { correlations: [{ entryId: 'O-1' }] },
      });
      const ofBob = await harness.graphql(query, {}, bob);
      expect(ofBob.data).toEqual({
        task: { correlations: [{ entryType: 'order', entryId: 'O-2' }] },
        dataEntry: { correlations: [{ entryId: 'O-2' }] },
      });
      const dave = await harness.as('dave', ['sales', 'support']);
      const ofDave = await harness.graphql<{ task: { correlations: { entryId: string }[] } }>(
        query,
        {},
        dave,
      );
      expect(ofDave.data!.task.correlations.map((c) => c.entryId)).toEqual(['O-1', 'O-2']);
    });

    it('refuses a page larger than the maximum with BAD_USER_INPUT', async () => {
      const answer = await harness.graphql('{ tasks(first: 101) { totalCount } }', {}, alice);
      expect(codeOf(answer)).toBe('BAD_USER_INPUT');
      expect(answer.errors?.[0].message).toMatch(/first: must be at most 100/);
      // Far above it, with fields that would make the page costly: still the page size, not the cost.
      const huge = await harness.graphql(
        '{ tasks(first: 100000) { nodes { id dataEntries { id } } } }',
        {},
        alice,
      );
      expect(codeOf(huge)).toBe('BAD_USER_INPUT');
      expect(huge.errors?.[0].message).toMatch(/first: must be at most 100/);
      expect(huge.errors?.[0].extensions?.field).toBe('first');
    });

    it('refuses queries that are too deep or too costly before running them', async () => {
      const deep = await harness.graphql(
        '{ tasks { nodes { dataEntries { tasks { dataEntries { tasks { dataEntries { id } } } } } } } }',
        {},
        alice,
      );
      expect(codeOf(deep)).toBe('QUERY_TOO_COMPLEX');
      expect(deep.errors?.[0].message).toMatch(/depth 8 exceeds the maximum of 6/);
      const costly = await harness.graphql(
        '{ tasks(first: 100) { nodes { dataEntries { tasks { dataEntries { id } } } } } }',
        {},
        alice,
      );
      expect(codeOf(costly)).toBe('QUERY_TOO_COMPLEX');
      expect(costly.errors?.[0].message).toMatch(/cost \d+ exceeds the maximum of 5000/);
    });

    it('answers an unexpected failure as INTERNAL_SERVER_ERROR without its details, over HTTP and graphql-ws', async () => {
      const failing = jest
        .spyOn(harness.viewStore, 'findTasks')
        .mockRejectedValue(new Error('connection to view-db:27017 failed, user admin'));
      try {
        const answer = await harness.graphql('{ tasks { totalCount } }', {}, alice);
        expect(answer.errors).toEqual([
          { message: 'internal error', path: ['tasks'], extensions: { code: 'INTERNAL_SERVER_ERROR' } },
        ]);
        const probe: Changes = new SubscriptionProbe(client(alice), TASK_CHANGES, {});
        await probe.until(() => probe.results.length > 0 || probe.error !== null);
        const errors = probe.results[0]?.errors ?? (probe.error as GraphqlErrors);
        expect(JSON.stringify(errors)).not.toContain('view-db');
        expect(errors[0].extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      } finally {
        failing.mockRestore();
      }
    });

    it('refuses a request body above the payload limit', async () => {
      const answer = await harness.graphql(`{ me { id } } # ${'x'.repeat(20_000)}`, {}, alice);
      expect(answer.status).toBe(413);
    });
  });

  describe('mutations', () => {
    it('claims, defers, undefers, unclaims and completes, answering what the view shows', async () => {
      await harness.createTask('m-1', { candidateGroups: ['sales'] });
      const claimed = await harness.graphql<{ claimTask: TaskNode }>(
        `mutation { claimTask(id: "m-1") { ${TASK_FIELDS} } }`,
        {},
        alice,
      );
      expect(claimed.errors).toBeUndefined();
      expect(claimed.data!.claimTask).toMatchObject({ id: 'm-1', assignee: 'alice', version: 1 });
      const later = new Date(Date.now() + 86_400_000).toISOString();
      const deferred = await harness.graphql<{ deferTask: TaskNode }>(
        `mutation($d: DateTime!) { deferTask(id: "m-1", followUpDate: $d) { deferred followUpDate } }`,
        { d: later },
        alice,
      );
      expect(deferred.data!.deferTask).toEqual({ deferred: true, followUpDate: later });
      const undeferred = await harness.graphql<{ undeferTask: TaskNode }>(
        'mutation { undeferTask(id: "m-1") { deferred followUpDate } }',
        {},
        alice,
      );
      expect(undeferred.data!.undeferTask).toEqual({ deferred: false, followUpDate: null });
      const unclaimed = await harness.graphql('mutation { unclaimTask(id: "m-1") { assignee } }', {}, alice);
      expect(unclaimed.data).toEqual({ unclaimTask: { assignee: null } });
      await harness.graphql('mutation { claimTask(id: "m-1") { id } }', {}, alice);
      const completed = await harness.graphql<{ completeTask: TaskNode }>(
        'mutation { completeTask(id: "m-1", variables: { approved: true }) { id assignee version } }',
        {},
        alice,
      );
      expect(completed.errors).toBeUndefined();
      expect(completed.data!.completeTask).toMatchObject({ id: 'm-1', assignee: 'alice' });
    });

    it('answers NOT_FOUND for a task the user cannot see, as for one that does not exist', async () => {
      for (const id of ['p-1', 'no-such-task']) {
        const answer = await harness.graphql(`mutation { claimTask(id: "${id}") { id } }`, {}, alice);
        expect(codeOf(answer)).toBe('NOT_FOUND');
      }
    });

    it('answers CONFLICT with reason TASK_CLOSED for a completed task, and NOT_FOUND to who never saw it', async () => {
      await harness.createTask('m-closed', { candidateGroups: ['sales'] });
      await harness.graphql('mutation { claimTask(id: "m-closed") { id } }', {}, alice);
      const completed = await harness.graphql('mutation { completeTask(id: "m-closed") { id } }', {}, alice);
      expect(completed.errors).toBeUndefined();
      // The engine reports the completion (there is no engine here: the harness sends its command).
      await harness.dispatch({ type: 'CompleteTask', data: { id: 'm-closed' } });
      await harness.settle();
      for (const mutation of ['claimTask(id: "m-closed") { id }', 'completeTask(id: "m-closed") { id }']) {
        for (const user of [alice, carol]) {
          const answer = await harness.graphql(`mutation { ${mutation} }`, {}, user);
          expect(codeOf(answer)).toBe('CONFLICT');
          expect(answer.errors![0].extensions).toMatchObject({ reason: 'TASK_CLOSED' });
          expect(answer.errors![0].message).toBe('task m-closed is completed');
        }
      }
      const stranger = await harness.graphql('mutation { claimTask(id: "m-closed") { id } }', {}, bob);
      expect(codeOf(stranger)).toBe('NOT_FOUND');
    });

    it('answers CONFLICT for a claim of a task someone else holds', async () => {
      await harness.createTask('m-2', { candidateGroups: ['sales'] });
      await harness.graphql('mutation { claimTask(id: "m-2") { id } }', {}, carol);
      const answer = await harness.graphql('mutation { claimTask(id: "m-2") { id } }', {}, alice);
      expect(codeOf(answer)).toBe('CONFLICT');
    });

    it('answers CONFLICT when another API instance let someone else claim the task after the view was read', async () => {
      await harness.createTask('m-7', { candidateGroups: ['sales'] });
      // Alice's claim passes this instance's check against the view; before it reaches the core, a claim
      // through another instance (straight to the core here) gives the task to Carol.
      Object.assign(racing, {
        type: 'ClaimTask',
        run: () => harness.dispatch({ type: 'ClaimTask', data: { id: 'm-7', assignee: 'carol' } }),
      });
      const answer = await harness.graphql('mutation { claimTask(id: "m-7") { assignee } }', {}, alice);
      expect(codeOf(answer)).toBe('CONFLICT');
      await harness.settle();
      const task = await harness.graphql<{ task: { assignee: string } }>(
        '{ task(id: "m-7") { assignee } }',
        {},
        carol,
      );
      expect(task.data!.task.assignee).toBe('carol');
    });

    it('gives a task claimed by two users at once to one of them and answers the other CONFLICT', async () => {
      await harness.createTask('m-6', { candidateGroups: ['sales'] });
      // Each claim reaches the core late: without care both would read "unassigned" and both win.
      Object.assign(slow, { type: 'ClaimTask', ms: 200 });
      const answers = await Promise.all(
        [alice, carol].map((user) =>
          harness.graphql('mutation { claimTask(id: "m-6") { assignee } }', {}, user),
        ),
      ).finally(() => Object.assign(slow, { type: null }));
      const won = answers.filter((a) => a.data?.claimTask);
      expect(won).toHaveLength(1);
      expect(answers.map(codeOf).filter(Boolean)).toEqual(['CONFLICT']);
      const task = await harness.graphql<{ task: { assignee: string } }>(
        '{ task(id: "m-6") { assignee } }',
        {},
        alice,
      );
      expect(task.data!.task.assignee).toBe(
        (won[0].data as { claimTask: { assignee: string } }).claimTask.assignee,
      );
    });

    it('answers FORBIDDEN when someone other than the assignee completes or unclaims', async () => {
      await harness.createTask('m-3', { candidateGroups: ['sales'], assignee: 'carol' });
      const complete = await harness.graphql('mutation { completeTask(id: "m-3") { id } }', {}, alice);
      expect(codeOf(complete)).toBe('FORBIDDEN');
      const unclaim = await harness.graphql('mutation { unclaimTask(id: "m-3") { id } }', {}, alice);
      expect(codeOf(unclaim)).toBe('FORBIDDEN');
    });

    it('lets only the assignee defer or undefer an assigned task, and anyone who may claim an unassigned one', async () => {
      const later = new Date(Date.now() + 86_400_000).toISOString();
      const defer = (id: string, user: Record<string, string>) =>
        harness.graphql<{ deferTask: TaskNode }>(
          `mutation($d: DateTime!) { deferTask(id: "${id}", followUpDate: $d) { deferred assignee } }`,
          { d: later },
          user,
        );
      const undefer = (id: string, user: Record<string, string>) =>
        harness.graphql<{ undeferTask: TaskNode }>(
          `mutation { undeferTask(id: "${id}") { deferred } }`,
          {},
          user,
        );
      await harness.createTask('m-8', { candidateGroups: ['sales'], assignee: 'carol' });
      const foreign = await defer('m-8', alice);
      expect(codeOf(foreign)).toBe('FORBIDDEN');
      expect(foreign.errors?.[0].message).toMatch(/only the assignee of task m-8 may defer it/);
      expect((await defer('m-8', carol)).data?.deferTask).toEqual({ deferred: true, assignee: 'carol' });
      expect(codeOf(await undefer('m-8', alice))).toBe('FORBIDDEN');
      const task = await harness.graphql<{ task: TaskNode }>('{ task(id: "m-8") { deferred } }', {}, carol);
      expect(task.data!.task.deferred).toBe(true);
      expect((await undefer('m-8', carol)).data?.undeferTask).toEqual({ deferred: false });

      await harness.createTask('m-9', { candidateGroups: ['sales'] });
      expect((await defer('m-9', alice)).data?.deferTask).toEqual({ deferred: true, assignee: null });
      expect((await undefer('m-9', carol)).data?.undeferTask).toEqual({ deferred: false });
      // A user who may not claim it does not see it either.
      expect(codeOf(await defer('m-9', bob))).toBe('NOT_FOUND');
    });

    it('answers BAD_USER_INPUT for malformed arguments', async () => {
      const date = await harness.graphql(
        'mutation($d: DateTime!) { deferTask(id: "s-1", followUpDate: $d) { id } }',
        { d: 'tomorrow' },
        alice,
      );
      expect(codeOf(date)).toBe('BAD_USER_INPUT');
      await harness.graphql('mutation { claimTask(id: "s-1") { id } }', {}, alice);
      const variables = await harness.graphql(
        'mutation { completeTask(id: "s-1", variables: [1]) { id } }',
        {},
        alice,
      );
      expect(codeOf(variables)).toBe('BAD_USER_INPUT');
      expect(variables.errors?.[0].message).toMatch(/variables: must be a JSON object/);
    });

    it('maps a rejection of the core: a task the engine deleted meanwhile is a CONFLICT', async () => {
      await harness.createTask('m-5', { candidateGroups: ['sales'] });
      racing.type = 'ClaimTask';
      racing.run = () => harness.dispatch({ type: 'DeleteTask', data: { id: 'm-5' } });
      const answer = await harness.graphql('mutation { claimTask(id: "m-5") { id } }', {}, alice);
      expect(codeOf(answer)).toBe('CONFLICT');
      expect(answer.errors?.[0].extensions?.reason).toBe('TASK_CLOSED');
    });

    it('answers TIMEOUT when the view does not reflect the command in time', async () => {
      await harness.createTask('m-4', { candidateGroups: ['sales'] });
      lagging.type = 'ClaimTask';
      const answer = await harness.graphql('mutation { claimTask(id: "m-4") { id } }', {}, alice);
      expect(codeOf(answer)).toBe('TIMEOUT');
      expect(answer.errors?.[0].extensions?.commandId).toEqual(expect.any(String));
    });

    it('starts a process the user may start and answers FORBIDDEN for one reserved to others', async () => {
      await harness.dispatch(registerProcess('vacation'));
      await harness.dispatch(registerProcess('payroll', { candidateStarterGroups: ['hr'] }));
      await harness.settle();
      const startable = await harness.graphql(
        '{ startableProcesses { key name startableFromTasklist } }',
        {},
        alice,
      );
      expect(startable.data).toEqual({
        startableProcesses: [{ key: 'vacation', name: 'Process vacation', startableFromTasklist: true }],
      });
      const answer = await harness.graphql(
        'mutation { startProcess(processDefinitionKey: "vacation", variables: { days: 3 }) { processInstanceId processDefinitionKey } }',
        {},
        alice,
      );
      expect(answer.data).toEqual({
        startProcess: { processInstanceId: expect.any(String), processDefinitionKey: 'vacation' },
      });
      expect(started.at(-1)).toEqual({
        definitionKey: 'vacation',
        startUserId: 'alice',
        variables: { days: 3 },
      });
      const forbidden = await harness.graphql(
        'mutation { startProcess(processDefinitionKey: "payroll") { processInstanceId } }',
        {},
        alice,
      );
      expect(codeOf(forbidden)).toBe('FORBIDDEN');
    });

    it('answers NOT_FOUND for starting a process that does not exist', async () => {
      const answer = await harness.graphql(
        'mutation { startProcess(processDefinitionKey: "nope") { processInstanceId } }',
        {},
        alice,
      );
      expect(codeOf(answer)).toBe('NOT_FOUND');
    });
  });

  describe('live subscriptions', () => {
    it('sends a snapshot first, then a claim by another user as UPSERTED or REMOVED for each subscriber', async () => {
      await harness.createTask('l-1', { name: 'Live one', candidateGroups: ['sales'] });
      await harness.settle();
      const ofAlice: Changes = new SubscriptionProbe(client(alice), TASK_CHANGES, {
        filter: { unassigned: true },
      });
      const allOfAlice: Changes = new SubscriptionProbe(client(alice), TASK_CHANGES, {});
      await ofAlice.until(() => ofAlice.results.length >= 1, 10_000, 'snapshot');
      await allOfAlice.until(() => allOfAlice.results.length >= 1, 10_000, 'snapshot');
      expect(changesOf(ofAlice)[0].kind).toBe('SNAPSHOT');
      expect(changesOf(ofAlice)[0].tasks.map((t) => t.id)).toContain('l-1');

      const claimed = await harness.graphql('mutation { claimTask(id: "l-1") { assignee } }', {}, carol);
      expect(claimed.data).toEqual({ claimTask: { assignee: 'carol' } });

      // Unassigned filter: the task left alice's list.
      await ofAlice.until(() => changesOf(ofAlice).some((c) => c.kind === 'REMOVED'), 10_000, 'REMOVED');
      expect(changesOf(ofAlice).slice(1)).toEqual([
        { kind: 'REMOVED', position: expect.any(String), removedIds: ['l-1'], tasks: [] },
      ]);
      // Still visible without a filter: it arrives with its new assignee.
      await allOfAlice.until(
        () => changesOf(allOfAlice).some((c) => c.kind === 'UPSERTED'),
        10_000,
        'UPSERTED',
      );
      const upserted = changesOf(allOfAlice).find((c) => c.kind === 'UPSERTED')!;
      expect(upserted.tasks).toEqual([expect.objectContaining({ id: 'l-1', assignee: 'carol' })]);
      expect(Number(upserted.position)).toBeGreaterThan(Number(changesOf(allOfAlice)[0].position));
      ofAlice.close();
      allOfAlice.close();
    });

    it('cuts the snapshot to first, still sends the changes of tasks it left out, and names a negative first', async () => {
      for (const n of [1, 2, 3])
        await harness.createTask(`cut-${n}`, { name: `Cut ${n}`, candidateGroups: ['cut'] });
      await harness.settle();
      const cutter = await harness.as('cutter', ['cut']);
      const first =
        'subscription($first: Int) { taskChanges(first: $first) { kind removedIds tasks { id name } } }';
      const page: Changes = new SubscriptionProbe(client(cutter), first, { first: 1 });
      const none: Changes = new SubscriptionProbe(client(cutter), first, { first: 0 });
      await page.until(() => page.results.length >= 1, 10_000, 'snapshot');
      await none.until(() => none.results.length >= 1, 10_000, 'snapshot');
      expect(changesOf(page)[0]).toMatchObject({ kind: 'SNAPSHOT', tasks: [{ id: 'cut-1' }] });
      expect(changesOf(none)[0]).toMatchObject({ kind: 'SNAPSHOT', tasks: [] });

      const claimed = await harness.graphql('mutation { claimTask(id: "cut-3") { id } }', {}, cutter);
      expect(claimed.errors).toBeUndefined();
      for (const probe of [page, none]) {
        await probe.until(() => probe.results.length >= 2, 10_000, 'UPSERTED');
        expect(changesOf(probe)[1]).toMatchObject({ kind: 'UPSERTED', tasks: [{ id: 'cut-3' }] });
      }
      page.close();
      none.close();

      const negative: Changes = new SubscriptionProbe(client(cutter), first, { first: -1 });
      await negative.until(() => negative.results.length > 0 || negative.error !== null, 10_000, 'an error');
      const errors = negative.results[0]?.errors ?? (negative.error as GraphqlErrors);
      expect(errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
      negative.close();
    });

    it('never pushes a change of a task the subscriber may not see', async () => {
      const ofBob: Changes = new SubscriptionProbe(client(bob), TASK_CHANGES, {});
      await ofBob.until(() => ofBob.results.length >= 1);
      await harness.createTask('l-sales', { candidateGroups: ['sales'] });
      await harness.createTask('l-support', { candidateGroups: ['support'] });
      await ofBob.until(() => changesOf(ofBob).some((c) => c.kind === 'UPSERTED'));
      await harness.settle();
      expect(
        changesOf(ofBob)
          .slice(1)
          .flatMap((c) => c.tasks.map((t) => t.id)),
      ).toEqual(['l-support']);
      ofBob.close();
    });

    it('pushes only the correlations and joined data entries the subscriber may see', async () => {
      const query = `subscription { taskChanges(filter: { text: "Ship order" }) {
        kind tasks { id correlations { entryId } dataEntries { id } } } }`;
      type Correlated = SubscriptionProbe<{
        taskChanges: {
          kind: string;
          tasks: { id: string; correlations: { entryId: string }[]; dataEntries: { id: string }[] }[];
        };
      }>;
      const ofAlice: Correlated = new SubscriptionProbe(client(alice), query);
      await ofAlice.until(() => ofAlice.results.length >= 1, 10_000, 'snapshot');
      await harness.dispatch({ type: 'UpdateTaskAttributes', data: { id: 'j-1', priority: 7 } });
      await ofAlice.until(() => ofAlice.results.length >= 2, 10_000, 'UPSERTED');
      const pushed = ofAlice.results.map((r) => r.data!.taskChanges);
      expect(pushed.map((c) => c.kind)).toEqual(['SNAPSHOT', 'UPSERTED']);
      for (const change of pushed) {
        expect(change.tasks).toEqual([
          { id: 'j-1', correlations: [{ entryId: 'O-1' }], dataEntries: [{ id: 'order#O-1' }] },
        ]);
      }
      ofAlice.close();
    });

    it('a snapshot taken during a burst of writes, followed by the stream, equals a fresh query at the end', async () => {
      const ids = Array.from({ length: 60 }, (_, i) => `burst-${i}`);
      const write = async (i: number) => {
        const id = ids[i];
        await harness.createTask(id, { candidateGroups: ['sales'], priority: i }, { wait: false });
        if (i % 3 === 0) await harness.dispatch({ type: 'AssignTask', data: { id, assignee: 'dave' } });
        if (i % 7 === 0)
          await harness.dispatch({ type: 'DeleteCandidateGroups', data: { id, groups: ['sales'] } });
        if (i % 5 === 0 && i >= 10) await harness.dispatch({ type: 'DeleteTask', data: { id: ids[i - 5] } });
      };
      let next = 0;
      for (; next < 20; next++) await write(next);
      await harness.settle();
      // Between every two snapshot pages, writes land in the part already read: a task created with
      // an early createTime (it sorts into page 1), a page-1 task deleted and another changed.
      const findTasks = harness.viewStore.findTasks.bind(harness.viewStore);
      let writesBetweenPages = 0;
      const spy = jest.spyOn(harness.viewStore, 'findTasks').mockImplementation(async (query) => {
        if (query.after && query.filter?.text === 'burst' && writesBetweenPages < 3) {
          const n = writesBetweenPages++;
          await harness.createTask(
            `burst-early-${n}`,
            { candidateGroups: ['sales'], createTime: `2000-01-01T00:00:0${n}Z` },
            { wait: false },
          );
          await harness.dispatch({ type: 'DeleteTask', data: { id: ids[1 + n] } });
          await harness.dispatch({
            type: 'UpdateTaskAttributes',
            data: { id: ids[6 + n], priority: 1000 + n },
          });
        }
        return findTasks(query);
      });
      const probe: Changes = new SubscriptionProbe(client(alice), TASK_CHANGES, {
        filter: { text: 'burst' },
      });
      // And the burst goes on while the snapshot is read and sent.
      const writes = (async () => {
        await probe.until(() => writesBetweenPages > 0, 10_000, 'a second snapshot page');
        while (next < ids.length) {
          await write(next++);
          if (next % 4 === 0) await new Promise((r) => setImmediate(r));
        }
      })().finally(() => spy.mockRestore());
      await writes;
      await harness.settle();
      const fresh = await harness.graphql<{ tasks: { nodes: TaskNode[] } }>(
        `{ tasks(filter: { text: "burst" }, first: 100) { nodes { ${TASK_FIELDS} } } }`,
        {},
        alice,
      );
      const expected = new Map(fresh.data!.tasks.nodes.map((t) => [t.id, t]));
      const head = await harness.eventStore.headPosition();
      // Every change up to the head has been pushed once the last position shows up (or nothing changed).
      await probe.until(
        () => {
          const changes = changesOf(probe);
          if (changes.length === 0) return false;
          const list = replay(changes);
          return (
            list.size === expected.size &&
            [...expected.keys()].every((id) => list.get(id)?.version === expected.get(id)!.version)
          );
        },
        15_000,
        'the live list to equal the query',
      );
      expect(replay(changesOf(probe))).toEqual(expected);
      const changes = changesOf(probe);
      expect(changes[0].kind).toBe('SNAPSHOT');
      expect(writesBetweenPages).toBeGreaterThan(0);
      expect(changes.filter((c) => c.kind === 'SNAPSHOT')).toHaveLength(1);
      // In order, and nothing doubled: a task never arrives with a version the subscriber already had.
      const positions = changes.map((c) => Number(c.position));
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
      const held = new Map<string, number>();
      for (const change of changes) {
        for (const t of change.tasks) {
          expect(t.version).toBeGreaterThan(held.get(t.id) ?? -1);
          held.set(t.id, t.version);
        }
        for (const id of change.removedIds) {
          expect(held.has(id)).toBe(true);
          held.delete(id);
        }
      }
      expect(Number(positions.at(-1))).toBeLessThanOrEqual(head);
      probe.close();
    });

    it('pushes data entry changes to the users they are authorised for, and REMOVED when that ends', async () => {
      const query = `subscription { dataEntryChanges(filter: { entryType: "ticket" }) {
        kind position removedIds dataEntries { id name tasks { id } } } }`;
      type EntryChanges = SubscriptionProbe<{
        dataEntryChanges: { kind: string; removedIds: string[]; dataEntries: { id: string; name: string }[] };
      }>;
      const ofBob: EntryChanges = new SubscriptionProbe(client(bob), query);
      const ofAlice: EntryChanges = new SubscriptionProbe(client(alice), query);
      await ofBob.until(() => ofBob.results.length >= 1);
      await ofAlice.until(() => ofAlice.results.length >= 1);
      const entry = (authorizations: { kind: string; principal: string }[], name = 'Printer broken') =>
        harness.dispatch({
          type: 'CreateOrUpdateDataEntry',
          data: {
            entryType: 'ticket',
            entryId: 'T-1',
            type: 'Ticket',
            name,
            applicationName: 'desk',
            authorizations,
          },
        } as never);
      await entry([{ kind: 'ADD_GROUP', principal: 'support' }]);
      await entry([{ kind: 'REMOVE_GROUP', principal: 'support' }], 'Printer fixed');
      await ofBob.until(() => ofBob.results.length >= 3, 10_000, 'UPSERTED and REMOVED');
      expect(ofBob.results.map((r) => r.data!.dataEntryChanges)).toEqual([
        { kind: 'SNAPSHOT', position: expect.any(String), removedIds: [], dataEntries: [] },
        {
          kind: 'UPSERTED',
          position: expect.any(String),
          removedIds: [],
          dataEntries: [{ id: 'ticket#T-1', name: 'Printer broken', tasks: [] }],
        },
        { kind: 'REMOVED', position: expect.any(String), removedIds: ['ticket#T-1'], dataEntries: [] },
      ]);
      await harness.settle();
      expect(ofAlice.results).toHaveLength(1);
      ofBob.close();
      ofAlice.close();
    });

    it('refuses more subscriptions than a connection may hold', async () => {
      const c = client(alice);
      const probes: Changes[] = [0, 1, 2, 3].map(() => new SubscriptionProbe(c, TASK_CHANGES, {}));
      await probes[3].until(() => probes[3].error !== null);
      expect((probes[3].error as { extensions?: { code?: string } }[])[0].extensions?.code).toBe(
        'TOO_MANY_SUBSCRIPTIONS',
      );
      for (const p of probes.slice(0, 3)) await p.until(() => p.results.length >= 1);
      probes.forEach((p) => p.close());
    });
  });

  describe('socket authentication', () => {
    const closeOf = (headers: Record<string, unknown>, messages: unknown[] = []) =>
      new Promise<{ code: number; reason: string }>((resolve, reject) => {
        const socket = new WebSocket(harness.wsUrl, 'graphql-transport-ws');
        socket.on('open', () => {
          socket.send(JSON.stringify({ type: 'connection_init', payload: headers }));
          for (const m of messages) socket.send(typeof m === 'string' ? m : JSON.stringify(m));
        });
        socket.on('close', (code, reason) => resolve({ code, reason: String(reason) }));
        socket.on('error', reject);
      });

    /** An acknowledged graphql-ws connection. */
    const openSocket = (headers: Record<string, unknown>) =>
      new Promise<WebSocket>((resolve, reject) => {
        const socket = new WebSocket(harness.wsUrl, 'graphql-transport-ws');
        socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: headers })));
        socket.on('message', (data) => {
          if (JSON.parse(String(data)).type === 'connection_ack') resolve(socket);
        });
        socket.on('close', (code) => reject(new Error(`closed with ${code}`)));
        socket.on('error', reject);
      });

    it('closes a connection without valid credentials with 4401', async () => {
      expect((await closeOf({})).code).toBe(CLOSE_UNAUTHORIZED);
      expect((await closeOf({ Authorization: 'Bearer not-a-token' })).code).toBe(CLOSE_UNAUTHORIZED);
      expect((await closeOf({ 'x-user': 'mallory' })).code).toBe(CLOSE_UNAUTHORIZED);
    });

    it('closes a connection with 4401 when its token expires', async () => {
      const token = await harness.token('alice', ['sales'], 2);
      const c = client({ Authorization: `Bearer ${token}` });
      const closed = new Promise<{ code: number; reason: string }>((resolve) =>
        c.on('closed', (event) => resolve(event as { code: number; reason: string })),
      );
      const probe: Changes = new SubscriptionProbe(c, TASK_CHANGES, {});
      await probe.until(() => probe.results.length >= 1);
      expect(await closed).toMatchObject({ code: CLOSE_UNAUTHORIZED, reason: 'Unauthorized: token expired' });
    });

    it('refuses a token without exp or living too long, over HTTP and graphql-ws alike', async () => {
      const now = Math.floor(Date.now() / 1000);
      const signed = (exp?: number) => {
        const jwt = new SignJWT({ groups: ['sales'] })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('alice')
          .setIssuer(HARNESS_JWT_ISSUER)
          .setAudience(HARNESS_JWT_AUDIENCE)
          .setIssuedAt(now);
        return (exp === undefined ? jwt : jwt.setExpirationTime(exp)).sign(
          new TextEncoder().encode(HARNESS_JWT_SECRET),
        );
      };
      for (const [token, why] of [
        [await signed(), /no exp claim/],
        [await signed(now + 25 * 3600), /longer than the allowed 86400 s/],
      ] as const) {
        const headers = { Authorization: `Bearer ${token}` };
        const answer = await harness.graphql('{ me { id } }', {}, headers);
        expect(answer.status).toBe(401);
        expect(codeOf(answer)).toBe('UNAUTHENTICATED');
        expect(answer.errors?.[0].message).toMatch(why);
        const close = await closeOf(headers);
        expect(close.code).toBe(CLOSE_UNAUTHORIZED);
        expect(close.reason).toMatch(why);
      }
    });

    it('refuses a user more connections than the limit with 4429, and takes one again after a close', async () => {
      const dave = await harness.as('dave', ['sales']);
      const sockets = await Promise.all(Array.from({ length: 8 }, () => openSocket(dave)));
      expect((await closeOf(dave)).code).toBe(CLOSE_TOO_MANY_CONNECTIONS);
      await new Promise<void>((resolve) => {
        sockets[0].once('close', () => resolve());
        sockets[0].close();
      });
      const again = await openSocket(dave);
      for (const s of [again, ...sockets.slice(1)]) s.close();
    });

    it('closes a connection that sends a message above the payload limit', async () => {
      const close = await closeOf(alice, [
        { id: '1', type: 'subscribe', payload: { query: `{ me { id } } # ${'x'.repeat(20_000)}` } },
      ]);
      expect(close.code).toBe(1009);
    });
  });
});

describe('tasklist API in development identity mode', () => {
  let harness: TasklistHarness;
  beforeAll(async () => {
    harness = await TasklistHarness.start({ authMode: 'dev' });
    await harness.createTask('d-1', { candidateGroups: ['ops'] });
    await harness.settle();
  });
  afterAll(async () => harness?.close());

  it('names the user with x-user and x-groups over HTTP and in connection_init', async () => {
    const answer = await harness.graphql(
      '{ me { id groups } tasks { nodes { id } } }',
      {},
      {
        'x-user': 'olga',
        'x-groups': 'ops, audit',
      },
    );
    expect(answer.data).toEqual({
      me: { id: 'olga', groups: ['ops', 'audit'] },
      tasks: { nodes: [{ id: 'd-1' }] },
    });
    const c = harness.client({ 'x-user': 'olga', 'x-groups': 'ops' });
    const probe: Changes = new SubscriptionProbe(c, TASK_CHANGES, {});
    await probe.until(() => probe.results.length >= 1);
    expect(changesOf(probe)[0].tasks.map((t) => t.id)).toEqual(['d-1']);
    probe.close();
    await c.dispose();
  });
});
