import { Logger } from '@nestjs/common';
import { upcastEvent } from '@eddy/contracts';
import type { EventStore, StoredEvent } from '@eddy/eventstore';
import {
  backoffDelay,
  endFailed,
  sleep,
  startSpan,
  traceOriginOf,
  tracingEnabled,
  type Span,
  type TraceOrigin,
  withCorrelationId,
} from '@eddy/observability';
import { applyFrozen, type Projection } from '../projection';
import {
  LIVE_COPY,
  type StoredViewDocument,
  type ViewCopy,
  type ViewStore,
  type ViewWrite,
} from '../view-store.port';
import type { ViewName } from '../view.types';
import { viewWriteOf } from '../view-write';

/** How a failing event is retried before the projection stops in the `failed` state. */
export interface RetryPolicy {
  /** Retries after the first failure. Default 5. */
  attempts: number;
  /** Delay before the first retry; doubles with each retry. Default 100 ms. */
  initialDelayMs: number;
  /** Longest delay between retries. Default 5,000 ms. */
  maxDelayMs: number;
}

export interface ProjectionWorkerOptions {
  /** Largest batch read from the event store. Default 1,000. */
  batchSize?: number;
  retry?: Partial<RetryPolicy>;
  /** Applied to every event before the projection sees it. Default `upcastEvent` of `@eddy/contracts`. */
  upcast?: (event: StoredEvent) => StoredEvent;
}

export interface ProjectionFailure {
  /** Global position of the event that could not be applied. */
  position: number;
  message: string;
  /** ISO time of the failure. */
  at: string;
}

export type WorkerState = 'idle' | 'running' | 'stopped' | 'failed';

const RATE_WINDOW_MS = 10_000;

/**
 * Runs one projection into one copy of its view: reads events in batches (from a live
 * subscription, or up to a given position for a rebuild), applies them to the documents they
 * change, writes the documents and only then the checkpoint.
 */
export class ProjectionWorker<V extends ViewName = ViewName> {
  private readonly logger = new Logger('ProjectionWorker');
  private readonly batchSize: number;
  private readonly retry: RetryPolicy;
  private readonly upcast: (event: StoredEvent) => StoredEvent;
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private samples: { at: number; events: number }[] = [];

  position = 0;
  state: WorkerState = 'idle';
  failure: ProjectionFailure | undefined;

  constructor(
    readonly projection: Projection<V>,
    readonly target: ViewCopy<V>,
    private readonly eventStore: EventStore,
    private readonly viewStore: ViewStore,
    options: ProjectionWorkerOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 1_000;
    this.retry = { attempts: 5, initialDelayMs: 100, maxDelayMs: 5_000, ...options.retry };
    this.upcast = options.upcast ?? upcastEvent;
  }

  /** Reads the copy's checkpoint: where this worker goes on from. */
  async init(): Promise<void> {
    this.position = await this.viewStore.readCheckpoint(this.target);
  }

  /** Subscribes to the global log after the checkpoint and stays live until {@link stop}. */
  start(): void {
    if (this.loop) return;
    const abort = new AbortController();
    this.abort = abort;
    this.state = 'running';
    this.failure = undefined;
    this.loop = this.run(abort.signal).finally(() => {
      this.loop = undefined;
      if (this.state === 'running') this.state = 'stopped';
    });
  }

