import {
  ChangeFeedPositionUnavailableError,
  type DataEntryView,
  LIVE_COPY,
  type ProcessDefinitionView,
  type ProcessInstanceView,
  type TaskFilter,
  type TaskView,
  type ViewChange,
  type Viewer,
  ViewQueryError,
  type ViewStore,
  WaitForPositionTimeoutError,
} from '@eddy/projections';
import { taskStreamId } from '@eddy/contracts';
import { MemoryEventStore } from '@eddy/eventstore';
import { ProjectionWorker, tasksProjection } from '@eddy/projections';
import { afterEach, describe, expect, it } from '@jest/globals';
import { applyEvents, liveDocuments } from './projection-specification';

/** How the contract suite gets stores of the adapter under test. */
export interface ViewStoreContractFactory {
  /** A fresh, empty store; `changeHistoryPerView` bounds the change feed's history where the adapter can. */
  create(options?: { changeHistoryPerView?: number }): Promise<ViewStore>;
  /** False for adapters whose feed history cannot be bounded for a test (MongoDB's oplog). Default true. */
  boundedHistory?: boolean;
}

const NOW = new Date('2026-06-01T12:00:00.000Z');

export function aTask(id: string, overrides: Partial<TaskView> = {}): TaskView {
  return {
    id,
    name: `Task ${id}`,
    description: null,
    taskDefinitionKey: 'approve',
    formKey: null,
    priority: 50,
    createTime: '2026-01-01T10:00:00.000Z',
    dueDate: null,
    followUpDate: null,
    assignee: null,
    owner: null,
    candidateUsers: [],
    candidateGroups: ['clerks'],
    businessKey: null,
    applicationName: 'shop',
    processName: 'Order approval',
    processDefinitionKey: 'order',
    processInstanceId: 'pi-1',
    tenantId: null,
    sourceReference: {
      type: 'process',
      instanceId: 'pi-1',
      definitionId: 'order:1',
      definitionKey: 'order',
      name: 'Order approval',
      applicationName: 'shop',
    },
    payload: {},
    correlations: [],
    toBeCompleted: false,
    version: 0,
    position: 1,
    ...overrides,
  };
}

export function aDataEntry(entryId: string, overrides: Partial<DataEntryView> = {}): DataEntryView {
  const entryType = overrides.entryType ?? 'order';
  return {
    id: `${entryType}#${entryId}`,
    entryType,
    entryId,
    type: 'Order',
    name: `Order ${entryId}`,
    description: null,
    applicationName: 'shop',
    formKey: null,
    state: { processingType: 'IN_PROGRESS', state: 'open' },
    payload: {},
    correlations: [],
    protocol: [],
    authorizedUsers: [],
    authorizedGroups: ['sales'],
    lastModified: '2026-01-01T10:00:00.000Z',
    version: 0,
    position: 1,
    ...overrides,
  };
}

export function aDefinition(
  key: string,
  overrides: Partial<ProcessDefinitionView> = {},
): ProcessDefinitionView {
  return {
    key,
    id: `${key}:1`,
    version: 1,
    versionTag: null,
    name: `Process ${key}`,
    description: null,
    applicationName: 'shop',
    formKey: null,
    startableFromTasklist: true,
    candidateStarterUsers: [],
    candidateStarterGroups: [],
    streamRevision: 0,
    position: 1,
    ...overrides,
  };
}

/** A running process instance of `shop`, started by carl. */
export function aProcessInstance(
  id: string,
  overrides: Partial<ProcessInstanceView> = {},
): ProcessInstanceView {
  return {
    id: `shop/${id}`,
    processInstanceId: id,
    processDefinitionId: 'order:1',
    processDefinitionKey: 'order',
    processName: 'Order',
    applicationName: 'shop',
    tenantId: null,
    businessKey: null,
    state: 'RUNNING',
    startUserId: 'carl',
    startTime: '2026-01-01T00:00:00.000Z',
    endTime: null,
    reason: null,
    cancellationRequested: false,
    version: 0,
    position: 1,
    ...overrides,
  };
}

const clerk: Viewer = { userId: 'carl', groups: ['clerks'] };

/**
 * Collects what a change feed delivers; `until(count)` resolves once `count` changes arrived (woken by
 * the listener, not by polling), or after one second with what arrived, for the assertion to name.
 */
function collect() {
  const received: ViewChange[] = [];
  let wake: () => void = () => undefined;
  return {
    received,
    listener: {
      next: (changes: readonly ViewChange[]) => {
        received.push(...changes);
        wake();
      },
    },
    until: async (count: number): Promise<ViewChange[]> => {
      const deadline = Date.now() + 1_000;
      while (received.length < count && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, deadline - Date.now());
        });
      }
      return received;
    },
  };
}

/**
 * The behaviour every view store adapter must have: queries with authorisation, filters, sorts and
 * paging; the writer with tombstones and copies; the change feed and read-your-writes. Call it from
 * an adapter's spec: `viewStoreContract('memory', { create: async (o) => new MemoryViewStore(o) })`.
 */
