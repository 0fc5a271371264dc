import { eventStoreContract, someEvents } from '@eddy/testing';
import { describe, expect, it } from '@jest/globals';
import { DuplicateCommandError } from './event-store.port';
import { EventStoreDbEventStore } from './eventstoredb.event-store';
import { FakeEventStoreDb } from './eventstoredb.fake-client';

/**
 * The adapter's own logic (paging through `$all`, prefixes, reservations, batching) on an in-memory
 * stand-in for the server. Not evidence that it works against EventStoreDB: see
 * eventstoredb.event-store.esdb.spec.ts and `npm run test:eventstoredb`.
 */
let server = new FakeEventStoreDb();
let prefix = '';
let stores = 0;
const open = (): EventStoreDbEventStore =>
  new EventStoreDbEventStore(server.client(), { streamPrefix: prefix });

eventStoreContract('eventstoredb (on an in-memory stand-in for the server)', {
  create: async () => {
    // Each test gets a prefix of its own on a server shared with other prefixes and system events.
    if (stores++ % 5 === 0) server = new FakeEventStoreDb();
    prefix = `p${stores}-`;
    server.systemEvent();
    return open();
  },
  reopen: async () => open(),
  duplicateEventIds: 'retry',
});

describe('EventStoreDB event store on the stand-in', () => {
  it('pages through $all past a thousand events and the system events among them', async () => {
    const fake = new FakeEventStoreDb();
    const store = new EventStoreDbEventStore(fake.client(), { streamPrefix: 'pages-' });
    const other = new EventStoreDbEventStore(fake.client(), { streamPrefix: 'others-' });
    for (let i = 0; i < 12; i++) {
      await store.appendToStream(`s-${i}`, someEvents(100));
      await other.appendToStream(`s-${i}`, someEvents(3));
    }
    const all = await store.readAll();
    expect(all).toHaveLength(1_200);
    expect(new Set(all.map((e) => e.id)).size).toBe(1_200);
    for (let i = 1; i < all.length; i++) expect(all[i].position).toBeGreaterThan(all[i - 1].position);
    expect((await store.readAll({ after: all[999].position, maxCount: 150 })).map((e) => e.id)).toEqual(
      all.slice(1_000, 1_150).map((e) => e.id),
    );
    expect(await store.statistics()).toEqual({
      headPosition: all[1_199].position,
      streams: 12,
      events: 1_200,
    });
    expect(await other.statistics()).toMatchObject({ streams: 12, events: 36 });
  });

  it('keeps a command id reserved by a running append from another stream, and frees a refused one', async () => {
    const store = new EventStoreDbEventStore(new FakeEventStoreDb().client());
    await expect(
      store.appendToStream('task-1', someEvents(1), { expectedRevision: 3, commandId: 'cmd-1' }),
    ).rejects.toThrow();
    expect(await store.findCommand('cmd-1')).toBeUndefined();
    const [first, second] = await Promise.allSettled([
      store.appendToStream('task-1', someEvents(1), { commandId: 'cmd-1' }),
      store.appendToStream('task-2', someEvents(1), { commandId: 'cmd-1' }),
    ]);
    expect(first.status).toBe('fulfilled');
    expect((second as PromiseRejectedResult).reason).toBeInstanceOf(DuplicateCommandError);
    expect(await store.findCommand('cmd-1')).toMatchObject({ streamId: 'task-1', revision: 0 });
    // The adapter's own streams are not events of the port.
    expect((await store.readAll()).map((e) => e.streamId)).toEqual(['task-1']);
    expect(await store.identity()).toBe(await store.identity());
    expect((await store.readAll()).map((e) => e.streamId)).toEqual(['task-1']);
  });
});
