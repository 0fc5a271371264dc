import {
  DuplicateCommandError,
  DuplicateEventIdError,
  type EventStore,
  EventStoreClosedError,
  InvalidEventError,
  type NewEvent,
  type StoredEvent,
  WrongExpectedRevisionError,
} from '@eddy/eventstore';
import { afterEach, describe, expect, it } from '@jest/globals';
import { killedWriterAcks, type EventStoreChildOpener } from './event-store.crash-test';
import { anEvent, someEvents } from './event-store.test-events';

export type { EventStoreChildOpener } from './event-store.crash-test';

/** How the contract suite gets stores of the adapter under test. */
export interface EventStoreContractFactory {
  /** A fresh, empty store. */
  create(): Promise<EventStore>;
  /**
   * Opens the store created last once more (same file, same database), after the suite closed it.
   * Omit for adapters that keep nothing across instances (memory).
   */
  reopen?(): Promise<EventStore>;
  /**
   * How a child process opens the store created last, for the `kill -9` test. Omit for adapters
   * that keep nothing across processes.
   */
  childOpener?(): EventStoreChildOpener;
  /**
   * Which event ids the adapter refuses as duplicates: `store` (the default), an id held in any
   * stream; `retry`, the ids of an append retried on the same stream with the same expected
   * revision (EventStoreDB, whose idempotent appends work per stream and which keeps no index of
   * event ids across streams).
   */
  duplicateEventIds?: 'store' | 'retry';
}

/**
 * The behaviour every event store adapter must have. Call it from an adapter's spec:
 * `eventStoreContract('sqlite', { create, reopen, childOpener })`.
 */
