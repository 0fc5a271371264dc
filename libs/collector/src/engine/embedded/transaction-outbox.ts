import { type Logger } from '@nestjs/common';
import { backoffDelay, sleep } from '@eddy/observability';
import { EngineError } from '../engine.errors';
import { type EngineTransactionHandler, type Unsubscribe } from '../engine.port';
import { type EmbeddedEngineStore, type OutboxEntry } from './embedded-engine.store';

/** Back-off of redelivery after the handler rejected a transaction. */
export interface RedeliveryOptions {
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Transactions of different instances handed to the handler at once, by default. The collector's commands of
 * side-by-side transactions reach the event store in the same group commit (one fsync for all of them), where
 * one transaction at a time would pay a commit each.
 */
export const DEFAULT_DELIVERIES_IN_FLIGHT = 64;

/** Throws unless `handler` is a function and may become the one transaction handler (`current` is none). */
export function checkNewHandler(current: EngineTransactionHandler | null, handler: unknown): void {
  if (typeof handler !== 'function')
    throw new EngineError('INVALID_ARGUMENT', 'handler: a function is required');
  if (current)
    throw new EngineError('INVALID_ARGUMENT', 'handler: a transaction handler is already registered');
}

/**
 * The transactions stored but not yet acknowledged, delivered to the one handler: those of one process
 * instance one at a time in the order they were committed, those of different instances side by side (at
 * most `maxInFlight` at once, the instances in the order their transactions were committed). Each is
 * delivered until the handler accepts it, then removed from the store.
 *
 * A rejection stops new deliveries: once those under way have settled and the back-off has passed, the
 * instance of the oldest rejected transaction gets it again, alone; the first acceptance ends the back-off and
 * delivery goes on side by side. So a handler that keeps failing (the core is down) sees one attempt per
 * back-off, as with one transaction at a time.
 */
export class TransactionOutbox {
  /** Undelivered transactions by instance, each instance's in commit order. */
  private readonly queues = new Map<string, OutboxEntry[]>();
  /** Instances with a transaction to deliver and none under way, oldest first. */
  private readonly ready = new Set<string>();
  /** Instances whose transaction is with the handler now. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private entryCount = 0;
  private handler: EngineTransactionHandler | null = null;
  /** Rejections in a row, and the instance whose transaction is given again first. */
  private failures = 0;
  private retryFirst: string | null = null;
  private backingOff = false;
  private readonly stopped = new AbortController();

  constructor(
    private readonly store: EmbeddedEngineStore,
    private readonly redelivery: RedeliveryOptions,
    private readonly logger: Logger,
    private readonly maxInFlight = DEFAULT_DELIVERIES_IN_FLIGHT,
  ) {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1)
      throw new EngineError('INVALID_ARGUMENT', 'maxDeliveriesInFlight: a positive integer is required');
  }

  /** Transactions not yet acknowledged. */
  get size(): number {
    return this.entryCount;
  }

  /** Reads the stored entries (when the engine opens). */
  load(): void {
    for (const entry of this.store.loadOutbox()) this.enqueue(entry);
    this.pump();
  }

  /** Adds an entry whose step has been stored. */
  add(entry: OutboxEntry): void {
    this.enqueue(entry);
    this.pump();
  }

  onTransaction(handler: EngineTransactionHandler): Unsubscribe {
    checkNewHandler(this.handler, handler);
    this.handler = handler;
    this.pump();
    return () => {
      if (this.handler === handler) this.handler = null;
    };
  }

  /** Stops delivery; resolves once the transactions in hand (if any) are settled. */
  async close(): Promise<void> {
    this.stopped.abort();
    while (this.inFlight.size > 0) await Promise.all(this.inFlight.values());
  }

  private enqueue(entry: OutboxEntry): void {
    const instanceId = entry.tx.processInstanceId;
    const queue = this.queues.get(instanceId);
    if (queue) queue.push(entry);
    else this.queues.set(instanceId, [entry]);
    this.entryCount++;
    if (!this.inFlight.has(instanceId)) this.ready.add(instanceId);
  }

  /** Hands out what may go now: nothing while backing off, one instance's after a rejection, else up to the bound. */
  private pump(): void {
    if (this.stopped.signal.aborted || !this.handler || this.backingOff) return;
    if (this.retryFirst !== null) {
      if (this.inFlight.size === 0) this.deliver(this.retryFirst);
      return;
    }
    for (const instanceId of this.ready) {
      if (this.inFlight.size >= this.maxInFlight) return;
      this.deliver(instanceId);
    }
  }

  private deliver(instanceId: string): void {
    const handler = this.handler!;
    const entry = this.queues.get(instanceId)![0];
    this.ready.delete(instanceId);
    const delivery = settle(() => handler(entry.tx)).then(
      () => this.accepted(instanceId, entry),
      (error: unknown) => this.rejected(instanceId, entry, error),
    );
    this.inFlight.set(instanceId, delivery);
  }

  private accepted(instanceId: string, entry: OutboxEntry): void {
    this.inFlight.delete(instanceId);
    const queue = this.queues.get(instanceId)!;
    queue.shift();
    this.entryCount--;
    if (queue.length === 0) this.queues.delete(instanceId);
    else this.ready.add(instanceId);
    if (this.retryFirst === instanceId) this.retryFirst = null;
    this.failures = 0;
    if (this.stopped.signal.aborted) return;
    this.store.acknowledge(entry.seq);
    this.pump();
  }

  private rejected(instanceId: string, entry: OutboxEntry, error: unknown): void {
    this.inFlight.delete(instanceId);
    // The entry stays first of its instance; the instance waits for the back-off like the others.
    if (this.stopped.signal.aborted) return;
    if (this.retryFirst === null) this.retryFirst = instanceId;
    else if (this.retryFirst !== instanceId) this.ready.add(instanceId);
    const reason = (error as Error).message;
    if (this.backingOff) {
      this.logger.warn(
        `ENGINE-040 transaction ${entry.tx.id}: handler failed, redelivered after the back-off under way: ${reason}`,
      );
      return;
    }
    this.failures++;
    const delay = backoffDelay(
      {
        initialDelayMs: this.redelivery.initialDelayMs ?? 200,
        maxDelayMs: this.redelivery.maxDelayMs ?? 30_000,
      },
      this.failures,
    );
    this.logger.warn(
      `ENGINE-040 transaction ${entry.tx.id}: handler failed, redelivering in ${delay} ms: ${reason}`,
    );
    this.backingOff = true;
    void sleep(delay, this.stopped.signal).then(() => {
      this.backingOff = false;
      this.pump();
    });
  }
}

/** The handler's promise, or its synchronous throw as a rejection. */
function settle(call: () => Promise<void>): Promise<void> {
  try {
    return call();
  } catch (error) {
    return Promise.reject(error);
  }
}
