import { anEvent } from '@eddy/testing';
import { describe, expect, it } from '@jest/globals';
import { type StoredEvent } from './event-store.port';
import { MemoryEventStore } from './memory.event-store';
import { withUpcasting } from './upcasting.event-store';

const toV2 = (event: StoredEvent): StoredEvent =>
  event.schemaVersion === 1 ? { ...event, schemaVersion: 2, data: { ...event.data, upcast: true } } : event;

describe('withUpcasting', () => {
  it('passes events read from a stream and from the log through the upcaster, and stores them unchanged', async () => {
    const inner = new MemoryEventStore();
    const store = withUpcasting(inner, toV2);
    await store.appendToStream('s', [
      anEvent('Old', { a: 1 }),
      { ...anEvent('New', { b: 2 }), schemaVersion: 2 },
    ]);

    expect((await store.readStream('s')).map((e) => [e.schemaVersion, e.data])).toEqual([
      [2, { a: 1, upcast: true }],
      [2, { b: 2 }],
    ]);
    expect((await store.readAll()).map((e) => e.data)).toEqual([{ a: 1, upcast: true }, { b: 2 }]);
    expect((await inner.readStream('s')).map((e) => e.schemaVersion)).toEqual([1, 2]);
    expect(await store.statistics()).toEqual({ headPosition: 2, streams: 1, events: 2 });
  });

  it('passes subscribed batches through the upcaster', async () => {
    const store = withUpcasting(new MemoryEventStore(), toV2);
    await store.appendToStream('s', [anEvent('Old', { a: 1 })]);
    const controller = new AbortController();
    for await (const batch of store.subscribeToAll({ signal: controller.signal })) {
      expect(batch.map((e) => e.data)).toEqual([{ a: 1, upcast: true }]);
      controller.abort();
    }
    await store.close();
    await expect(store.headPosition()).rejects.toThrow(/closed/);
  });
});
