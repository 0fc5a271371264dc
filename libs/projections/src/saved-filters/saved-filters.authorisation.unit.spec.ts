import fc from 'fast-check';
import { applyEvents, viewWriteOf, type SpecEvent, storedEventsOf } from '@eddy/testing';
import { describe, expect, it } from '@jest/globals';
import { MemoryViewStore } from '../memory/memory.view-store';
import { LIVE_COPY } from '../view-store.port';
import { savedFiltersProjection } from './saved-filters.projection';

const users = ['ann', 'bob', 'cid'];
const groups = ['g1', 'g2', 'g3', 'g4'];
const user = fc.constantFrom(...users);
const someGroups = fc.uniqueArray(fc.constantFrom(...groups), { maxLength: 3 });
const viewer = fc.record({ userId: user, groups: someGroups });
const step = fc.oneof(
  fc.record({ kind: fc.constant('share' as const), groups: someGroups }),
  fc.record({ kind: fc.constant('rename' as const), name: fc.constantFrom('A', 'B', 'C') }),
  fc.record({ kind: fc.constant('delete' as const) }),
);
const life = fc.record({
  owner: user,
  name: fc.constantFrom('A', 'B', 'C'),
  steps: fc.array(step, { maxLength: 4 }),
});

describe('authorisation of saved filters (property)', () => {
  it("lists exactly a viewer's own filters and those shared with their groups, by name, after any life", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(life, { maxLength: 10 }),
        fc.array(viewer, { minLength: 1, maxLength: 4 }),
        async (lives, viewers) => {
          const events: SpecEvent[] = [];
          // The oracle: each filter's owner, name and groups after its last event, or gone.
          const finals = lives.map((l, i) => {
            const id = `f${i}`;
            const streamId = `saved-filter-${id}`;
            const state = { id, owner: l.owner, name: l.name, groups: [] as string[], deleted: false };
            events.push({
              type: 'FilterSaved',
              data: { id, owner: l.owner, name: l.name, filter: {}, sort: [] },
              streamId,
            });
            for (const s of l.steps) {
              if (state.deleted) break;
              if (s.kind === 'share') {
                state.groups = s.groups;
                events.push({ type: 'FilterShared', data: { id, groups: s.groups }, streamId });
              } else if (s.kind === 'rename') {
                state.name = s.name;
                events.push({ type: 'FilterUpdated', data: { id, name: s.name }, streamId });
              } else {
                state.deleted = true;
                events.push({ type: 'FilterDeleted', data: { id }, streamId });
              }
            }
            return state;
          });
          const store = new MemoryViewStore();
          const stored = applyEvents(savedFiltersProjection, storedEventsOf(savedFiltersProjection, events));
          await store.commit(
            { view: 'saved-filters', copy: LIVE_COPY },
            { writes: [...stored.values()].map(viewWriteOf), checkpoint: events.length },
          );
          for (const v of viewers) {
            const expected = finals
              .filter(
                (f) => !f.deleted && (f.owner === v.userId || f.groups.some((g) => v.groups.includes(g))),
              )
              .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1))
              .map((f) => [f.id, f.name, f.owner, f.groups]);
            const found = await store.savedFilters(v);
            expect(found.map((f) => [f.id, f.name, f.owner, f.sharedWithGroups])).toEqual(expected);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