export function eventStoreContract(name: string, factory: EventStoreContractFactory): void {
  describe(`event store contract: ${name}`, () => {
    const open: EventStore[] = [];
    const track = (store: EventStore): EventStore => {
      open.push(store);
      return store;
    };
    const fresh = async (): Promise<EventStore> => track(await factory.create());
    const storeWideEventIds = (factory.duplicateEventIds ?? 'store') === 'store';
    /** A test of store-wide event ids: not defined at all for adapters that do not promise them. */
    const itStoreWide = storeWideEventIds ? it : ((() => undefined) as unknown as typeof it);

    afterEach(async () => {
      for (const store of open.splice(0)) await store.close().catch(() => undefined);
    });

    describe('appending and reading a stream', () => {
      it('stores every field and assigns revisions from 0 and growing positions', async () => {
        const store = await fresh();
        const events = someEvents(3);
        const result = await store.appendToStream('task-1', events, { expectedRevision: 'no_stream' });
        expect(result.nextExpectedRevision).toBe(2);

        const read = await store.readStream('task-1');
        expect(read.map((e) => e.revision)).toEqual([0, 1, 2]);
        expect(result.position).toBe(read[2].position);
        expect(read[0].position).toBeGreaterThanOrEqual(1);
        expectStrictlyIncreasing(read.map((e) => e.position));
        read.forEach((stored, i) => {
          expect(stored).toEqual({
            ...events[i],
            streamId: 'task-1',
            revision: i,
            position: stored.position,
          });
        });
      });

      it('keeps optional metadata absent when it was not given', async () => {
        const store = await fresh();
        const event: NewEvent = {
          id: anEvent().id,
          type: 'Bare',
          schemaVersion: 2,
          data: { nested: { list: [1, 'two', null, true] } },
          metadata: { commandId: 'c', correlationId: 'k', timestamp: '2025-01-01T00:00:00Z' },
        };
        await store.appendToStream('bare', [event]);
        const [stored] = await store.readStream('bare');
        expect(stored.metadata).toEqual(event.metadata);
        expect(stored.data).toEqual(event.data);
        expect(stored.schemaVersion).toBe(2);
      });

      it('reads a stream from a revision with a maximum count', async () => {
        const store = await fresh();
        await store.appendToStream('s', someEvents(10));
        const part = await store.readStream('s', { fromRevision: 3, maxCount: 4 });
        expect(part.map((e) => e.revision)).toEqual([3, 4, 5, 6]);
        expect(await store.readStream('s', { fromRevision: 10 })).toEqual([]);
      });

      it('reads an empty list for a stream that does not exist', async () => {
        const store = await fresh();
        expect(await store.readStream('nobody')).toEqual([]);
      });

      it('does not let a caller change stored events by mutating its objects', async () => {
        const store = await fresh();
        const event = anEvent('Mutable', { value: 1 });
        const appending = store.appendToStream('m', [event]);
        (event.data as { value: number }).value = 2;
        await appending;
        const [read] = await store.readStream('m');
        (read.data as { value: number }).value = 3;
        expect((await store.readStream('m'))[0].data).toEqual({ value: 1 });
      });
    });

    describe('expected revision', () => {
      it('accepts the exact revision and refuses any other, writing nothing', async () => {
        const store = await fresh();
        await store.appendToStream('s', someEvents(2));
        await expect(
          store.appendToStream('s', someEvents(1), { expectedRevision: 1 }),
        ).resolves.toMatchObject({
          nextExpectedRevision: 2,
        });
        const error = await store.appendToStream('s', someEvents(1), { expectedRevision: 1 }).catch((e) => e);
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ streamId: 's', expected: 1, actual: 2 });
        expect(await store.readStream('s')).toHaveLength(3);
      });

      it('refuses a revision on a stream that does not exist, reporting -1', async () => {
        const store = await fresh();
        const error = await store
          .appendToStream('new', someEvents(1), { expectedRevision: 0 })
          .catch((e) => e);
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ actual: -1 });
        expect(await store.readStream('new')).toEqual([]);
      });

      it('no_stream accepts only a new stream', async () => {
        const store = await fresh();
        await store.appendToStream('s', someEvents(1), { expectedRevision: 'no_stream' });
        const error = await store
          .appendToStream('s', someEvents(1), { expectedRevision: 'no_stream' })
          .catch((e) => e);
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ expected: 'no_stream', actual: 0 });
      });

      it('stream_exists accepts only an existing stream', async () => {
        const store = await fresh();
        const error = await store
          .appendToStream('s', someEvents(1), { expectedRevision: 'stream_exists' })
          .catch((e) => e);
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ expected: 'stream_exists', actual: -1 });
        await store.appendToStream('s', someEvents(1));
        await expect(
          store.appendToStream('s', someEvents(1), { expectedRevision: 'stream_exists' }),
        ).resolves.toMatchObject({ nextExpectedRevision: 1 });
      });

      it('any (the default) accepts both new and existing streams', async () => {
        const store = await fresh();
        await expect(
          store.appendToStream('s', someEvents(1), { expectedRevision: 'any' }),
        ).resolves.toMatchObject({
          nextExpectedRevision: 0,
        });
        await expect(store.appendToStream('s', someEvents(2))).resolves.toMatchObject({
          nextExpectedRevision: 2,
        });
      });

      it('an empty append checks the revision and writes nothing', async () => {
        const store = await fresh();
        await expect(store.appendToStream('s', [], { expectedRevision: 'no_stream' })).resolves.toMatchObject(
          {
            nextExpectedRevision: -1,
          },
        );
        await store.appendToStream('s', someEvents(2));
        await expect(store.appendToStream('s', [], { expectedRevision: 1 })).resolves.toMatchObject({
          nextExpectedRevision: 1,
        });
        await expect(store.appendToStream('s', [], { expectedRevision: 0 })).rejects.toBeInstanceOf(
          WrongExpectedRevisionError,
        );
        expect((await store.statistics()).events).toBe(2);
      });

      it('lets exactly one of several concurrent writers with the same expected revision win', async () => {
        const store = await fresh();
        await store.appendToStream('s', someEvents(1));
        const outcomes = await Promise.allSettled(
          Array.from({ length: 8 }, () => store.appendToStream('s', someEvents(2), { expectedRevision: 0 })),
        );
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        expect(rejected).toHaveLength(7);
        for (const r of rejected) expect(r.reason).toBeInstanceOf(WrongExpectedRevisionError);
        expect((await store.readStream('s')).map((e) => e.revision)).toEqual([0, 1, 2]);
      });

      it('a conflicting append among concurrent ones fails alone', async () => {
        const store = await fresh();
        await store.appendToStream('conflicted', someEvents(1));
        const outcomes = await Promise.allSettled([
          store.appendToStream('a', someEvents(2), { expectedRevision: 'no_stream' }),
          store.appendToStream('conflicted', someEvents(1), { expectedRevision: 'no_stream' }),
          store.appendToStream('b', someEvents(3), { expectedRevision: 'no_stream' }),
        ]);
        expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        expect(await store.readStream('a')).toHaveLength(2);
        expect(await store.readStream('b')).toHaveLength(3);
        expect(await store.readStream('conflicted')).toHaveLength(1);
      });
    });

    describe('duplicate event ids', () => {
      itStoreWide(
        'refuses an event id that is already stored, in any stream, writing nothing of the append',
        async () => {
          const store = await fresh();
          const first = anEvent();
          await store.appendToStream('one', [first]);
          const again = { ...anEvent(), id: first.id };
          const error = await store.appendToStream('two', [anEvent(), again]).catch((e) => e);
          expect(error).toBeInstanceOf(DuplicateEventIdError);
          expect(error).toMatchObject({ streamId: 'two' });
          expect(await store.readStream('two')).toEqual([]);
          expect((await store.statistics()).events).toBe(1);
        },
      );

      it('refuses an append that holds the same id twice', async () => {
        const store = await fresh();
        const event = anEvent();
        await expect(store.appendToStream('s', [event, { ...event }])).rejects.toBeInstanceOf(
          DuplicateEventIdError,
        );
        expect(await store.readStream('s')).toEqual([]);
      });

      itStoreWide('a duplicate among concurrent appends fails alone', async () => {
        const store = await fresh();
        const taken = anEvent();
        await store.appendToStream('first', [taken]);
        const outcomes = await Promise.allSettled([
          store.appendToStream('x', someEvents(1)),
          store.appendToStream('y', [anEvent(), { ...anEvent(), id: taken.id }]),
          store.appendToStream('z', someEvents(1)),
        ]);
        expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(DuplicateEventIdError);
        expect(await store.readStream('y')).toEqual([]);
      });
    });

    if (!storeWideEventIds) {
      describe('duplicate event ids of a retried append', () => {
        it('refuses an append retried with the same events and expected revision, writing nothing', async () => {
          const store = await fresh();
          const events = someEvents(2);
          await store.appendToStream('s', events, { expectedRevision: 'no_stream' });
          await expect(
            store.appendToStream('s', events, { expectedRevision: 'no_stream' }),
          ).rejects.toBeInstanceOf(DuplicateEventIdError);
          expect((await store.readStream('s')).map((e) => e.id)).toEqual(events.map((e) => e.id));
          expect((await store.statistics()).events).toBe(2);
        });
      });
    }

    describe('the command index', () => {
      it('records where an append of a command went: its stream, last revision and position', async () => {
        const store = await fresh();
        await store.appendToStream('other', someEvents(2));
        expect(await store.findCommand('cmd-a')).toBeUndefined();
        const result = await store.appendToStream('s', someEvents(3), { commandId: 'cmd-a' });
        expect(await store.findCommand('cmd-a')).toEqual({
          commandId: 'cmd-a',
          streamId: 's',
          revision: 2,
          position: result.position,
        });
        expect(await store.findCommand('cmd-b')).toBeUndefined();
      });

      it('refuses the same command id on any stream, naming the original append and writing nothing', async () => {
        const store = await fresh();
        const first = await store.appendToStream('one', someEvents(2), { commandId: 'cmd-x' });
        for (const streamId of ['two', 'one']) {
          const error = await store
            .appendToStream(streamId, someEvents(1), { commandId: 'cmd-x' })
            .catch((e) => e);
          expect(error).toBeInstanceOf(DuplicateCommandError);
          expect(error).toMatchObject({
            streamId,
            original: { commandId: 'cmd-x', streamId: 'one', revision: 1, position: first.position },
          });
        }
        expect(await store.readStream('two')).toEqual([]);
        expect((await store.statistics()).events).toBe(2);
      });

      it('records nothing for an empty append or a failed one', async () => {
        const store = await fresh();
        await store.appendToStream('s', [], { commandId: 'empty' });
        expect(await store.findCommand('empty')).toBeUndefined();
        await store.appendToStream('s', someEvents(1));
        await expect(
          store.appendToStream('s', someEvents(1), {
            expectedRevision: 'no_stream',
            commandId: 'conflicted',
          }),
        ).rejects.toBeInstanceOf(WrongExpectedRevisionError);
        const [stored] = await store.readStream('s');
        // Where event ids are unique per append only, the append holds one id twice.
        const twice = anEvent();
        const duplicated = storeWideEventIds
          ? [anEvent(), { ...anEvent(), id: stored.id }]
          : [twice, { ...anEvent(), id: twice.id }];
        await expect(
          store.appendToStream('t', duplicated, { commandId: 'dup-event' }),
        ).rejects.toBeInstanceOf(DuplicateEventIdError);
        expect(await store.findCommand('conflicted')).toBeUndefined();
        expect(await store.findCommand('dup-event')).toBeUndefined();
        // Neither failed append used up its command id.
        await expect(
          store.appendToStream('t', someEvents(1), { commandId: 'dup-event' }),
        ).resolves.toMatchObject({ nextExpectedRevision: 0 });
      });

      it('lets exactly one of several concurrent appends of one command id on distinct streams win', async () => {
        const store = await fresh();
        const outcomes = await Promise.allSettled(
          Array.from({ length: 6 }, (_, i) =>
            store.appendToStream(`racer-${i}`, someEvents(2), { commandId: 'raced' }),
          ),
        );
        const won = outcomes.findIndex((o) => o.status === 'fulfilled');
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        for (const outcome of outcomes.filter((o) => o.status === 'rejected')) {
          expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(DuplicateCommandError);
          expect((outcome as PromiseRejectedResult).reason).toMatchObject({
            original: { streamId: `racer-${won}` },
          });
        }
        expect((await store.statistics()).events).toBe(2);
        expect(await store.findCommand('raced')).toMatchObject({ streamId: `racer-${won}`, revision: 1 });
      });

      it('names a bad command id', async () => {
        const store = await fresh();
        await expect(store.findCommand('')).rejects.toThrow(/commandId/);
        await expect(store.appendToStream('s', someEvents(1), { commandId: '' })).rejects.toThrow(
          /commandId/,
        );
        expect((await store.statistics()).events).toBe(0);
      });
    });

    describe('identity', () => {
      it('has an identity of its own, the same at every call', async () => {
        const store = await fresh();
        const identity = await store.identity();
        expect(identity).toMatch(/^\S{16,}$/);
        await store.appendToStream('s', someEvents(1));
        expect(await store.identity()).toBe(identity);
        expect(await (await fresh()).identity()).not.toBe(identity);
      });
    });

    describe('bad input', () => {
      it('names the bad field', async () => {
        const store = await fresh();
        const bad = { ...anEvent(), metadata: { ...anEvent().metadata, commandId: '' } };
        await expect(store.appendToStream('s', [anEvent(), bad])).rejects.toThrow(
          /events\[1\]\.metadata\.commandId/,
        );
        await expect(store.appendToStream('', [anEvent()])).rejects.toBeInstanceOf(InvalidEventError);
        await expect(store.appendToStream('s', [{ ...anEvent(), schemaVersion: 0 }])).rejects.toThrow(
          /events\[0\]\.schemaVersion/,
        );
        await expect(
          store.appendToStream('s', [anEvent()], { expectedRevision: -1 as unknown as number }),
        ).rejects.toThrow(/expectedRevision/);
        await expect(store.readAll({ after: -1 })).rejects.toThrow(/after/);
        expect((await store.statistics()).events).toBe(0);
      });
    });

    describe('the global log', () => {
      it('reads every stream in global order, after a position, with a maximum count', async () => {
        const store = await fresh();
        await store.appendToStream('a', someEvents(2));
        await store.appendToStream('b', someEvents(3));
        await store.appendToStream('a', someEvents(1));
        const all = await store.readAll();
        expect(all.map((e) => `${e.streamId}@${e.revision}`)).toEqual([
          'a@0',
          'a@1',
          'b@0',
          'b@1',
          'b@2',
          'a@2',
        ]);
        expectStrictlyIncreasing(all.map((e) => e.position));
        const after = await store.readAll({ after: all[1].position, maxCount: 2 });
        expect(after.map((e) => e.id)).toEqual([all[2].id, all[3].id]);
        expect(await store.readAll({ after: all[5].position })).toEqual([]);
      });

      it('reports head position and statistics', async () => {
        const store = await fresh();
        expect(await store.headPosition()).toBe(0);
        expect(await store.statistics()).toEqual({ headPosition: 0, streams: 0, events: 0 });
        await store.appendToStream('a', someEvents(2));
        const last = await store.appendToStream('b', someEvents(3));
        expect(await store.headPosition()).toBe(last.position);
        expect(await store.statistics()).toEqual({ headPosition: last.position, streams: 2, events: 5 });
      });

      it('keeps order within each stream and across streams with many concurrent writers', async () => {
        const store = await fresh();
        const streams = 200;
        const perStream = 5;
        await Promise.all(
          Array.from({ length: streams }, async (_, s) => {
            for (let r = 0; r < perStream; r++) {
              await store.appendToStream(`many-${s}`, [anEvent('Counted', { s, r })], {
                expectedRevision: r - 1 < 0 ? 'no_stream' : r - 1,
              });
            }
          }),
        );
        const all = await store.readAll();
        expect(all).toHaveLength(streams * perStream);
        expectStrictlyIncreasing(all.map((e) => e.position));
        const seen = new Map<string, number>();
        for (const event of all) {
          const previous = seen.get(event.streamId) ?? -1;
          expect(event.revision).toBe(previous + 1);
          expect(event.data).toEqual({ s: Number(event.streamId.slice(5)), r: event.revision });
          seen.set(event.streamId, event.revision);
        }
        expect(seen.size).toBe(streams);
        expect(await store.statistics()).toMatchObject({ streams, events: streams * perStream });
      });

      it('stores and returns a large event (1 MiB of data) intact', async () => {
        const store = await fresh();
        const blob = 'x'.repeat(1024 * 1024);
        const big = anEvent('Big', { blob, tail: 'ü€😀' });
        await store.appendToStream('big', [big, anEvent()]);
        const [read] = await store.readStream('big', { maxCount: 1 });
        expect((read.data as { blob: string }).blob.length).toBe(blob.length);
        expect(read.data).toEqual(big.data);
        expect((await store.readAll()).map((e) => e.id)).toEqual([big.id, expect.any(String)]);
      });
    });

    describe('subscribing to all', () => {
      it('catches up from the start, then delivers live events', async () => {
        const store = await fresh();
        await store.appendToStream('a', someEvents(3));
        const controller = new AbortController();
        const received: StoredEvent[] = [];
        const iterator = store.subscribeToAll({ signal: controller.signal })[Symbol.asyncIterator]();
        while (received.length < 3) received.push(...(await nextBatch(iterator)));
        const pending = nextBatch(iterator);
        await store.appendToStream('b', someEvents(2));
        received.push(...(await pending));
        while (received.length < 5) received.push(...(await nextBatch(iterator)));
        expect(received.map((e) => e.id)).toEqual((await store.readAll()).map((e) => e.id));
        controller.abort();
        expect((await iterator.next()).done).toBe(true);
      });

      it('starts after the given position and respects the largest batch size', async () => {
        const store = await fresh();
        await store.appendToStream('a', someEvents(25));
        const all = await store.readAll();
        const controller = new AbortController();
        const received: StoredEvent[] = [];
        for await (const batch of store.subscribeToAll({
          after: all[4].position,
          maxBatchSize: 7,
          signal: controller.signal,
        })) {
          expect(batch.length).toBeGreaterThan(0);
          expect(batch.length).toBeLessThanOrEqual(7);
          received.push(...batch);
          if (received.length >= 20) controller.abort();
        }
        expect(received.map((e) => e.id)).toEqual(all.slice(5).map((e) => e.id));
      });

      it('delivers every event exactly once, in order, while writers append concurrently', async () => {
        const store = await fresh();
        await store.appendToStream('before', someEvents(50));
        const writers = 6;
        const appendsPerWriter = 40;
        const expected = 50 + writers * appendsPerWriter * 2;
        const controller = new AbortController();

        const consumer = (async () => {
          const received: StoredEvent[] = [];
          for await (const batch of store.subscribeToAll({ maxBatchSize: 16, signal: controller.signal })) {
            received.push(...batch);
            // A slow consumer: yields to the writers between batches.
            await new Promise((resolve) => setImmediate(resolve));
            if (received.length >= expected) break;
          }
          return received;
        })();
        await Promise.all(
          Array.from({ length: writers }, async (_, w) => {
            for (let i = 0; i < appendsPerWriter; i++)
              await store.appendToStream(`writer-${w}`, someEvents(2));
          }),
        );
        const received = await consumer;
        controller.abort();
        const all = await store.readAll();
        expect(all).toHaveLength(expected);
        expect(received.map((e) => e.position)).toEqual(all.map((e) => e.position));
        expect(new Set(received.map((e) => e.id)).size).toBe(expected);
      });

      it('lets two subscribers from different positions see the same log', async () => {
        const store = await fresh();
        await store.appendToStream('a', someEvents(10));
        const all = await store.readAll();
        const take = async (after: number, count: number): Promise<string[]> => {
          const controller = new AbortController();
          const ids: string[] = [];
          for await (const batch of store.subscribeToAll({ after, signal: controller.signal })) {
            ids.push(...batch.map((e) => e.id));
            if (ids.length >= count) controller.abort();
          }
          return ids;
        };
        const [first, second] = await Promise.all([take(0, 10), take(all[6].position, 3)]);
        expect(first).toEqual(all.map((e) => e.id));
        expect(second).toEqual(all.slice(7).map((e) => e.id));
      });

      it('ends a waiting subscription when its signal aborts or the store closes', async () => {
        const store = await fresh();
        const controller = new AbortController();
        const aborted = store.subscribeToAll({ signal: controller.signal })[Symbol.asyncIterator]();
        const waiting = aborted.next();
        controller.abort();
        expect((await waiting).done).toBe(true);

        const closing = store.subscribeToAll()[Symbol.asyncIterator]();
        const waitingForClose = closing.next();
        await store.close();
        expect((await waitingForClose).done).toBe(true);
        await expect(store.appendToStream('s', someEvents(1))).rejects.toBeInstanceOf(EventStoreClosedError);
      });
    });

    if (factory.reopen) {
      const reopen = factory.reopen.bind(factory);
      describe('durability', () => {
        it('keeps every event, revision and position across a restart', async () => {
          const store = await fresh();
          await store.appendToStream('a', someEvents(3));
          await store.appendToStream('b', someEvents(2));
          const before = await store.readAll();
          const statistics = await store.statistics();
          await store.close();

          const reopened = track(await reopen());
          expect(await reopened.readAll()).toEqual(before);
          expect(await reopened.statistics()).toEqual(statistics);
          await expect(
            reopened.appendToStream('a', someEvents(1), { expectedRevision: 1 }),
          ).rejects.toBeInstanceOf(WrongExpectedRevisionError);
          const next = await reopened.appendToStream('a', someEvents(1), { expectedRevision: 2 });
          expect(next.nextExpectedRevision).toBe(3);
          expect(next.position).toBeGreaterThan(statistics.headPosition);
          if (storeWideEventIds) {
            await expect(
              reopened.appendToStream('b', [{ ...anEvent(), id: before[0].id }]),
            ).rejects.toBeInstanceOf(DuplicateEventIdError);
          }
        });

        it('keeps its identity across a restart', async () => {
          const store = await fresh();
          const identity = await store.identity();
          await store.close();
          expect(await track(await reopen()).identity()).toBe(identity);
        });

        it('keeps the command index across a restart', async () => {
          const store = await fresh();
          const first = await store.appendToStream('a', someEvents(2), { commandId: 'kept' });
          await store.close();

          const reopened = track(await reopen());
          expect(await reopened.findCommand('kept')).toEqual({
            commandId: 'kept',
            streamId: 'a',
            revision: 1,
            position: first.position,
          });
          await expect(
            reopened.appendToStream('b', someEvents(1), { commandId: 'kept' }),
          ).rejects.toBeInstanceOf(DuplicateCommandError);
        });
      });
    }

    if (factory.reopen && factory.childOpener) {
      const reopen = factory.reopen.bind(factory);
      const childOpener = factory.childOpener.bind(factory);
      describe('durability', () => {
        it('keeps every acknowledged event when the writing process is killed with SIGKILL', async () => {
          const store = await fresh();
          await store.close();
          const acks = await killedWriterAcks(childOpener(), { minimumAcks: 1000 });
          expect(acks.length).toBeGreaterThanOrEqual(1000);

          const reopened = track(await reopen());
          const all = await reopened.readAll();
          const stored = new Map(all.map((e) => [e.id, e]));
          const missing = acks.filter((ack) => !stored.has(ack.eventId));
          expect(missing).toEqual([]);
          for (const ack of acks) {
            expect(stored.get(ack.eventId)).toMatchObject({
              streamId: ack.streamId,
              ...(ack.position === undefined ? {} : { position: ack.position }),
            });
          }
          // Whatever was written, acknowledged or not, forms whole streams without holes.
          const revisions = new Map<string, number>();
          for (const event of all) {
            expect(event.revision).toBe((revisions.get(event.streamId) ?? -1) + 1);
            revisions.set(event.streamId, event.revision);
          }
        });
      });
    }
  });
}

async function nextBatch(iterator: AsyncIterator<readonly StoredEvent[]>): Promise<readonly StoredEvent[]> {
  const result = await iterator.next();
  if (result.done) throw new Error('the subscription ended unexpectedly');
  return result.value;
}

function expectStrictlyIncreasing(values: number[]): void {
  for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1]);
}
