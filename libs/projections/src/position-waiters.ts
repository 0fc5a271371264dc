import { WaitForPositionTimeoutError } from './view-store.port';
import type { ViewName } from './view.types';

interface Waiter {
  position: number;
  views: readonly ViewName[];
  resolve: () => void;
}

/**
 * Read-your-writes for a view store: callers wait until every view they name has reached a
 * position; the store calls {@link wake} whenever a live checkpoint moved.
 */
export class PositionWaiters {
  private waiters: Waiter[] = [];

  /** @param reached the lowest live checkpoint of the given views, as the store knows it now. */
  constructor(private readonly reached: (views: readonly ViewName[]) => number) {}

  /** Resolves once `views` reached `position`; rejects with {@link WaitForPositionTimeoutError} after `timeoutMs`. */
  async wait(position: number, timeoutMs: number, views: readonly ViewName[]): Promise<void> {
    if (this.reached(views) >= position) return;
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        position,
        views,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new WaitForPositionTimeoutError(position, timeoutMs, this.reached(views)));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Resolves the waiters whose views have now reached their position. */
  wake(): void {
    if (this.waiters.length === 0) return;
    const pending: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (this.reached(waiter.views) >= waiter.position) waiter.resolve();
      else pending.push(waiter);
    }
    this.waiters = pending;
  }
}
