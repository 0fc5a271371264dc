import type { CommandMetadata, Decider } from '@eddy/contracts';
import { describe, expect, it, jest } from '@jest/globals';
import { FoldedStateCache } from './folded-state.cache';
import { handleCommand } from './handle-command';
import { MemoryEventStore } from './memory.event-store';

/** Adds to a counter; refuses to go beyond a limit, so a stale state would decide wrongly. */
type Add = { amount: number; limit: number };
type Added = { type: 'Added'; data: { amount: number } };
const counter: Decider<Add, Added, number> = {
  initialState: () => 0,
  evolve: (total, event) => total + event.data.amount,
  decide: (command, total) => {
    if (total + command.amount > command.limit) throw new Error(`limit ${command.limit} reached at ${total}`);
    return [{ type: 'Added', data: { amount: command.amount } }];
  },
};

let sequence = 0;
const metadata = (commandId = `c-${++sequence}`): CommandMetadata => ({
  commandId,
  correlationId: commandId,
  timestamp: '2026-12-01T00:00:00Z',
});
const options = { maxRetries: 3, schemaVersionOf: () => 1 };

describe('handleCommand', () => {
  it('reads only the events after the fold it made last, and decides on every event of the stream', async () => {
    const store = new MemoryEventStore();
    const reads = jest.spyOn(store, 'readStream');
    for (let i = 0; i < 5; i++) {
      await handleCommand(store, counter, 'count', { amount: 1, limit: 100 }, metadata(), options);
    }
    expect(reads.mock.calls.map(([, read]) => read?.fromRevision)).toEqual([0, 0, 1, 2, 3]);

    // Another writer (another process) appends behind this one's back: the next command sees it.
    await store.appendToStream('count', [
      {
        id: 'other',
        type: 'Added',
        schemaVersion: 1,
        data: { amount: 10 },
        metadata: metadata(),
      },
    ]);
    await expect(
      handleCommand(store, counter, 'count', { amount: 1, limit: 15 }, metadata(), options),
    ).rejects.toThrow('limit 15 reached at 15');
    const accepted = await handleCommand(
      store,
      counter,
      'count',
      { amount: 1, limit: 16 },
      metadata(),
      options,
    );
    expect(accepted).toMatchObject({ status: 'accepted', revision: 6 });
  });

  it('answers a command id accepted on another stream as a duplicate without loading any stream', async () => {
    const store = new MemoryEventStore();
    const first = await handleCommand(
      store,
      counter,
      'a',
      { amount: 1, limit: 9 },
      metadata('once'),
      options,
    );
    const reads = jest.spyOn(store, 'readStream');
    const again = await handleCommand(
      store,
      counter,
      'b',
      { amount: 1, limit: 9 },
      metadata('once'),
      options,
    );
    expect(again).toEqual({ ...first, status: 'duplicate', appended: 0 });
    expect(reads).not.toHaveBeenCalled();
  });
});

describe('FoldedStateCache', () => {
  it('drops the least recently used stream beyond its capacity and never goes back to an older fold', () => {
    const cache = new FoldedStateCache<string>(2);
    cache.set('a', { state: 'a0', revision: 0, position: 1 });
    cache.set('b', { state: 'b0', revision: 0, position: 2 });
    expect(cache.get('a')?.state).toBe('a0');
    cache.set('c', { state: 'c0', revision: 0, position: 3 });
    expect(cache.get('b')).toBeUndefined();
    cache.set('a', { state: 'a2', revision: 2, position: 5 });
    cache.set('a', { state: 'a1', revision: 1, position: 4 });
    expect(cache.get('a')).toEqual({ state: 'a2', revision: 2, position: 5 });
    expect(cache.get('c')?.state).toBe('c0');
  });
});
