/**
 * Retrying with back-off: the one place that says how long to wait before the next attempt and how to
 * wait for it. The engine's redelivery and service task retries, the engine client, the projection worker
 * and the PostgreSQL event store's wait for held-back events all use it.
 */

/** Exponential back-off: `initialDelayMs` before the second attempt, doubling up to `maxDelayMs`. */
export interface Backoff {
  initialDelayMs: number;
  maxDelayMs: number;
}

/** The wait after the `failures`-th failure in a row (1 for the first): initial, doubling, capped. */
export function backoffDelay(backoff: Backoff, failures: number): number {
  const exponent = Math.max(0, failures - 1);
  return Math.min(backoff.maxDelayMs, backoff.initialDelayMs * 2 ** exponent);
}

/** Resolves true after `ms`, or false as soon as `signal` aborts (at once when it already has). */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryOptions extends Backoff {
  /** Attempts in all, the first included. Default unbounded. */
  maxAttempts?: number;
  /** Stops waiting for the next attempt: the last error is thrown. */
  signal?: AbortSignal;
  /** Whether a failure is worth another attempt; default every failure is. */
  shouldRetry?: (error: unknown, attempt: number) => boolean;
  /** Told before each wait, for the log line of the caller. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Calls `call` until it resolves, waiting {@link backoffDelay} between attempts. Rejects with the last error
 * once `shouldRetry` says no, the attempts are spent or `signal` aborts.
 */
export async function retryWithBackoff<T>(
  call: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const maxAttempts = options.maxAttempts ?? Infinity;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(attempt);
    } catch (error) {
      if (attempt >= maxAttempts || options.signal?.aborted) throw error;
      if (options.shouldRetry && !options.shouldRetry(error, attempt)) throw error;
      const delay = backoffDelay(options, attempt);
      options.onRetry?.(error, attempt, delay);
      if (!(await sleep(delay, options.signal))) throw error;
    }
  }
}
