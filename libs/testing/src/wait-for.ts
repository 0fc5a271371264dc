/** How long `waitFor` retries, and how often. */
export interface WaitForOptions {
  /** Milliseconds before the last failure is thrown (default 1,000). */
  timeout?: number;
  /** Milliseconds between two tries (default 50). */
  interval?: number;
}

/**
 * Runs `check` until it neither throws nor rejects, and returns what it returned; when `timeout`
 * passes first, throws the last failure. For states that no event announces (a spy being called, a
 * value read over HTTP): where an event can be awaited, await it instead.
 */
export async function waitFor<T>(check: () => T | Promise<T>, options: WaitForOptions = {}): Promise<T> {
  const { timeout = 1_000, interval = 50 } = options;
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