  /** Stops the subscription; resolves when the batch in hand is written (or abandoned in a back-off). */
  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
    if (this.state !== 'failed') this.state = 'stopped';
  }

  /**
   * Processes the log up to `upTo` (inclusive) without subscribing: for rebuilds that must stop at
   * an exact position. Returns false when the projection failed.
   */
  async catchUpTo(upTo: number, signal?: AbortSignal): Promise<boolean> {
    while (this.position < upTo && !signal?.aborted) {
      const events = (
        await this.eventStore.readAll({
          after: this.position,
          maxCount: Math.min(this.batchSize, upTo - this.position),
        })
      ).filter((e) => e.position <= upTo);
      if (events.length === 0) break;
      if (!(await this.processBatch(events, signal))) return false;
    }
    return this.state !== 'failed';
  }

  /**
   * Applies events that the caller read (a catch-up shared by several projections); events at or
   * below the worker's position are skipped. Returns false when the projection failed.
   */
  async feed(events: readonly StoredEvent[], signal?: AbortSignal): Promise<boolean> {
    if (this.state === 'failed') return false;
    if (this.state === 'idle' || this.state === 'stopped') this.state = 'running';
    return this.processBatch(events, signal);
  }

  /** Events applied per second over the last ten seconds. */
  eventsPerSecond(now = Date.now()): number {
    this.samples = this.samples.filter((s) => now - s.at <= RATE_WINDOW_MS);
    if (this.samples.length === 0) return 0;
    const events = this.samples.reduce((sum, s) => sum + s.events, 0);
    const span = Math.max(1_000, now - this.samples[0].at);
    return Math.round((events * 1_000) / span);
  }

  private async run(signal: AbortSignal): Promise<void> {
    try {
      for await (const batch of this.eventStore.subscribeToAll({
        after: this.position,
        maxBatchSize: this.batchSize,
        signal,
      })) {
        if (signal.aborted) return;
        if (!(await this.processBatch(batch, signal))) return;
      }
    } catch (error) {
      if (signal.aborted) return;
      this.fail(this.position + 1, error);
    }
  }

  /** Applies a batch, retrying the event that fails with back-off. False when it kept failing. */
  private async processBatch(batch: readonly StoredEvent[], signal?: AbortSignal): Promise<boolean> {
    const events = batch.filter((e) => e.position > this.position);
    let start = 0;
    let attempt = 0;
    while (start < events.length) {
      const outcome = await this.applyAndCommit(events, start);
      if (outcome.next > start) attempt = 0;
      start = outcome.next;
      if (outcome.error === undefined) continue;
      attempt++;
      const failing = events[start];
      if (attempt > this.retry.attempts) {
        this.fail(failing.position, outcome.error);
        return false;
      }
      const delay = backoffDelay(this.retry, attempt);
      // The line says the correlation id of the failing event's command.
      withCorrelationId(failing.metadata.correlationId, () =>
        this.logger.warn(
          `PROJECTION-002 projection ${this.target.view} (${this.target.copy}) position ${failing.position}: ${describe(outcome.error)}; retry ${attempt}/${this.retry.attempts} in ${delay} ms`,
        ),
      );
      if (!(await sleep(delay, signal))) return true; // stopped while waiting: nothing was skipped
    }
    return true;
  }

  /**
   * Applies `events[start..]` and writes what changed with the checkpoint of the last event that
   * applied. On a failure, the events before the failing one are still written. With tracing on, each
   * traced event that changed a document is projected in a span `project <view>` (continuing the
   * command's trace from the event metadata) that lasts until the write, and the write carries it on to
   * the change feed.
   */
  private async applyAndCommit(
    events: readonly StoredEvent[],
    start: number,
  ): Promise<{ next: number; error?: unknown }> {
    const prepared: { event: StoredEvent; id: string | null }[] = [];
    let error: unknown;
    for (let i = start; i < events.length; i++) {
      try {
        const event = this.upcast(events[i]);
        prepared.push({ event, id: this.projection.documentId(event) });
      } catch (e) {
        error = e;
        break;
      }
    }
    let loaded: Map<string, StoredViewDocument<V>>;
    try {
      const ids = [...new Set(prepared.map((p) => p.id).filter((id): id is string => id !== null))];
      loaded = ids.length > 0 ? await this.viewStore.load(this.target, ids) : new Map();
    } catch (e) {
      return { next: start, error: e };
    }
    const working = new Map<string, StoredViewDocument<V> | undefined>();
    const changed = new Set<string>();
    // A rebuild (a fresh copy) re-reads old events: only the live view continues their traces.
    const traced =
      tracingEnabled() && this.target.copy === LIVE_COPY ? new TracedWrites(this.target.view) : null;
    let applied = 0;
    for (const { event, id } of prepared) {
      if (id !== null) {
        try {
          const current = working.has(id) ? working.get(id) : loaded.get(id);
          const next = applyFrozen(this.projection, current, event);
          if (next !== current) {
            working.set(id, next);
            changed.add(id);
            traced?.changed(id, event);
          }
        } catch (e) {
          error = e;
          break;
        }
      }
      applied++;
    }
    if (applied === 0) return { next: start, error };
    const writes: ViewWrite<V>[] = [];
    for (const id of changed) {
      const stored = working.get(id);
      if (stored) writes.push(viewWriteOf(id, stored, traced?.of(id)));
    }
    const checkpoint = events[start + applied - 1].position;
    try {
      await this.viewStore.commit(this.target, { writes, checkpoint });
    } catch (e) {
      traced?.end(e);
      return { next: start, error: e };
    }
    traced?.end();
    this.position = checkpoint;
    this.samples.push({ at: Date.now(), events: applied });
    if (this.samples.length > 1_000) this.samples.splice(0, this.samples.length - 1_000);
    return { next: start + applied, error };
  }

  private fail(position: number, error: unknown): void {
    this.state = 'failed';
    this.failure = { position, message: describe(error), at: new Date().toISOString() };
    this.logger.error(
      `PROJECTION-003 projection ${this.target.view} (${this.target.copy}) stopped at position ${position}: ${this.failure.message}`,
    );
    this.abort?.abort();
  }
}

/** The `project <view>` spans of one batch's traced events, and the trace of each document they wrote. */
class TracedWrites {
  private readonly spans: Span[] = [];
  private readonly byEvent = new Map<StoredEvent, TraceOrigin | undefined>();
  private readonly byDocument = new Map<string, TraceOrigin>();

  constructor(private readonly view: ViewName) {}

  /** `event` changed document `id`: the write continues the event's span. */
  changed(id: string, event: StoredEvent): void {
    let origin = this.byEvent.get(event);
    if (!this.byEvent.has(event)) {
      const { traceparent, correlationId } = event.metadata;
      const span =
        traceparent === undefined
          ? undefined
          : startSpan(`project ${this.view}`, {
              parent: traceparent,
              correlationId,
              kind: 'consumer',
              attributes: { 'eddy.event_type': event.type, 'eddy.position': event.position },
            });
      if (span) this.spans.push(span);
      origin = span && traceOriginOf(span, correlationId);
      this.byEvent.set(event, origin);
    }
    if (origin) this.byDocument.set(id, origin);
    else this.byDocument.delete(id);
  }

  of(id: string): TraceOrigin | undefined {
    return this.byDocument.get(id);
  }

  /** The write is done (or failed with `error`). */
  end(error?: unknown): void {
    for (const span of this.spans) {
      if (error === undefined) span.end();
      else endFailed(span, error);
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
