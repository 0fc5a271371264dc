import { type Logger } from '@nestjs/common';
import { retryWithBackoff } from '@eddy/observability';
import { EngineError } from '../engine.errors';
import { type EngineTransactionHandler, type Unsubscribe } from '../engine.port';
import { type EmbeddedEngineStore, type OutboxEntry } from './embedded-engine.store';

const UNSUBSCRIBED = new Error('the transaction handler was unsubscribed');

/** Back-off of redelivery after the handler rejected a transaction. */
export interface RedeliveryOptions {
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * The transactions stored but not yet acknowledged, delivered to the one handler in the order they were
 * committed: each until the handler accepts it (a rejection is delivered again with back-off), then removed
 * from the store.
 */
export class TransactionOutbox {
  private readonly entries: OutboxEntry[] = [];
  private handler: EngineTransactionHandler | null = null;
  private delivering: Promise<void> | null = null;
  private wakeDelivery: (() => void) | null = null;
  private readonly stopped = new AbortController();

  constructor(
    private readonly store: EmbeddedEngineStore,
    private readonly redelivery: RedeliveryOptions,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.entries.length;
  }

  /** Reads the stored entries (when the engine opens). */
  load(): void {
    this.entries.push(...this.store.loadOutbox());
  }

  /** Adds an entry whose step has been stored. */
  add(entry: OutboxEntry): void {
    this.entries.push(entry);
    this.wake();
  }

  onTransaction(handler: EngineTransactionHandler): Unsubscribe {
    if (typeof handler !== 'function')
      throw new EngineError('INVALID_ARGUMENT', 'handler: a function is required');
    if (this.handler)
      throw new EngineError('INVALID_ARGUMENT', 'handler: a transaction handler is already registered');
    this.handler = handler;
    this.delivering ??= this.deliveryLoop();
    this.wake();
    return () => {
      if (this.handler === handler) this.handler = null;
    };
  }

  /** Stops delivery; resolves once the transaction in hand (if any) is settled. */
  async close(): Promise<void> {
    this.stopped.abort();
    this.wake();
    await this.delivering;
  }

  private async deliveryLoop(): Promise<void> {
    const signal = this.stopped.signal;
    while (!signal.aborted) {
      const entry = this.entries[0];
      const handler = this.handler;
      if (!entry || !handler) {
        await new Promise<void>((resolve) => (this.wakeDelivery = resolve));
        continue;
      }
      try {
        await retryWithBackoff(
          async () => {
            // Unsubscribed while redelivering: the entry waits for the next handler.
            if (this.handler !== handler) throw UNSUBSCRIBED;
            await handler(entry.tx);
          },
          {
            initialDelayMs: this.redelivery.initialDelayMs ?? 200,
            maxDelayMs: this.redelivery.maxDelayMs ?? 30_000,
            signal,
            shouldRetry: (error) => error !== UNSUBSCRIBED,
            onRetry: (error, _attempt, delay) =>
              this.logger.warn(
                `ENGINE-040 transaction ${entry.tx.id}: handler failed, redelivering in ${delay} ms: ${(error as Error).message}`,
              ),
          },
        );
      } catch {
        continue; // stopped or unsubscribed while redelivering: the entry stays stored
      }
      this.entries.shift();
      if (!signal.aborted) this.store.acknowledge(entry.seq);
    }
  }

  private wake(): void {
    const wake = this.wakeDelivery;
    if (wake) {
      this.wakeDelivery = null;
      wake();
    }
  }
}
