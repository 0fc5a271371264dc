import { type StoredEvent, type SubscribeOptions } from './event-store.port';

/** What an adapter gives {@link catchUpSubscription}. */
export interface CatchUpSource {
  /** Up to `maxCount` events with a position greater than `after`, in global order. */
  readAfter(after: number, maxCount: number): Promise<StoredEvent[]>;
  /**
   * Resolves when events after `after` may have been committed, or when the subscription should
   * look again for another reason (abort, close). Must not miss a commit made after the last read.
   */
  waitForEvents(after: number, signal: AbortSignal | undefined): Promise<void>;
  /** True once the store is closed: the subscription then ends. */
  isClosed(): boolean;
}

/**
 * A catch-up subscription: reads from `after` in batches, then waits for commits and reads again.
 *
 * Being an async generator gives back-pressure for free: the next read happens only when the
 * consumer asks for the next batch. The checkpoint advances to the last delivered position, so
 * batches have no gaps and no doubles as long as `readAfter` returns events in global order.
 */
export async function* catchUpSubscription(
  source: CatchUpSource,
  options: SubscribeOptions | undefined,
  defaultBatchSize: number,
): AsyncGenerator<readonly StoredEvent[], void, undefined> {
  let after = options?.after ?? 0;
  const signal = options?.signal;
  const maxBatchSize = options?.maxBatchSize ?? defaultBatchSize;
  while (!signal?.aborted && !source.isClosed()) {
    let batch: StoredEvent[];
    try {
      batch = await source.readAfter(after, maxBatchSize);
    } catch (error) {
      // Closing the store ends its subscriptions quietly; any other failure reaches the consumer.
      if (source.isClosed()) return;
      throw error;
    }
    if (signal?.aborted) return;
    if (batch.length > 0) {
      after = batch[batch.length - 1].position;
      yield batch;
      continue;
    }
    await source.waitForEvents(after, signal);
  }
}
