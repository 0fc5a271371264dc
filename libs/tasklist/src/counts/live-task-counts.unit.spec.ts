import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { LiveTaskCounts, type TaskCountsMessage } from './live-task-counts';

/** A count whose answers the test releases one by one. */
function controlledCount() {
  const calls: ((counts: number[]) => void)[] = [];
  return {
    calls,
    count: () => new Promise<number[]>((resolve) => calls.push(resolve)),
  };
}

const next = async (live: LiveTaskCounts) => (await live.next()).value as TaskCountsMessage;

describe('LiveTaskCounts', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('counts again when the next deferred task comes due, without any change of the view', async () => {
    jest.useFakeTimers({ now: 0 });
    const answers = [[0], [1]];
    const live = new LiveTaskCounts(
      async () => answers.shift()!,
      4,
      () => undefined,
      async () => (answers.length === 1 ? 60_000 : null),
    );
    await live.start();
    expect(await next(live)).toEqual({ counts: [0], position: 4 });
    await jest.advanceTimersByTimeAsync(59_999);
    expect(answers).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(await next(live)).toEqual({ counts: [1], position: 4 });
    await live.return();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('pushes the first counts, then only counts that differ', async () => {
    const answers = [[1], [1], [2]];
    const live = new LiveTaskCounts(
      async () => answers.shift()!,
      5,
      () => undefined,
    );
    await live.start();
    expect(await next(live)).toEqual({ counts: [1], position: 5 });
    live.changed(6);
    live.changed(7);
    const pushed = await next(live);
    expect(pushed).toEqual({ counts: [2], position: 7 });
    expect(answers).toEqual([]);
  });

  it('covers changes that arrive during a count with one more count, not one per change', async () => {
    const { calls, count } = controlledCount();
    const live = new LiveTaskCounts(count, 0, () => undefined);
    const started = live.start();
    calls.shift()!([0]);
    await started;
    await next(live);
    live.changed(1);
    live.changed(2);
    live.changed(3);
    await Promise.resolve();
    expect(calls).toHaveLength(1); // one count in flight, the others wait for it
    calls.shift()!([1]);
    await new Promise((r) => setImmediate(r));
    expect(calls).toHaveLength(1); // one more count, for the changes during the first
    calls.shift()!([2]);
    // A slow reader gets the newest counts only.
    await new Promise((r) => setImmediate(r));
    expect(await next(live)).toEqual({ counts: [2], position: 3 });
  });

  it('ends with the feed error, and tells its owner when closed', async () => {
    let closed = 0;
    const live = new LiveTaskCounts(
      async () => [0],
      0,
      () => closed++,
    );
    await live.start();
    await next(live);
    live.fail(new Error('feed lost'));
    expect((await live.next()).value).toBeInstanceOf(Error);
    await live.return();
    await live.return();
    expect(closed).toBe(1);
    expect((await live.next()).done).toBe(true);
  });
});
