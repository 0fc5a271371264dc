import fc from 'fast-check';
import { describe, expect, it } from '@jest/globals';
import { mongoTestDatabases } from '@eddy/testing/mongo-test-databases';
import { aDataEntry, aTask } from '@eddy/testing/view-store.contract';
import { MemoryViewStore } from '../memory/memory.view-store';
import {
  type DataEntryFilter,
  type DataEntrySort,
  LIVE_COPY,
  type PayloadCondition,
  type TaskFilter,
  type TaskSort,
  type Viewer,
  type ViewStore,
} from '../view-store.port';
import { MongoViewStore } from './mongo.view-store';

// Random tasks and data entries, random viewers, filters, sorts and pages: the memory store and the
// MongoDB store (here mongo-java-server, or a real MongoDB through EDDY_TEST_MONGO_URL) must give
// the same pages and totals, free-text search and its ranking included.

const { client, fresh } = mongoTestDatabases('eddy_diff');

const NOW = new Date('2026-06-01T00:00:00.000Z');
const users = ['ann', 'bob', 'cid'];
const groups = ['g1', 'g2', 'g3', 'g4'];
const user = fc.constantFrom(...users);
const someUsers = fc.uniqueArray(user, { maxLength: 2 });
const someGroups = fc.uniqueArray(fc.constantFrom(...groups), { maxLength: 3 });
// Viewers who may start some processes see those processes' tasks without assignee and candidates.
const viewer: fc.Arbitrary<Viewer> = fc.record(
  {
    userId: user,
    groups: someGroups,
    startableProcesses: fc.uniqueArray(fc.constantFrom('order', 'claim'), { maxLength: 2 }),
  },
  { requiredKeys: ['userId', 'groups'] },
);
const time = fc.constantFrom(
  '2026-01-01T00:00:00.000Z',
  '2026-03-15T12:30:00.000Z',
  '2026-05-31T23:59:59.999Z',
  '2026-06-01T00:00:00.001Z',
  '2027-01-01T00:00:00.000Z',
);
const word = fc.constantFrom(
  'alpha',
  'Beta',
  'gamma',
  'delta',
  'ALPHA beta',
  'x',
  'Älpha Bétà-2',
  'gammaray',
);
// Free-text search reads these payload fields too, in both stores.
const search = { payloadFields: ['customer.city', 'tier'] };
const searchText = fc.constantFrom('alp', 'beta al', 'ÄLPHA', 'gamma', 'x', 'zzz', 'a', 'b 2', 'ham');
const scalar = fc.constantFrom<unknown>('a', 'b', 'B', 1, 2, 2.5, '1', true, false, null);
const payloadValue = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
);
const payload = fc.record(
  {
    tier: payloadValue,
    amount: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constantFrom('3', null)),
    customer: fc.record(
      { city: fc.constantFrom('Hamburg', 'Berlin', 'hamburg'), vip: fc.boolean() },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);
const condition: fc.Arbitrary<PayloadCondition> = fc.oneof(
  fc.record({
    path: fc.constantFrom('tier', 'amount', 'customer.city', 'customer.vip', 'missing.path', 'items.sku'),
    op: fc.constantFrom('EQ' as const, 'NE' as const),
    value: scalar,
  }),
  fc.record({
    path: fc.constantFrom('tier', 'amount', 'customer.city', 'items.sku'),
    op: fc.constant('IN' as const),
    value: fc.array(scalar, { minLength: 1, maxLength: 3 }),
  }),
  fc.record({
    // Not on 'tier': through arrays holding numbers mongo-java-server matches a $regex (see README).
    path: fc.constantFrom('customer.city', 'amount'),
    op: fc.constant('LIKE' as const),
    value: fc.constantFrom('a', 'HAM', 'b', ''),
  }),
  fc.record({
    path: fc.constantFrom('tier', 'amount'),
    op: fc.constantFrom('LT' as const, 'LTE' as const, 'GT' as const, 'GTE' as const),
    value: fc.constantFrom<number | string>(1, 2, 3, '1', 'b'),
  }),
);
const task = fc.record({
  name: word,
  description: fc.option(word, { nil: null }),
  businessKey: fc.option(word, { nil: null }),
  priority: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
  createTime: time,
  dueDate: fc.option(time, { nil: null }),
  followUpDate: fc.option(time, { nil: null }),
  assignee: fc.option(user, { nil: null }),
  candidateUsers: someUsers,
  candidateGroups: someGroups,
  applicationName: fc.constantFrom('shop', 'billing'),
  processDefinitionKey: fc.option(fc.constantFrom('order', 'claim'), { nil: null }),
  taskDefinitionKey: fc.constantFrom('approve', 'pay'),
  payload,
  correlations: fc.uniqueArray(
    fc.constantFrom({ entryType: 'order', entryId: 'o1' }, { entryType: 'order', entryId: 'o2' }),
    { maxLength: 2, selector: (c) => c.entryId },
  ),
});
const taskFilter: fc.Arbitrary<TaskFilter> = someOf(
  fc.record({
    assignedToMe: fc.boolean(),
    unassigned: fc.boolean(),
    includeDeferred: fc.boolean(),
    text: fc.constantFrom('alp', 'BETA', 'x', 'zzz'),
    applicationName: fc.constantFrom('shop', 'billing'),
    taskDefinitionKey: fc.constantFrom('approve', 'pay'),
    candidateGroup: fc.constantFrom(...groups),
    priorityMin: fc.integer({ min: 0, max: 3 }),
    priorityMax: fc.integer({ min: 0, max: 3 }),
    dueBefore: time,
    dueAfter: time,
    followUpBefore: time,
    createdAfter: time,
    payload: fc.array(condition, { minLength: 1, maxLength: 2 }),
    correlatedTo: fc.constantFrom(
      { entryType: 'order', entryId: 'o1' },
      { entryType: 'order', entryId: 'o2' },
    ),
    search: searchText,
  }),
  3,
);
const taskSort: fc.Arbitrary<TaskSort[]> = fc.uniqueArray(
  fc.record({
    field: fc.constantFrom(
      'CREATE_TIME' as const,
      'DUE_DATE' as const,
      'FOLLOW_UP_DATE' as const,
      'PRIORITY' as const,
      'NAME' as const,
    ),
    direction: fc.constantFrom('ASC' as const, 'DESC' as const),
  }),
  { maxLength: 2, selector: (s) => s.field },
);
const entry = fc.record({
  entryType: fc.constantFrom('order', 'invoice'),
  name: word,
  description: fc.option(word, { nil: null }),
  lastModified: time,
  state: fc.record({
    processingType: fc.constantFrom('IN_PROGRESS' as const, 'COMPLETED' as const),
    state: fc.option(fc.constantFrom('open', 'done'), { nil: null }),
  }),
  authorizedUsers: someUsers,
  authorizedGroups: someGroups,
  payload,
});
const entryFilter: fc.Arbitrary<DataEntryFilter> = someOf(
  fc.record({
    entryType: fc.constantFrom('order', 'invoice'),
    processingType: fc.constantFrom('IN_PROGRESS' as const, 'COMPLETED' as const),
    state: fc.constantFrom('open', 'done'),
    text: fc.constantFrom('alp', 'BETA', 'o1'),
    payload: fc.array(condition, { minLength: 1, maxLength: 2 }),
    search: fc.constantFrom('alp', 'o1', 'beta', 'ham', 'o'),
  }),
  2,
);
const entrySort: fc.Arbitrary<DataEntrySort[]> = fc.uniqueArray(
  fc.record({
    field: fc.constantFrom('NAME' as const, 'LAST_MODIFIED' as const, 'ENTRY_TYPE' as const),
    direction: fc.constantFrom('ASC' as const, 'DESC' as const),
  }),
  { maxLength: 2, selector: (s) => s.field },
);

/** Up to `most` of the fields of a record: filters with few conditions, which still match something. */
function someOf<T extends object>(record: fc.Arbitrary<T>, most: number): fc.Arbitrary<Partial<T>> {
  return fc.tuple(record, fc.array(fc.nat(30), { maxLength: most })).map(([full, picks]) => {
    const keys = Object.keys(full) as (keyof T)[];
    const chosen: Partial<T> = {};
    for (const p of picks) chosen[keys[p % keys.length]] = full[keys[p % keys.length]];
    return chosen as T;
  });
}

/** Every page of a query, following the cursors, with the totals. */
async function allPages<T extends { id: string }>(
  read: (after: string | null) => Promise<{
    nodes: T[];
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  }>,
): Promise<{ pages: string[][]; totals: number[] }> {
  const pages: string[][] = [];
  const totals: number[] = [];
  let after: string | null = null;
  for (let i = 0; i < 50; i++) {
    const page = await read(after);
    pages.push(page.nodes.map((n) => n.id));
    totals.push(page.totalCount);
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  return { pages, totals };
}

describe('memory and MongoDB view stores (differential property)', () => {
  it('give the same pages and totals for random views, viewers, filters, sorts and page sizes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(task, { minLength: 1, maxLength: 30 }),
        fc.array(entry, { maxLength: 15 }),
        fc.array(
          fc.record({ viewer, filter: taskFilter, sort: taskSort, first: fc.integer({ min: 1, max: 7 }) }),
          { minLength: 1, maxLength: 6 },
        ),
        fc.array(
          fc.record({ viewer, filter: entryFilter, sort: entrySort, first: fc.integer({ min: 1, max: 7 }) }),
          { maxLength: 4 },
        ),
        // Searches ranked by relevance (no sort), with other conditions.
        fc.array(
          fc.record({
            viewer,
            filter: taskFilter,
            search: searchText,
            first: fc.integer({ min: 1, max: 7 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        async (tasks, entries, taskQueries, entryQueries, searches) => {
          const database = fresh();
          const mongo = await MongoViewStore.open({ client, database, search });
          const memory = new MemoryViewStore({ search });
          try {
            const stores: ViewStore[] = [memory, mongo];
            const taskDocs = tasks.map((t, i) =>
              aTask(`t${String(i).padStart(2, '0')}`, { ...t, position: i + 1 }),
            );
            const entryDocs = entries.map((e, i) =>
              aDataEntry(`o${i}`, { ...e, id: `${e.entryType}#o${i}`, entryId: `o${i}`, position: i + 1 }),
            );
            for (const store of stores) {
              await store.commit(
                { view: 'tasks', copy: LIVE_COPY },
                { writes: taskDocs.map((d) => ({ kind: 'upsert', id: d.id, document: d })), checkpoint: 1 },
              );
              await store.commit(
                { view: 'data-entries', copy: LIVE_COPY },
                { writes: entryDocs.map((d) => ({ kind: 'upsert', id: d.id, document: d })), checkpoint: 1 },
              );
            }
            for (const q of taskQueries) {
              const [a, b] = await Promise.all(
                stores.map((s) => allPages((after) => s.findTasks({ ...q, after, now: NOW }))),
              );
              expect({ query: q, ...b }).toEqual({ query: q, ...a });
              // A count is the list's total, in both stores.
              const [countA, countB] = await Promise.all(stores.map((s) => s.taskCount({ ...q, now: NOW })));
              expect({ query: q, count: countB }).toEqual({ query: q, count: a.totals[0] });
              expect(countA).toBe(a.totals[0]);
            }
            for (const { search: text, filter, ...q } of searches) {
              const query = { ...q, filter: { ...filter, search: text } };
              const [a, b] = await Promise.all(
                stores.map((s) => allPages((after) => s.findTasks({ ...query, after, now: NOW }))),
              );
              expect({ query, ...b }).toEqual({ query, ...a });
            }
            for (const q of entryQueries) {
              const [a, b] = await Promise.all(
                stores.map((s) => allPages((after) => s.findDataEntries({ ...q, after }))),
              );
              expect({ query: q, ...b }).toEqual({ query: q, ...a });
            }
            const v = taskQueries[0].viewer;
            expect(await mongo.taskCountByApplication(v, NOW)).toEqual(
              await memory.taskCountByApplication(v, NOW),
            );
            expect(
              (await mongo.tasksCorrelatedTo(['order#o1', 'order#o2'], v)).map((l) => l.map((t) => t.id)),
            ).toEqual(
              (await memory.tasksCorrelatedTo(['order#o1', 'order#o2'], v)).map((l) => l.map((t) => t.id)),
            );
          } finally {
            await mongo.close();
            await memory.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 300_000);
});