export function viewStoreContract(name: string, factory: ViewStoreContractFactory): void {
  describe(`view store contract: ${name}`, () => {
    const open: ViewStore[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });
    const create = async (options?: { changeHistoryPerView?: number }) => {
      const store = await factory.create(options);
      open.push(store);
      return store;
    };
    let position = 0;
    const upsertTasks = async (store: ViewStore, tasks: TaskView[]) => {
      position = Math.max(position, await store.checkpoint('tasks'));
      const writes = tasks.map((t) => ({
        kind: 'upsert' as const,
        id: t.id,
        document: { ...t, position: ++position },
      }));
      await store.commit({ view: 'tasks', copy: LIVE_COPY }, { writes, checkpoint: position });
    };
    const upsertEntries = async (store: ViewStore, entries: DataEntryView[]) => {
      const checkpoint = (await store.checkpoint('data-entries')) + 1;
      const writes = entries.map((e) => ({ kind: 'upsert' as const, id: e.id, document: e }));
      await store.commit({ view: 'data-entries', copy: LIVE_COPY }, { writes, checkpoint });
    };
    const ids = (tasks: { id: string }[]) => tasks.map((t) => t.id);
    const findIds = async (store: ViewStore, filter: TaskFilter, viewer: Viewer = clerk) =>
      ids((await store.findTasks({ viewer, filter, now: NOW, first: 1000 })).nodes).sort();

    describe('task authorisation', () => {
      it('shows a task to its assignee, candidate users and members of candidate groups only', async () => {
        const store = await create();
        await upsertTasks(store, [
          aTask('a', { assignee: 'ann', candidateGroups: [] }),
          aTask('u', { candidateUsers: ['ann'], candidateGroups: [] }),
          aTask('g', { candidateGroups: ['clerks'] }),
          aTask('x', { candidateGroups: ['other'], candidateUsers: ['zed'], assignee: 'zed' }),
        ]);
        const ann: Viewer = { userId: 'ann', groups: [] };
        expect(await findIds(store, {}, ann)).toEqual(['a', 'u']);
        expect(await findIds(store, {}, clerk)).toEqual(['g']);
        expect(await findIds(store, {}, { userId: 'nobody', groups: ['none'] })).toEqual([]);
        expect(await store.getTask('x', ann)).toBeNull();
        expect((await store.getTask('a', ann))?.id).toBe('a');
        expect((await store.getTasks(['g', 'missing', 'x', 'a'], clerk)).map((t) => t?.id ?? null)).toEqual([
          'g',
          null,
          null,
          null,
        ]);
      });

      it('shows a task without assignee and candidates to the viewers who may start its process', async () => {
        const store = await create();
        await upsertTasks(store, [
          aTask('open', { candidateGroups: [], processDefinitionKey: 'order' }),
          aTask('other', { candidateGroups: [], processDefinitionKey: 'claim' }),
          aTask('generic', { candidateGroups: [], processDefinitionKey: null }),
          aTask('named', { candidateGroups: ['other'], processDefinitionKey: 'order' }),
        ]);
        const starter: Viewer = { userId: 'sam', groups: [], startableProcesses: ['order'] };
        expect(await findIds(store, {}, starter)).toEqual(['open']);
        expect((await store.getTask('open', starter))?.id).toBe('open');
        expect(await store.getTask('other', starter)).toBeNull();
        expect(await findIds(store, {}, { userId: 'sam', groups: [] })).toEqual([]);
        // Once someone is named on it, only they see it.
        await upsertTasks(store, [
          aTask('open', { candidateGroups: ['clerks'], processDefinitionKey: 'order', version: 2 }),
        ]);
        expect(await findIds(store, {}, starter)).toEqual([]);
        expect(await findIds(store, {}, clerk)).toEqual(['open']);
      });
    });

    describe('task filters', () => {
      const seed = async () => {
        const store = await create();
        await upsertTasks(store, [
          aTask('t1', {
            assignee: 'carl',
            name: 'Check Invoice',
            priority: 10,
            dueDate: '2026-03-01T00:00:00.000Z',
            createTime: '2026-01-01T00:00:00.000Z',
            payload: { customer: { city: 'Hamburg', tags: ['vip', 'new'] }, amount: 100 },
          }),
          aTask('t2', {
            description: 'about an INVOICE',
            priority: 80,
            applicationName: 'billing',
            processDefinitionKey: 'invoice',
            taskDefinitionKey: 'pay',
            processInstanceId: 'pi-2',
            candidateGroups: ['clerks', 'finance'],
            createTime: '2026-02-01T00:00:00.000Z',
            payload: { customer: { city: 'Berlin' }, amount: 250 },
            correlations: [{ entryType: 'order', entryId: 'o1' }],
          }),
          aTask('t3', {
            businessKey: 'BK-invoice-3',
            priority: null,
            followUpDate: '2026-12-01T00:00:00.000Z',
            createTime: '2026-03-01T00:00:00.000Z',
            payload: { amount: '300' },
          }),
          aTask('t4', {
            processName: 'Invoice review',
            followUpDate: '2026-05-01T00:00:00.000Z',
            dueDate: '2026-07-01T00:00:00.000Z',
            payload: { customer: null },
          }),
        ]);
        return store;
      };

      it('applies every TaskFilter field', async () => {
        const store = await seed();
        expect(await findIds(store, {})).toEqual(['t1', 't2', 't4']); // t3 is deferred
        expect(await findIds(store, { includeDeferred: true })).toEqual(['t1', 't2', 't3', 't4']);
        expect(await findIds(store, { assignedToMe: true })).toEqual(['t1']);
        expect(await findIds(store, { unassigned: true })).toEqual(['t2', 't4']);
        expect(await findIds(store, { text: 'invoice', includeDeferred: true })).toEqual([
          't1',
          't2',
          't3',
          't4',
        ]);
        expect(await findIds(store, { text: 'CHECK' })).toEqual(['t1']);
        expect(await findIds(store, { applicationName: 'billing' })).toEqual(['t2']);
        expect(await findIds(store, { processDefinitionKey: 'invoice' })).toEqual(['t2']);
        expect(await findIds(store, { taskDefinitionKey: 'pay' })).toEqual(['t2']);
        expect(await findIds(store, { processInstanceId: 'pi-2' })).toEqual(['t2']);
        expect(await findIds(store, { candidateGroup: 'finance' })).toEqual(['t2']);
        expect(await findIds(store, { priorityMin: 50 })).toEqual(['t2', 't4']);
        expect(await findIds(store, { priorityMax: 50 })).toEqual(['t1', 't4']);
        expect(await findIds(store, { dueBefore: '2026-04-01T00:00:00Z' })).toEqual(['t1']);
        expect(await findIds(store, { dueAfter: '2026-04-01T00:00:00Z' })).toEqual(['t4']);
        expect(
          await findIds(store, { followUpBefore: '2026-12-31T00:00:00Z', includeDeferred: true }),
        ).toEqual(['t3', 't4']);
        expect(
          await findIds(store, { followUpAfter: '2026-06-01T00:00:00Z', includeDeferred: true }),
        ).toEqual(['t3']);
        expect(await findIds(store, { createdBefore: '2026-01-15T00:00:00Z' })).toEqual(['t1', 't4']);
        expect(await findIds(store, { createdAfter: '2026-01-15T00:00:00Z', includeDeferred: true })).toEqual(
          ['t2', 't3'],
        );
        expect(await findIds(store, { correlatedTo: { entryType: 'order', entryId: 'o1' } })).toEqual(['t2']);
        expect(
          await findIds(
            store,
            { correlatedTo: { entryType: 'order', entryId: 'o1' } },
            { userId: 'x', groups: [] },
          ),
        ).toEqual([]);
      });

      it('applies payload conditions on nested paths with every operator', async () => {
        const store = await seed();
        const p = (path: string, op: string, value: unknown) =>
          findIds(store, { includeDeferred: true, payload: [{ path, op: op as 'EQ', value }] });
        expect(await p('customer.city', 'EQ', 'Hamburg')).toEqual(['t1']);
        expect(await p('customer.city', 'NE', 'Hamburg')).toEqual(['t2', 't3', 't4']);
        expect(await p('customer.tags', 'EQ', 'vip')).toEqual(['t1']);
        expect(await p('customer.city', 'EQ', null)).toEqual(['t3', 't4']);
        expect(await p('amount', 'LT', 250)).toEqual(['t1']);
        expect(await p('amount', 'LTE', 250)).toEqual(['t1', 't2']);
        expect(await p('amount', 'GT', 100)).toEqual(['t2']); // '300' is a string: no match
        expect(await p('amount', 'GTE', 100)).toEqual(['t1', 't2']);
        expect(await p('amount', 'GTE', '3')).toEqual(['t3']);
        expect(await p('customer.city', 'IN', ['Berlin', 'Paris'])).toEqual(['t2']);
        expect(await p('customer.city', 'LIKE', 'AMB')).toEqual(['t1']);
        expect(await p('customer.tags', 'LIKE', 'NE')).toEqual(['t1']);
        expect(
          await findIds(store, {
            payload: [
              { path: 'amount', op: 'GTE', value: 100 },
              { path: 'customer.city', op: 'NE', value: 'Berlin' },
            ],
          }),
        ).toEqual(['t1']);
      });

      it('follows payload paths through arrays of documents, as MongoDB does', async () => {
        const store = await create();
        await upsertTasks(store, [
          aTask('items', {
            payload: {
              items: [
                { sku: 'a', qty: 1 },
                { sku: 'b', qty: 5 },
              ],
            },
          }),
          aTask('none', { payload: { items: [] } }),
        ]);
        const p = (path: string, op: string, value: unknown) =>
          findIds(store, { payload: [{ path, op: op as 'EQ', value }] });
        expect(await p('items.sku', 'EQ', 'b')).toEqual(['items']);
        expect(await p('items.sku', 'NE', 'b')).toEqual(['none']);
        expect(await p('items.sku', 'IN', ['x', 'a'])).toEqual(['items']);
        expect(await p('items.qty', 'GT', 4)).toEqual(['items']);
        expect(await p('items.sku', 'LIKE', 'B')).toEqual(['items']);
        // An empty array holds no document whose field could be missing (mongo-java-server agrees).
        expect(await p('items.sku', 'EQ', null)).toEqual([]);
      });

      it('rejects a bad query with an error naming the field', async () => {
        const store = await seed();
        const error = async (query: Parameters<ViewStore['findTasks']>[0]) => {
          try {
            await store.findTasks(query);
          } catch (e) {
            return e;
          }
          throw new Error('expected an error');
        };
        const bad = await error({
          viewer: clerk,
          filter: { payload: [{ path: 'a..b', op: 'EQ', value: 1 }] },
        });
        expect(bad).toBeInstanceOf(ViewQueryError);
        expect((bad as ViewQueryError).field).toBe('filter.payload[0].path');
        expect(
          (
            (await error({
              viewer: clerk,
              filter: { payload: [{ path: '$where', op: 'EQ', value: 1 }] },
            })) as ViewQueryError
          ).field,
        ).toBe('filter.payload[0].path');
        expect(
          (
            (await error({
              viewer: clerk,
              filter: { payload: [{ path: 'a', op: 'IN', value: 1 }] },
            })) as ViewQueryError
          ).field,
        ).toBe('filter.payload[0].value');
        expect(((await error({ viewer: clerk, after: 'not-a-cursor' })) as ViewQueryError).field).toBe(
          'after',
        );
        expect(((await error({ viewer: clerk, first: -1 })) as ViewQueryError).field).toBe('first');
        expect(
          ((await error({ viewer: clerk, filter: { dueBefore: 'soon' } })) as ViewQueryError).field,
        ).toBe('filter.dueBefore');
      });
    });

    describe('bad input', () => {
      const fieldOf = async (query: Parameters<ViewStore['findTasks']>[0], store: ViewStore) => {
        try {
          await store.findTasks(query);
        } catch (e) {
          expect(e).toBeInstanceOf(ViewQueryError);
          return (e as ViewQueryError).field;
        }
        throw new Error('expected an error');
      };

      it('refuses payload paths with $, dots at the ends, more than 16 levels or reserved names, naming the field', async () => {
        const store = await create();
        for (const path of [
          '$where',
          'a.$gt',
          'customer.',
          '.customer',
          'a b',
          Array(17).fill('a').join('.'),
          '__proto__',
          'customer.constructor',
          'prototype.x',
        ]) {
          expect(
            await fieldOf({ viewer: clerk, filter: { payload: [{ path, op: 'EQ', value: 1 }] } }, store),
          ).toBe('filter.payload[0].path');
        }
        const sixteen = Array(16).fill('a').join('.');
        await expect(
          store.findTasks({ viewer: clerk, filter: { payload: [{ path: sixteen, op: 'EQ', value: 1 }] } }),
        ).resolves.toMatchObject({ totalCount: 0 });
      });

      it('compares operator-looking filter values literally: they cannot widen a query', async () => {
        const store = await create();
        await upsertTasks(store, [
          aTask('open', { payload: { amount: 5, customer: { city: 'Hamburg' } } }),
          aTask('hidden', { candidateGroups: ['board'], payload: { amount: 5 } }),
          aTask('literal', { payload: { amount: { $ne: null } } }),
        ]);
        const injected = { $ne: null } as unknown;
        const found = async (filter: TaskFilter) => findIds(store, filter);
        expect(await found({ payload: [{ path: 'amount', op: 'EQ', value: injected }] })).toEqual([
          'literal',
        ]);
        expect(await found({ payload: [{ path: 'customer.city', op: 'EQ', value: injected }] })).toEqual([]);
        expect(await found({ payload: [{ path: 'amount', op: 'IN', value: [injected] }] })).toEqual([
          'literal',
        ]);
        expect(await found({ payload: [{ path: 'customer.city', op: 'LIKE', value: '.*' }] })).toEqual([]);
        expect(await found({ text: '.*' })).toEqual([]);
        expect(await found({ applicationName: injected as string })).toEqual([]);
        expect(await found({ processInstanceId: { $gt: '' } as unknown as string })).toEqual([]);
        expect(await store.getTask({ $gt: '' } as unknown as string, clerk)).toBeNull();
        expect(
          await findIds(
            store,
            {},
            { userId: { $ne: null } as unknown as string, groups: [{ $gt: '' }] as never },
          ),
        ).toEqual([]);
      });

      it('stores ids with odd characters and payload keys with $ and dots safely', async () => {
        const store = await create();
        const odd = ['a.b', '$where', 'with space', 'ümlaut/ß#1', '{"$gt":""}', 'x'.repeat(500)];
        await upsertTasks(
          store,
          odd.map((id) =>
            aTask(id, { payload: { $set: { owner: 'mallory' }, 'a.b': 1, nested: { $x: [1] } } }),
          ),
        );
        expect(await findIds(store, {})).toEqual([...odd].sort());
        for (const id of odd) {
          const task = await store.getTask(id, clerk);
          expect(task?.id).toBe(id);
          expect(task?.payload).toEqual({ $set: { owner: 'mallory' }, 'a.b': 1, nested: { $x: [1] } });
        }
        expect((await store.getTask('a.b', clerk))?.assignee).toBeNull();
        expect(await findIds(store, { payload: [{ path: 'a', op: 'EQ', value: null }] })).toEqual(
          [...odd].sort(),
        );
      });
    });

    describe('task sorting and paging', () => {
      it('sorts by every field in both directions, missing values first, ties by id', async () => {
        const store = await create();
        await upsertTasks(store, [
          aTask('b', {
            name: 'beta',
            priority: 2,
            dueDate: '2026-02-01T00:00:00Z',
            createTime: '2026-01-02T00:00:00Z',
          }),
          aTask('a', { name: 'alpha', priority: null, dueDate: null, createTime: '2026-01-03T00:00:00Z' }),
          aTask('c', {
            name: 'gamma',
            priority: 2,
            dueDate: '2026-01-01T00:00:00Z',
            createTime: '2026-01-01T00:00:00Z',
          }),
          aTask('d', {
            name: 'delta',
            priority: 9,
            followUpDate: '2026-01-05T00:00:00Z',
            createTime: '2026-01-04T00:00:00Z',
          }),
        ]);
        const sorted = async (
          field: 'CREATE_TIME' | 'DUE_DATE' | 'FOLLOW_UP_DATE' | 'PRIORITY' | 'NAME',
          direction: 'ASC' | 'DESC',
        ) => ids((await store.findTasks({ viewer: clerk, sort: [{ field, direction }], now: NOW })).nodes);
        expect(await sorted('CREATE_TIME', 'ASC')).toEqual(['c', 'b', 'a', 'd']);
        expect(await sorted('CREATE_TIME', 'DESC')).toEqual(['d', 'a', 'b', 'c']);
        expect(await sorted('DUE_DATE', 'ASC')).toEqual(['a', 'd', 'c', 'b']);
        expect(await sorted('DUE_DATE', 'DESC')).toEqual(['b', 'c', 'a', 'd']);
        expect(await sorted('PRIORITY', 'ASC')).toEqual(['a', 'b', 'c', 'd']);
        expect(await sorted('PRIORITY', 'DESC')).toEqual(['d', 'b', 'c', 'a']);
        expect(await sorted('NAME', 'ASC')).toEqual(['a', 'b', 'd', 'c']);
        expect(await sorted('FOLLOW_UP_DATE', 'DESC')).toEqual(['d', 'a', 'b', 'c']);
        expect(
          ids(
            (
              await store.findTasks({
                viewer: clerk,
                sort: [
                  { field: 'PRIORITY', direction: 'DESC' },
                  { field: 'NAME', direction: 'DESC' },
                ],
                now: NOW,
              })
            ).nodes,
          ),
        ).toEqual(['d', 'c', 'b', 'a']);
      });

      it('pages with cursors: every task once, in order, with the total on every page', async () => {
        const store = await create();
        const tasks = Array.from({ length: 23 }, (_, i) =>
          aTask(`t${String(i).padStart(2, '0')}`, { priority: i % 4 }),
        );
        await upsertTasks(store, tasks);
        const seen: string[] = [];
        let after: string | null = null;
        for (;;) {
          const page: Awaited<ReturnType<ViewStore['findTasks']>> = await store.findTasks({
            viewer: clerk,
            sort: [{ field: 'PRIORITY', direction: 'DESC' }],
            first: 5,
            after,
            now: NOW,
          });
          expect(page.totalCount).toBe(23);
          seen.push(...ids(page.nodes));
          if (!page.pageInfo.hasNextPage) break;
          after = page.pageInfo.endCursor;
        }
        const expected = [...tasks]
          .sort((a, b) => b.priority! - a.priority! || (a.id < b.id ? -1 : 1))
          .map((t) => t.id);
        expect(seen).toEqual(expected);
        const empty = await store.findTasks({ viewer: clerk, first: 0, now: NOW });
        expect(empty.nodes).toEqual([]);
        expect(empty.totalCount).toBe(23);
        expect(empty.position).toBeGreaterThan(0);
      });

      it('counts open, non-deferred visible tasks per application', async () => {
        const store = await create();
        await upsertTasks(store, [
          aTask('1', { applicationName: 'shop' }),
          aTask('2', { applicationName: 'shop' }),
          aTask('3', { applicationName: 'billing' }),
          aTask('4', { applicationName: 'billing', followUpDate: '2030-01-01T00:00:00Z' }),
          aTask('5', { applicationName: 'hr', candidateGroups: ['hr'] }),
        ]);
        expect(await store.taskCountByApplication(clerk, NOW)).toEqual([
          { applicationName: 'billing', count: 1 },
          { applicationName: 'shop', count: 2 },
        ]);
      });
    });

    describe('task counts', () => {
      it('counts what findTasks finds (its totalCount) for every filter, authorised like it', async () => {
        const store = await create();
        await upsertTasks(store, [
          aTask('1', { priority: 10, payload: { region: 'north' } }),
          aTask('2', { priority: 60, assignee: 'carl', payload: { region: 'south' } }),
          aTask('3', { priority: 90, followUpDate: '2030-01-01T00:00:00Z' }),
          aTask('4', { candidateGroups: ['board'], priority: 90 }),
          aTask('5', { correlations: [{ entryType: 'order', entryId: 'o1' }] }),
          aTask('6', { candidateGroups: ['board'], correlations: [{ entryType: 'order', entryId: 'o1' }] }),
        ]);
        const filters: TaskFilter[] = [
          {},
          { includeDeferred: true },
          { priorityMin: 50 },
          { priorityMin: 50, includeDeferred: true },
          { assignedToMe: true },
          { unassigned: true },
          { payload: [{ path: 'region', op: 'EQ', value: 'north' }] },
          { correlatedTo: { entryType: 'order', entryId: 'o1' } },
          { text: 'task 2' },
        ];
        for (const viewer of [clerk, { userId: 'bob', groups: ['board'] }, { userId: 'x', groups: [] }]) {
          for (const filter of filters) {
            const { totalCount } = await store.findTasks({ viewer, filter, now: NOW, first: 0 });
            expect({ filter, viewer, count: await store.taskCount({ viewer, filter, now: NOW }) }).toEqual({
              filter,
              viewer,
              count: totalCount,
            });
          }
        }
        expect(await store.taskCount({ viewer: clerk, now: NOW })).toBe(3);
        expect(await store.taskCount({ viewer: { userId: 'x', groups: [] }, now: NOW })).toBe(0);
        await expect(
          store.taskCount({ viewer: clerk, filter: { payload: [{ path: 'a..b', op: 'EQ', value: 1 }] } }),
        ).rejects.toMatchObject({ field: 'filter.payload[0].path' });
      });
    });

    describe('process instances of a user', () => {
      it('lists the instances a user started, newest first, by state, paged', async () => {
        const store = await create();
        const instances = [
          aProcessInstance('p1', { startTime: '2026-01-01T00:00:00.000Z' }),
          aProcessInstance('p2', { startTime: '2026-01-03T00:00:00.000Z', state: 'CANCELLED' }),
          aProcessInstance('p3', { startTime: '2026-01-02T00:00:00.000Z' }),
          aProcessInstance('p4', { startUserId: 'dora' }),
          aProcessInstance('p5', { startUserId: null }),
        ];
        await store.commit(
          { view: 'process-instances', copy: LIVE_COPY },
          {
            checkpoint: 1,
            writes: instances.map((i) => ({ kind: 'upsert' as const, id: i.id, document: i })),
          },
        );
        const all = await store.findProcessInstances({ startedBy: 'carl' });
        expect(all.nodes.map((i) => i.processInstanceId)).toEqual(['p2', 'p3', 'p1']);
        expect(all.totalCount).toBe(3);
        const running = await store.findProcessInstances({ startedBy: 'carl', state: 'RUNNING' });
        expect(running.nodes.map((i) => i.processInstanceId)).toEqual(['p3', 'p1']);
        const first = await store.findProcessInstances({ startedBy: 'carl', first: 2 });
        expect(first.pageInfo.hasNextPage).toBe(true);
        const second = await store.findProcessInstances({
          startedBy: 'carl',
          first: 2,
          after: first.pageInfo.endCursor,
        });
        expect(second.nodes.map((i) => i.processInstanceId)).toEqual(['p1']);
        expect(second.pageInfo.hasNextPage).toBe(false);
        expect((await store.findProcessInstances({ startedBy: 'nobody' })).nodes).toEqual([]);
      });
    });

    describe('data entries and joins', () => {
      it('filters, sorts and authorises data entries', async () => {
        const store = await create();
        await upsertEntries(store, [
          aDataEntry('o1', { name: 'Bravo', lastModified: '2026-01-02T00:00:00Z', payload: { total: 5 } }),
          aDataEntry('o2', {
            name: 'alpha',
            state: { processingType: 'COMPLETED', state: 'done' },
            lastModified: '2026-01-03T00:00:00Z',
          }),
          aDataEntry('i1', {
            entryType: 'invoice',
            name: 'Charlie',
            authorizedGroups: [],
            authorizedUsers: ['carl'],
            lastModified: '2026-01-01T00:00:00Z',
          }),
          aDataEntry('s1', { entryType: 'secret', authorizedGroups: ['board'] }),
        ]);
        const viewer: Viewer = { userId: 'carl', groups: ['sales'] };
        const find = async (filter: object, sort?: object[]) =>
          ids((await store.findDataEntries({ viewer, filter, sort: sort as never })).nodes);
        expect(await find({})).toEqual(['order#o2', 'order#o1', 'invoice#i1']);
        expect(await find({}, [{ field: 'NAME', direction: 'ASC' }])).toEqual([
          'order#o1',
          'invoice#i1',
          'order#o2',
        ]);
        expect(await find({}, [{ field: 'ENTRY_TYPE', direction: 'DESC' }])).toEqual([
          'order#o1',
          'order#o2',
          'invoice#i1',
        ]);
        expect(await find({ entryType: 'invoice' })).toEqual(['invoice#i1']);
        expect(await find({ processingType: 'COMPLETED' })).toEqual(['order#o2']);
        expect(await find({ state: 'done' })).toEqual(['order#o2']);
        expect(await find({ applicationName: 'other' })).toEqual([]);
        expect(await find({ text: 'CHAR' })).toEqual(['invoice#i1']);
        expect(await find({ payload: [{ path: 'total', op: 'GT', value: 1 }] })).toEqual(['order#o1']);
        expect(await store.getDataEntry('secret#s1', viewer)).toBeNull();
        expect(
          (await store.getDataEntries(['invoice#i1', 'secret#s1', 'nope#1'], viewer)).map(
            (e) => e?.id ?? null,
          ),
        ).toEqual(['invoice#i1', null, null]);
      });

      it('joins entries to the tasks correlated to them, visible ones only', async () => {
        const store = await create();
        await upsertTasks(store, [
          aTask('t1', {
            correlations: [{ entryType: 'order', entryId: 'o1' }],
            createTime: '2026-01-02T00:00:00Z',
          }),
          aTask('t2', {
            correlations: [{ entryType: 'order', entryId: 'o1' }],
            createTime: '2026-01-01T00:00:00Z',
          }),
          aTask('t3', { correlations: [{ entryType: 'order', entryId: 'o1' }], candidateGroups: ['other'] }),
        ]);
        const joined = await store.tasksCorrelatedTo(['order#o1', 'order#o2'], clerk);
        expect(joined.map(ids)).toEqual([['t2', 't1'], []]);
      });
    });

    describe('process definitions', () => {
      it('lists startable definitions: no candidate starters means everybody', async () => {
        const store = await create();
        await store.commit(
          { view: 'process-definitions', copy: LIVE_COPY },
          {
            checkpoint: 1,
            writes: [
              aDefinition('open'),
              aDefinition('hidden', { startableFromTasklist: false }),
              aDefinition('sales', { candidateStarterGroups: ['sales'] }),
              aDefinition('carl', { candidateStarterUsers: ['carl'] }),
            ].map((d) => ({ kind: 'upsert' as const, id: d.key, document: d })),
          },
        );
        const keys = async (viewer: Viewer) => (await store.startableProcesses(viewer)).map((d) => d.key);
        expect(await keys(clerk)).toEqual(['carl', 'open']);
        expect(await keys({ userId: 'x', groups: ['sales'] })).toEqual(['open', 'sales']);
        expect((await store.getProcessDefinition('hidden'))?.key).toBe('hidden');
      });
    });

    describe('writer', () => {
      it('keeps a tombstone with the revision of a removed document and refuses to move a checkpoint back', async () => {
        const store = await create();
        const live = { view: 'tasks' as const, copy: LIVE_COPY };
        await store.commit(live, {
          writes: [{ kind: 'upsert', id: 't1', document: aTask('t1') }],
          checkpoint: 1,
        });
        await store.commit(live, {
          writes: [{ kind: 'remove', id: 't1', version: 3, position: 2 }],
          checkpoint: 2,
        });
        const loaded = await store.load(live, ['t1', 'none']);
        expect(loaded.get('t1')).toEqual({ id: 't1', removed: true, version: 3, position: 2 });
        expect(loaded.has('none')).toBe(false);
        expect(await store.getTask('t1', clerk)).toBeNull();
        await expect(store.commit(live, { writes: [], checkpoint: 1 })).rejects.toThrow();
        expect(await store.checkpoint('tasks')).toBe(2);
      });

      it('applies a write only when it is newer than the stored document or tombstone', async () => {
        const store = await create();
        const live = { view: 'tasks' as const, copy: LIVE_COPY };
        const feed = collect();
        await store.subscribe({ after: 0, views: ['tasks'] }, feed.listener);
        const at = (version: number, position: number, name = `v${version}`) =>
          aTask('t1', { version, position, name });
        await store.commit(live, {
          writes: [{ kind: 'upsert', id: 't1', document: at(5, 10) }],
          checkpoint: 10,
        });
        // Late (lower revision) and duplicate writes change nothing, even with a later checkpoint.
        await store.commit(live, {
          writes: [{ kind: 'upsert', id: 't1', document: at(3, 11) }],
          checkpoint: 11,
        });
        await store.commit(live, {
          writes: [{ kind: 'upsert', id: 't1', document: at(5, 10, 'duplicate') }],
          checkpoint: 12,
        });
        expect((await store.getTask('t1', clerk))?.name).toBe('v5');
        expect(await store.checkpoint('tasks')).toBe(12);
        // A removal at a higher revision wins; a late upsert cannot bring the task back.
        await store.commit(live, {
          writes: [{ kind: 'remove', id: 't1', version: 6, position: 13 }],
          checkpoint: 13,
        });
        await store.commit(live, {
          writes: [{ kind: 'upsert', id: 't1', document: at(5, 14) }],
          checkpoint: 14,
        });
        expect(await store.getTask('t1', clerk)).toBeNull();
        expect((await store.load(live, ['t1'])).get('t1')).toEqual({
          id: 't1',
          removed: true,
          version: 6,
          position: 13,
        });
        await store.waitForPosition(14, 5_000, ['tasks']);
        expect((await feed.until(2)).map((c) => [c.kind, c.position])).toEqual([
          ['upserted', 10],
          ['removed', 13],
        ]);
      });

      it('two projectors applying the same events at once leave the view as one would', async () => {
        const store = await create();
        const events = new MemoryEventStore();
        const ids = Array.from({ length: 12 }, (_, i) => `race-${i}`);
        const steps: ((id: string) => { type: string; data: object })[] = [
          (id) => ({ type: 'TaskCreated', data: { ...aTask(id), candidateGroups: ['clerks'] } }),
          (id) => ({ type: 'TaskClaimed', data: { id, assignee: 'ann' } }),
          (id) => ({ type: 'TaskUnclaimed', data: { id, previousAssignee: 'ann' } }),
          (id) => ({ type: 'TaskClaimed', data: { id, assignee: 'bob' } }),
        ];
        // Round-robin over the tasks, so that each task's events are spread over the log.
        for (const step of steps) {
          for (const id of ids) {
            const { type, data } = step(id);
            await events.appendToStream(taskStreamId(id), [
              {
                id: `${id}-${type}-${Math.random()}`,
                type,
                schemaVersion: 1,
                data: data as Record<string, unknown>,
                metadata: { commandId: 'c', correlationId: 'c', timestamp: '2026-01-01T00:00:00.000Z' },
              },
            ]);
          }
        }
        for (const id of ids.filter((_, i) => i % 3 === 0)) {
          await events.appendToStream(taskStreamId(id), [
            {
              id: `${id}-completed`,
              type: 'TaskCompleted',
              schemaVersion: 1,
              data: { id, assignee: 'bob' },
              metadata: { commandId: 'c', correlationId: 'c', timestamp: '2026-01-01T00:00:00.000Z' },
            },
          ]);
        }
        const head = await events.headPosition();
        const live = { view: 'tasks' as const, copy: LIVE_COPY };
        const versions = new Map<string, number>();
        let regressions = 0;
        await store.subscribe(
          { after: 0, views: ['tasks'] },
          {
            next: (changes) => {
              for (const c of changes) {
                const version = c.kind === 'upserted' ? c.document.version : c.last.version + 1;
                if (version < (versions.get(c.id) ?? -1)) regressions++;
                versions.set(c.id, version);
              }
            },
          },
        );
        const workers = [3, 7].map(
          (batchSize) =>
            new ProjectionWorker(tasksProjection, live, events, store, {
              batchSize,
              retry: { attempts: 2, initialDelayMs: 1, maxDelayMs: 2 },
            }),
        );
        await Promise.all(workers.map((w) => w.init()));
        const finished = await Promise.all(workers.map((w) => w.catchUpTo(head)));
        // One may be refused for a checkpoint behind the other's (VIEWSTORE-001); one finishes.
        expect(finished).toContain(true);
        for (const w of workers) if (w.failure) expect(w.failure.message).toMatch(/VIEWSTORE-001/);
        const expected = liveDocuments(
          applyEvents(tasksProjection, await events.readAll({ after: 0, maxCount: 10_000 })),
        );
        expect(await store.documents(live)).toEqual(
          [...expected.values()].sort((a, b) => (a.id < b.id ? -1 : 1)),
        );
        expect(await store.checkpoint('tasks')).toBe(head);
        await store.waitForPosition(head, 5_000, ['tasks']);
        expect(regressions).toBe(0);
        await events.close();
      });

      it('builds a fresh copy beside the live one and serves it once promoted', async () => {
        const store = await create();
        await upsertTasks(store, [aTask('old')]);
        const copy = await store.createCopy('tasks');
        const target = { view: 'tasks' as const, copy };
        await store.commit(target, {
          writes: [{ kind: 'upsert', id: 'new', document: aTask('new') }],
          checkpoint: 7,
        });
        expect(await findIds(store, {})).toEqual(['old']);
        expect(ids(await store.documents(target))).toEqual(['new']);
        await store.promoteCopy(target);
        expect(await findIds(store, {})).toEqual(['new']);
        expect(await store.checkpoint('tasks')).toBe(7);
        const other = await store.createCopy('tasks');
        await store.dropCopy({ view: 'tasks', copy: other });
        await expect(store.readCheckpoint({ view: 'tasks', copy: other })).rejects.toThrow();
      });
    });

    describe('change feed and read-your-writes', () => {
      it('delivers every change after the requested position, in position order, with the last state of removed ones', async () => {
        const store = await create();
        const live = { view: 'tasks' as const, copy: LIVE_COPY };
        await store.commit(live, {
          writes: [{ kind: 'upsert', id: 't1', document: aTask('t1', { position: 1 }) }],
          checkpoint: 1,
        });
        await store.commit(live, {
          writes: [{ kind: 'upsert', id: 't2', document: aTask('t2', { position: 2 }) }],
          checkpoint: 2,
        });
        const feed = collect();
        const subscription = await store.subscribe({ after: 1, views: ['tasks'] }, feed.listener);
        await store.commit(live, {
          writes: [
            { kind: 'upsert', id: 't3', document: aTask('t3', { position: 4 }) },
            { kind: 'remove', id: 't1', version: 1, position: 3 },
          ],
          checkpoint: 4,
        });
        const changes = await feed.until(3);
        expect(changes.map((c) => [c.kind, c.id, c.position])).toEqual([
          ['upserted', 't2', 2],
          ['removed', 't1', 3],
          ['upserted', 't3', 4],
        ]);
        const removed = changes[1];
        expect(removed.kind === 'removed' && removed.last.id).toBe('t1');
        subscription.close();
      });

      it("carries a write's trace to the change it publishes, and keeps it out of documents, loads and queries", async () => {
        const store = await create();
        const live = { view: 'tasks' as const, copy: LIVE_COPY };
        const trace = (span: string) => ({
          traceparent: `00-${'a'.repeat(32)}-${span.repeat(16)}-01`,
          correlationId: `corr-${span}`,
        });
        const feed = collect();
        await store.subscribe({ after: 0, views: ['tasks'] }, feed.listener);
        await store.commit(live, {
          writes: [
            { kind: 'upsert', id: 't1', document: aTask('t1', { position: 1 }), trace: trace('b') },
            { kind: 'upsert', id: 't2', document: aTask('t2', { position: 1 }) },
          ],
          checkpoint: 1,
        });
        await store.commit(live, {
          writes: [{ kind: 'remove', id: 't1', version: 1, position: 2, trace: trace('c') }],
          checkpoint: 2,
        });
        const changes = await feed.until(3);
        expect(changes.map((c) => [c.kind, c.id, c.trace])).toEqual([
          ['upserted', 't1', trace('b')],
          ['upserted', 't2', undefined],
          ['removed', 't1', trace('c')],
        ]);
        const removed = changes[2];
        expect(removed.kind === 'removed' && removed.last).toEqual(aTask('t1', { position: 1 }));
        expect(await store.documents(live)).toEqual([aTask('t2', { position: 1 })]);
        expect((await store.load(live, ['t2'])).get('t2')).toEqual({
          id: 't2',
          removed: false,
          document: aTask('t2', { position: 1 }),
        });
      });

      it('only delivers the views asked for', async () => {
        const store = await create();
        const feed = collect();
        await store.subscribe({ after: 0, views: ['data-entries'] }, feed.listener);
        await upsertTasks(store, [aTask('t1')]);
        await upsertEntries(store, [aDataEntry('o1')]);
        const changes = await feed.until(1);
        expect(changes.map((c) => c.view)).toEqual(['data-entries']);
      });

      if (factory.boundedHistory !== false) {
        it('refuses a position older than the history it keeps, so the caller re-reads a snapshot', async () => {
          const store = await create({ changeHistoryPerView: 3 });
          for (let i = 1; i <= 6; i++) await upsertTasks(store, [aTask(`t${i}`)]);
          const checkpoint = await store.checkpoint('tasks');
          await expect(
            store.subscribe({ after: 0, views: ['tasks'] }, collect().listener),
          ).rejects.toBeInstanceOf(ChangeFeedPositionUnavailableError);
          const feed = collect();
          await store.subscribe({ after: checkpoint - 2, views: ['tasks'] }, feed.listener);
          expect((await feed.until(2)).map((c) => c.id)).toEqual(['t5', 't6']);
        });
      }

      it('waits for a position and times out with a clear error', async () => {
        const store = await create();
        const reached = store.waitForPosition(5, 5_000, ['tasks']);
        await store.commit({ view: 'tasks', copy: LIVE_COPY }, { writes: [], checkpoint: 5 });
        await expect(reached).resolves.toBeUndefined();
        await expect(store.waitForPosition(6, 20, ['tasks'])).rejects.toBeInstanceOf(
          WaitForPositionTimeoutError,
        );
        await expect(store.waitForPosition(1, 20)).rejects.toBeInstanceOf(WaitForPositionTimeoutError); // other views at 0
      });
    });
  });
}
