import { describe, expect, it } from '@jest/globals';
import { backoffDelay, retryWithBackoff, sleep } from './retry';

describe('backoffDelay', () => {
  it('starts at the initial delay and doubles up to the maximum', () => {
    const backoff = { initialDelayMs: 100, maxDelayMs: 500 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(backoff, n))).toEqual([100, 200, 400, 500, 500]);
  });
});

describe('retryWithBackoff', () => {
  const fast = { initialDelayMs: 1, maxDelayMs: 2 };

  it('tries again until the call succeeds, telling each retry', async () => {
    const retries: [number, number][] = [];
    const result = await retryWithBackoff(
      async (attempt) => {
        if (attempt < 3) throw new Error(`failure ${attempt}`);
        return attempt;
      },
      { ...fast, onRetry: (_error, attempt, delay) => retries.push([attempt, delay]) },
    );
    expect(result).toBe(3);
    expect(retries).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  it('throws the last error once the attempts are spent', async () => {
    let calls = 0;
    await expect(
      retryWithBackoff(
        async (attempt) => {
          calls++;
          throw new Error(`failure ${attempt}`);
        },
        { ...fast, maxAttempts: 2 },
      ),
    ).rejects.toThrow('failure 2');
    expect(calls).toBe(2);
  });

  it('does not retry what shouldRetry refuses', async () => {
    let calls = 0;
    await expect(
      retryWithBackoff(
        async () => {
          calls++;
          throw new Error('permanent');
        },
        { ...fast, shouldRetry: () => false },
      ),
    ).rejects.toThrow('permanent');
    expect(calls).toBe(1);
  });

  it('stops waiting when the signal aborts', async () => {
    const abort = new AbortController();
    const attempt = retryWithBackoff(
      async () => {
        abort.abort();
        throw new Error('stopped');
      },
      { initialDelayMs: 60_000, maxDelayMs: 60_000, signal: abort.signal },
    );
    await expect(attempt).rejects.toThrow('stopped');
  });
});

describe('sleep', () => {
  it('resolves false at once for an aborted signal', async () => {
    const abort = new AbortController();
    abort.abort();
    await expect(sleep(60_000, abort.signal)).resolves.toBe(false);
  });

  it('resolves false when aborted while waiting, true when it waited', async () => {
    const abort = new AbortController();
    const waiting = sleep(60_000, abort.signal);
    abort.abort();
    await expect(waiting).resolves.toBe(false);
    await expect(sleep(1)).resolves.toBe(true);
  });
});
