import { describe, expect, it, jest } from '@jest/globals';
import { PushLatency } from './push-latency';

describe('PushLatency', () => {
  it('measures from acceptance to push per id, 0 ms where the push came first', () => {
    const batch = new PushLatency(new Set(['t-1', 't-2', 't-3']));
    batch.accepted('t-1', 100);
    batch.pushed('t-1', 130);
    batch.pushed('t-2', 200);
    batch.accepted('t-2', 210);
    batch.accepted('t-3', 300);
    // t-3 is not pushed yet: no figure for it.
    expect(batch.latencies()).toEqual([30, 0]);
    expect(batch.pushedCount).toBe(2);
  });

  it('counts the first push of an id only, and ignores ids of another batch', () => {
    const batch = new PushLatency(new Set(['t-1']));
    batch.accepted('t-1', 100);
    batch.accepted('t-1', 150);
    batch.pushed('t-1', 120);
    batch.pushed('t-1', 500);
    batch.pushed('other', 130);
    batch.accepted('other', 90);
    expect(batch.latencies()).toEqual([20]);
    expect(batch.pushedCount).toBe(1);
  });

  it('resolves allPushed when the last expected change arrives and remembers when', async () => {
    const batch = new PushLatency(new Set(['t-1', 't-2']));
    let done = false;
    const all = batch.allPushed(60_000).then(() => (done = true));
    batch.pushed('t-2', 40);
    batch.pushed('t-2', 45);
    await Promise.resolve();
    expect(done).toBe(false);
    expect(batch.lastPushedAt).toBeNaN();
    batch.pushed('t-1', 70);
    await all;
    expect(batch.lastPushedAt).toBe(70);
    // Already complete: resolves at once.
    await expect(batch.allPushed(60_000)).resolves.toBeUndefined();
  });

  it('rejects allPushed when no expected change came for the idle time, naming those missing', async () => {
    const batch = new PushLatency(new Set(['t-1', 't-2', 't-3', 't-4', 't-5']));
    batch.pushed('t-1', 10);
    await expect(batch.allPushed(5)).rejects.toThrow(
      '4 of 5 changes were not pushed, none came for 5 ms (t-2, t-3, t-4, ...)',
    );
  });

  it('keeps waiting while changes keep coming', async () => {
    jest.useFakeTimers();
    try {
      const batch = new PushLatency(new Set(['t-1', 't-2', 't-3']));
      let settled = false;
      const all = batch.allPushed(20).finally(() => (settled = true));
      // Each change comes after more than half the idle time, all three after more than it.
      for (const id of ['t-1', 't-2']) {
        jest.advanceTimersByTime(12);
        batch.pushed(id);
      }
      jest.advanceTimersByTime(12);
      await Promise.resolve();
      expect(settled).toBe(false);
      batch.pushed('t-3');
      await expect(all).resolves.toBeUndefined();
    } finally {
      jest.useRealTimers();
    }
  });

  it('rejects the waits, now and later, once the subscription failed', async () => {
    const batch = new PushLatency(new Set(['t-1', 't-2']));
    const waiting = batch.allPushed(60_000);
    batch.pushed('t-1', 10);
    batch.fail(new Error('the subscription ended: 1006'));
    await expect(waiting).rejects.toThrow('the subscription ended: 1006');
    await expect(batch.allPushed(60_000)).rejects.toThrow('the subscription ended: 1006');
  });
});
