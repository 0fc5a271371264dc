import { afterEach, describe, expect, it } from '@jest/globals';
import { mongoTestDatabases } from '@eddy/testing/mongo-test-databases';
import { aTask, viewStoreContract } from '@eddy/testing/view-store.contract';
import { historyViewStoreContract } from '@eddy/testing/history-view-store.contract';
import { savedFiltersViewStoreContract } from '@eddy/testing/saved-filters-view-store.contract';
import { searchViewStoreContract } from '@eddy/testing/search-view-store.contract';
import { LIVE_COPY, type Viewer } from '../view-store.port';
import { MongoViewStore } from './mongo.view-store';

// Against the MongoDB-compatible server of `npm run test:int`, or a real MongoDB when
// EDDY_TEST_MONGO_URL points at one.
const { client, fresh } = mongoTestDatabases('eddy_views');

viewStoreContract('mongodb', {
  boundedHistory: false,
  create: async () => {
    const database = fresh();
    return MongoViewStore.open({ client, database });
  },
});

historyViewStoreContract('mongodb', () => MongoViewStore.open({ client, database: fresh() }));
savedFiltersViewStoreContract('mongodb', () => MongoViewStore.open({ client, database: fresh() }));

searchViewStoreContract('mongodb', (search) => MongoViewStore.open({ client, database: fresh(), search }));

describe('MongoDB view store beyond the contract', () => {
  const open: MongoViewStore[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  const create = async () => {
    const database = fresh();
    const store = await MongoViewStore.open({ client, database });
    open.push(store);
    return store;
  };
  const live = { view: 'tasks' as const, copy: LIVE_COPY };
  const viewer: Viewer = { userId: 'carl', groups: Array.from({ length: 20 }, (_, i) => `group-${i}`) };

  it('refuses a document over MongoDB size limit with a clear error and writes nothing of the batch', async () => {
    const store = await create();
    const small = aTask('small', { candidateGroups: ['group-1'] });
    const huge = aTask('huge', {
      candidateGroups: ['group-1'],
      payload: { blob: 'x'.repeat(17 * 1024 * 1024) },
    });
    await expect(
      store.commit(live, {
        writes: [
          { kind: 'upsert', id: 'small', document: small },
          { kind: 'upsert', id: 'huge', document: huge },
        ],
        checkpoint: 1,
      }),
    ).rejects.toThrow(/^VIEWSTORE-204 view tasks document "huge" is \d+ bytes, over MongoDB's limit/);
    expect(await store.checkpoint('tasks')).toBe(0);
    expect(await store.getTasks(['small', 'huge'], viewer)).toEqual([null, null]);
  });

  it('keeps the newer of two first writes of a document that two projectors make at once', async () => {
    const database = fresh();
    const stores = [
      await MongoViewStore.open({ client, database }),
      await MongoViewStore.open({ client, database }),
    ];
    open.push(...stores);
    const ids = Array.from({ length: 16 }, (_, i) => `first-${i}`);
    await Promise.all(
      ids.map((id, i) => {
        const older = aTask(id, { version: 1, position: 2 * i + 1, assignee: 'old' });
        const newer = aTask(id, { version: 2, position: 2 * i + 2, assignee: 'new' });
        // Each store reads that nothing is stored, then writes; half the time the older one comes first.
        const [first, second] = i % 2 === 0 ? [older, newer] : [newer, older];
        return Promise.all([
          stores[0].commit(live, { writes: [{ kind: 'upsert', id, document: first }], checkpoint: 0 }),
          stores[1].commit(live, { writes: [{ kind: 'upsert', id, document: second }], checkpoint: 0 }),
        ]);
      }),
    );
    const loaded = await stores[0].load(live, ids);
    expect(
      ids.map((id) => {
        const s = loaded.get(id);
        return s && !s.removed ? s.document.assignee : null;
      }),
    ).toEqual(ids.map(() => 'new'));
  });

  it('reads the main tasklist query (20 groups, payload filter, sort) from an index, not a collection scan', async () => {
    const store = await create();
    await store.commit(live, {
      writes: Array.from({ length: 300 }, (_, i) => {
        const task = aTask(`t${i}`, {
          candidateGroups: [`group-${i % 40}`],
          payload: { region: i % 3 === 0 ? 'north' : 'south' },
          position: i + 1,
        });
        return { kind: 'upsert' as const, id: task.id, document: task };
      }),
      checkpoint: 300,
    });
    const query = {
      viewer,
      filter: { payload: [{ path: 'region', op: 'EQ' as const, value: 'north' }] },
      sort: [{ field: 'DUE_DATE' as const, direction: 'DESC' as const }],
      first: 20,
    };
    const page = await store.findTasks(query);
    const visibleNorth = Array.from({ length: 300 }, (_, i) => i).filter((i) => i % 40 < 20 && i % 3 === 0);
    expect(page.totalCount).toBe(visibleNorth.length);
    const plan = await store.explainFindTasks(query).catch((error: Error) => error);
    if (plan instanceof Error) {
      // mongo-java-server (the server of `npm run test:int`) has no explain; MongoDB has.
      expect(plan.message).toMatch(/no such command: 'explain'/);
      return;
    }
    const stages = JSON.stringify(plan.queryPlanner.winningPlan);
    expect(stages).toContain('IXSCAN');
    expect(stages).not.toContain('COLLSCAN');
  });
});
