/**
 * In-process wake-up of live subscriptions after a commit.
 *
 * A waiter names the last position it has seen; it is woken at once when the notifier already
 * knows a later one, so a commit between the waiter's last read and its call to `waitBeyond` is
 * never missed (no lost wake-up, no polling).
 */
export class CommitNotifier {
  private known = 0;
  private closed = false;
  private readonly waiters = new Set<() => void>();

  /** The highest position announced so far. */
  get latest(): number {
    return this.known;
  }

  /** Announces that events up to `position` are committed and wakes every waiter. */
  notify(position: number): void {
    if (position > this.known) this.known = position;
    this.wakeAll();
  }

  /** Wakes every waiter without announcing a position (e.g. after a lost connection). */
  wakeAll(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  /**
   * Resolves when a position greater than `after` is announced, when `signal` aborts, when the
   * notifier closes, or after `timeoutMs` when given. Never rejects.
   */
  waitBeyond(after: number, signal?: AbortSignal, timeoutMs?: number): Promise<void> {
    if (this.closed || this.known > after || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      };
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
      if (timeoutMs !== undefined) timer = setTimeout(done, timeoutMs);
    });
  }

  /** Wakes every waiter for good: later waits resolve at once. */
  close(): void {
    this.closed = true;
    this.wakeAll();
  }
}
