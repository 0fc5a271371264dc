import { describe, expect, it } from '@jest/globals';
import { DEFAULT_PROJECTIONS, MemoryViewStore, StreamOrderApplier } from '@eddy/projections';
import { aWorkload, everyView, inOrderViews, shuffledAcrossStreams, VIEWS } from './event-log.fixtures.spec';

import { seededRandom } from '@eddy/testing';

describe('StreamOrderApplier: events in stream order but any order across streams', () => {
  it.each([11, 2024, 77_777])(
    'builds every field of every view as the in-order projection does (seed %i), duplicates included',
    async (seed) => {
      const store = await aWorkload(seed, 400);
      const log = await store.readAll();
      const random = seededRandom(seed);
      const shuffled = shuffledAcrossStreams(log, random);
      expect(shuffled.map((e) => e.position)).not.toEqual(log.map((e) => e.position));

      const views = new MemoryViewStore();
      const applier = new StreamOrderApplier(views, DEFAULT_PROJECTIONS);
      // Random batches, and every batch delivered again now and then (a redelivery after a crash).
      for (let i = 0; i < shuffled.length;) {
        const batch = shuffled.slice(i, i + 1 + Math.floor(random() * 40));
        await applier.apply(batch);
        if (random() < 0.3) await applier.apply(batch);
        i += batch.length;
      }
      // A late duplicate of old events changes nothing either.
      await applier.apply(shuffled.slice(0, 50));

      const expected = await inOrderViews(store);
      const actual = await everyView(views);
      expect(actual).toEqual(await everyView(expected));
      expect((actual.tasks as unknown[]).length).toBeGreaterThan(5);
      expect((actual['data-entries'] as unknown[]).length).toBeGreaterThan(3);

      // The joins between tasks and data entries agree for every viewer.
      const entryIds = (actual['data-entries'] as { id: string }[]).map((d) => d.id);
      for (const viewer of [
        { userId: 'alice', groups: ['clerks'] },
        { userId: 'bob', groups: ['accounting', 'assessors'] },
      ]) {
        expect(await views.tasksCorrelatedTo(entryIds, viewer)).toEqual(
          await expected.tasksCorrelatedTo(entryIds, viewer),
        );
        expect(await views.getDataEntries(entryIds, viewer)).toEqual(
          await expected.getDataEntries(entryIds, viewer),
        );
      }
    },
  );

  it('leaves the checkpoint alone while applying and raises it only forward', async () => {
    const log = await (await aWorkload(5, 60)).readAll();
    const views = new MemoryViewStore();
    const applier = new StreamOrderApplier(views, DEFAULT_PROJECTIONS);
    await applier.apply(log.slice(0, 30));
    expect(await views.checkpoint('tasks')).toBe(0);
    await applier.raiseCheckpoint(30);
    await applier.apply(log.slice(30));
    expect(await views.checkpoint('tasks')).toBe(30);
    await applier.raiseCheckpoint(10);
    for (const view of VIEWS) expect(await views.checkpoint(view)).toBe(30);
  });
});
