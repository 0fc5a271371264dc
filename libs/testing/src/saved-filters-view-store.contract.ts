import { savedFilterStreamId } from '@eddy/contracts';
import { MemoryEventStore, type NewEvent } from '@eddy/eventstore';
import {
  DEFAULT_PROJECTIONS,
  LIVE_COPY,
  ProjectionRunner,
  type SavedFilterView,
  type ViewStore,
} from '@eddy/projections';
import { afterEach, describe, expect, it } from '@jest/globals';

export function aSavedFilter(id: string, overrides: Partial<SavedFilterView> = {}): SavedFilterView {
  return {
    id,
    name: `Filter ${id}`,
    owner: 'anna',
    filter: { assignedToMe: true },
    sort: [{ field: 'DUE_DATE', direction: 'ASC' }],
    sharedWithGroups: [],
    createdAt: '2026-03-01T10:00:00.000Z',
    updatedAt: '2026-03-01T10:00:00.000Z',
    version: 0,
    position: 1,
    ...overrides,
  };
}

let sequence = 0;
const draft = (type: string, data: object): NewEvent => {
  sequence += 1;
  return {
    id: `saved-filter-event-${sequence}`,
    type,
    schemaVersion: 1,
    data: data as Record<string, unknown>,
    metadata: {
      commandId: `saved-filter-command-${sequence}`,
      correlationId: 'saved-filters',
      userId: 'anna',
      timestamp: new Date(Date.UTC(2026, 2, 1) + sequence * 60_000).toISOString(),
    },
  };
};

const users = ['anna', 'bert', 'carl'];
const viewers = [
  { userId: 'anna', groups: [] },
  { userId: 'bert', groups: ['clerks'] },
  { userId: 'carl', groups: ['leads', 'clerks'] },
  { userId: 'dora', groups: ['leads'] },
];

/** Filters saved, renamed, changed, shared, unshared and deleted, for the replay test. */
async function savedFilterLog(events: MemoryEventStore): Promise<void> {
  for (let i = 0; i < 18; i++) {
    const id = `sf-${i}`;
    const stream = savedFilterStreamId(id);
    await events.appendToStream(stream, [
      draft('FilterSaved', {
        id,
        owner: users[i % 3],
        name: `Filter ${17 - i}`,
        filter: { priorityMin: i, payload: [{ path: 'region', op: 'EQ', value: 'north' }] },
        sort: i % 2 ? [{ field: 'NAME', direction: 'DESC' }] : [],
      }),
    ]);
    if (i % 3 === 0)
      await events.appendToStream(stream, [draft('FilterUpdated', { id, name: `Renamed ${i}` })]);
    if (i % 4 === 1) {
      await events.appendToStream(stream, [
        draft('FilterShared', { id, groups: i % 8 === 1 ? ['clerks'] : ['leads'] }),
      ]);
    }
    if (i % 8 === 5) await events.appendToStream(stream, [draft('FilterShared', { id, groups: [] })]);
    if (i % 5 === 2) await events.appendToStream(stream, [draft('FilterDeleted', { id })]);
    if (i % 6 === 4)
      await events.appendToStream(stream, [draft('FilterUpdated', { id, filter: { unassigned: true } })]);
  }
}

async function answers(store: ViewStore): Promise<unknown[]> {
  const result: unknown[] = [];
  for (const viewer of viewers) result.push(await store.savedFilters(viewer));
  for (let i = 0; i < 18; i++) result.push(await store.getSavedFilter(`sf-${i}`));
  return result;
}

/**
 * What every view store adapter answers from the saved-filters view: a user's own filters and those
 * shared with one of their groups, by name; one filter by id; the same answers after a replay. Called
 * from the same adapter specs as the other view store contracts.
 */
export function savedFiltersViewStoreContract(name: string, create: () => Promise<ViewStore>): void {
  describe(`view store contract, saved filters: ${name}`, () => {
    const open: ViewStore[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });
    const store = async (filters: SavedFilterView[], removed: string[] = []) => {
      const s = await create();
      open.push(s);
      await s.commit(
        { view: 'saved-filters', copy: LIVE_COPY },
        {
          writes: [
            ...filters.map((f) => ({ kind: 'upsert' as const, id: f.id, document: f })),
            ...removed.map((id) => ({ kind: 'remove' as const, id, version: 5, position: 9 })),
          ],
          checkpoint: 9,
        },
      );
      return s;
    };
    const ids = (filters: SavedFilterView[]) => filters.map((f) => f.id);

    it("lists a user's own filters and those shared with their groups, by name then id, and no one else's", async () => {
      const s = await store(
        [
          aSavedFilter('a', { name: 'Zeta' }),
          aSavedFilter('b', { name: 'Alpha' }),
          aSavedFilter('c', { name: 'Alpha', owner: 'bert' }),
          aSavedFilter('d', { name: 'Beta', owner: 'bert', sharedWithGroups: ['clerks', 'leads'] }),
          aSavedFilter('e', { name: 'Gamma', owner: 'carl', sharedWithGroups: ['admins'] }),
          aSavedFilter('gone', { name: 'Aardvark' }),
        ],
        ['gone'],
      );
      expect(ids(await s.savedFilters({ userId: 'anna', groups: [] }))).toEqual(['b', 'a']);
      expect(ids(await s.savedFilters({ userId: 'anna', groups: ['clerks'] }))).toEqual(['b', 'd', 'a']);
      expect(ids(await s.savedFilters({ userId: 'bert', groups: [] }))).toEqual(['c', 'd']);
      expect(ids(await s.savedFilters({ userId: 'dora', groups: ['leads', 'admins'] }))).toEqual(['d', 'e']);
      expect(await s.savedFilters({ userId: 'nobody', groups: ['nobodies'] })).toEqual([]);
      const found = await s.savedFilters({ userId: 'bert', groups: [] });
      expect(found[1]).toEqual(
        aSavedFilter('d', { name: 'Beta', owner: 'bert', sharedWithGroups: ['clerks', 'leads'] }),
      );
    });

    it('answers one filter by id whoever asks, and null for a deleted or unknown one', async () => {
      const s = await store([aSavedFilter('a', { owner: 'bert' })], ['gone']);
      expect(await s.getSavedFilter('a')).toEqual(aSavedFilter('a', { owner: 'bert' }));
      expect(await s.getSavedFilter('gone')).toBeNull();
      expect(await s.getSavedFilter('none')).toBeNull();
    });

    it('gives the same answers after dropping and replaying the saved-filters view, and when built from nothing', async () => {
      const events = new MemoryEventStore();
      await savedFilterLog(events);
      const head = await events.headPosition();
      const s = await create();
      open.push(s);
      const runner = new ProjectionRunner(events, s, DEFAULT_PROJECTIONS, { batchSize: 5 });
      try {
        await runner.start();
        await s.waitForPosition(head, 20_000, ['saved-filters']);
        const before = await answers(s);
        expect((before[2] as SavedFilterView[]).length).toBeGreaterThan(0);
        expect(before.slice(4).filter((f) => f === null)).toHaveLength(4);
        runner.replay('saved-filters');
        expect((await runner.replayFinished('saved-filters'))?.status).toBe('completed');
        expect(await answers(s)).toEqual(before);
        const fresh = await create();
        open.push(fresh);
        const second = new ProjectionRunner(events, fresh, DEFAULT_PROJECTIONS, { batchSize: 50 });
        await second.start();
        await fresh.waitForPosition(head, 20_000, ['saved-filters']);
        expect(await answers(fresh)).toEqual(before);
        await second.stop();
      } finally {
        await runner.stop();
      }
    });
  });
}
