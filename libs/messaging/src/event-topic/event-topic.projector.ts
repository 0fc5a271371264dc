import { Logger } from '@nestjs/common';
import { type Admin, type Consumer, type EachBatchPayload, type IHeaders, Kafka, logLevel } from 'kafkajs';
import { createUpcaster, eventSchemaVersions, eventUpcasters, type UpcasterChain } from '@eddy/contracts';
import type { StoredEvent } from '@eddy/eventstore';
import {
  backoffDelay,
  type Backoff,
  counter,
  endFailed,
  gauge,
  retryWithBackoff,
  type Span,
  startSpan,
  traceOriginOf,
  tracingEnabled,
  type TraceOrigin,
} from '@eddy/observability';
import type { Projection, ViewStore } from '@eddy/projections';
import { decodeEventMessage, traceparentOfEventMessage } from './event-message';
import { groupWatermark, watermarkMetadata, watermarkOf } from './partition-watermarks';
import { StreamOrderApplier } from '@eddy/projections';

export interface EventTopicProjectorOptions {
  /** Kafka bootstrap servers (`EDDY_KAFKA_BROKERS`). */
  brokers: readonly string[];
  /** The event topic (`EDDY_KAFKA_EVENTS_TOPIC`). */
  topic: string;
  /** The consumer group the projectors share (`EDDY_KAFKA_PROJECTOR_GROUP`). */
  groupId: string;
  /**
   * The event types this projector reads, with their current schema versions and the upcasters from
   * older ones. Default: Eddy's own (`eventSchemaVersions`, `eventUpcasters` of `@eddy/contracts`).
   */
  events?: { schemaVersions: Readonly<Record<string, number>>; upcasters: UpcasterChain };
  /** Waits of a held partition before it is tried again. Default 1 s doubling to 30 s. */
  holdBackoff?: Backoff;
  /** Events applied (and their offsets committed) at most at once. Default 500. */
  maxBatchSize?: number;
  /**
   * Partitions whose batches are applied side by side (kafkajs's `partitionsConsumedConcurrently`);
   * each partition's own events stay in order. Default 8 (every partition of a topic of up to 8).
   */
  partitionsConcurrently?: number;
  /**
   * How long the group waits for a member that sends no heartbeat before it gives its partitions to
   * the others (kafkajs's `sessionTimeout`). Default 30,000 ms.
   */
  sessionTimeoutMs?: number;
}

/**
 * Codes of the projector's log lines and of `eddy_event_topic_errors_total`:
 * - `EVENTTOPIC-001`/`-002`: a message that is not an event of the relay (bad header, bad value):
 *   logged, counted and passed over; it can never become an event.
 * - `EVENTTOPIC-003`: an event of a type this projector does not know; `-004`: of a schema version
 *   newer than it knows (a newer writer): its partition is held at the event and tried again with
 *   back-off, the other partitions go on; nothing is skipped.
 * - `EVENTTOPIC-005`: the views could not be written (or an event did not apply): held the same way.
 * - `EVENTTOPIC-006`: the views' checkpoint could not be moved (tried again after the next batch).
 * - `EVENTTOPIC-010`: the brokers cannot be reached at start-up (tried again with back-off).
 * - `EVENTTOPIC-011`: the consumer stopped on an error kafkajs does not recover from (the group
 *   no longer knew this member when it committed, after a stall longer than the session timeout):
 *   it joins the group again, and what was not committed comes again.
 */
type HoldCode = 'EVENTTOPIC-003' | 'EVENTTOPIC-004' | 'EVENTTOPIC-005';

const errors = () =>
  counter('eddy_event_topic_errors_total', 'Problems of the Kafka projector, by code', ['code']);
const applied = () =>
  counter('eddy_event_topic_events_total', 'Events the Kafka projector applied to the views');
const heldGauge = () =>
  gauge('eddy_event_topic_held_partitions', 'Partitions of the event topic the projector holds');
const checkpointGauge = () =>
  gauge('eddy_event_topic_checkpoint', 'Position every partition of the event topic has been applied up to');

export interface EventTopicProjectorStatus {
  topic: string;
  groupId: string;
  /** The views' checkpoint the watermarks of every partition vouch for. */
  checkpoint: number;
  /** Events this member applied since it started (duplicates included). */
  applied: number;
  held: { partition: number; offset: string; code: HoldCode; message: string }[];
}

/**
 * The projector of the distributed layout: a member of a Kafka consumer group on the event topic
 * that applies each partition's events to the live views (see {@link StreamOrderApplier}) and
 * commits an offset only after the view writes of the events before it. Several instances share the
 * partitions; a rebalance or a restart re-delivers what was not committed, which changes nothing. The
 * partitions one instance holds are applied side by side, as several instances would: the writes are
 * conditional, the watermarks are per partition, the checkpoint moves one raise at a time.
 *
 * The relay's watermarks tell it, per partition, up to which position everything was applied; it
 * commits that watermark with the offset and moves the views' checkpoint to the lowest watermark of
 * the group (see `partition-watermarks.ts`).
 */
export class EventTopicProjector {
  private readonly logger = new Logger('EventTopicProjector');
  private readonly kafka: Kafka;
  private readonly applier: StreamOrderApplier;
  private readonly schemaVersions: Readonly<Record<string, number>>;
  private readonly holdBackoff: Backoff;
  private readonly stopping = new AbortController();
  /** The watermark each partition this member consumes has passed (cleared when the group rebalances). */
  private readonly watermarks = new Map<number, number>();
  private readonly held = new Map<number, EventTopicProjectorStatus['held'][number] & { failures: number }>();
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  private starting: Promise<void> | undefined;
  private joined!: () => void;
  private readonly joinedOnce = new Promise<void>((resolve) => (this.joined = resolve));
  private checkpoint = 0;
  private hasJoined = false;
  private appliedCount = 0;
  private raising: Promise<void> | undefined;
  private raiseAgain = false;

  constructor(
    private readonly options: EventTopicProjectorOptions,
    viewStore: ViewStore,
    projections: readonly Projection[],
  ) {
    this.kafka = new Kafka({
      clientId: `eddy-projector-${options.groupId}`,
      brokers: [...options.brokers],
      logLevel: logLevel.WARN,
    });
    const events = options.events ?? { schemaVersions: eventSchemaVersions, upcasters: eventUpcasters };
    this.schemaVersions = events.schemaVersions;
    this.applier = new StreamOrderApplier(
      viewStore,
      projections,
      createUpcaster(events.schemaVersions, events.upcasters),
    );
    this.holdBackoff = options.holdBackoff ?? { initialDelayMs: 1_000, maxDelayMs: 30_000 };
  }

  /** Joins the group in the background (trying again while the brokers cannot be reached). */
  start(): void {
    this.starting ??= this.join();
  }

  private join(): Promise<void> {
    return retryWithBackoff(() => this.connect(), {
      initialDelayMs: 1_000,
      maxDelayMs: 30_000,
      signal: this.stopping.signal,
      onRetry: (error, attempt, delay) => {
        errors().inc({ code: 'EVENTTOPIC-010' });
        this.logger.error(
          `EVENTTOPIC-010 Kafka brokers ${this.options.brokers.join(',')} cannot be reached: ${(error as Error).message}; attempt ${attempt + 1} in ${delay} ms`,
        );
      },
    }).catch((error: unknown) => {
      if (!this.stopping.signal.aborted)
        this.logger.error(`EVENTTOPIC-010 the projector gave up: ${String(error)}`);
    });
  }

  /**
   * kafkajs restarts its consumer after a retriable error by itself; after any other (it has
   * disconnected already) this member would consume nothing any more: it joins the group again.
   */
  private onCrash(consumer: Consumer, admin: Admin, error: Error, restart: boolean): void {
    if (restart || this.stopping.signal.aborted || this.consumer !== consumer) return;
    errors().inc({ code: 'EVENTTOPIC-011' });
    this.logger.error(
      `EVENTTOPIC-011 the consumer of ${this.options.topic} stopped: ${error.message}; it joins group ${this.options.groupId} again, what it had not committed comes again`,
    );
    void admin.disconnect().catch(() => undefined);
    const previous = this.starting ?? Promise.resolve();
    this.starting = previous.then(() => this.join());
  }

  /** Resolves once this member has joined the group for the first time. */
  joinedGroup(): Promise<void> {
    return this.joinedOnce;
  }

  /** For `/health/ready`: ready once this member has joined the group; the held partitions as detail. */
  readinessCheck(): { name: string; check(): Promise<{ ready: boolean; detail?: unknown }> } {
    return {
      name: 'event-topic-projector',
      check: async () => ({ ready: this.hasJoined, detail: this.status() }),
    };
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.starting;
    await this.consumer?.disconnect().catch(() => undefined);
    await this.raising;
    await this.admin?.disconnect().catch(() => undefined);
  }

  status(): EventTopicProjectorStatus {
    return {
      topic: this.options.topic,
      groupId: this.options.groupId,
      checkpoint: this.checkpoint,
      applied: this.appliedCount,
      held: [...this.held.values()].map(({ failures: _failures, ...h }) => h),
    };
  }

  private async connect(): Promise<void> {
    const admin = this.kafka.admin();
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      ...(this.options.sessionTimeoutMs ? { sessionTimeout: this.options.sessionTimeoutMs } : {}),
    });
    // Set before the first batch can arrive: the batch handler commits through them.
    this.admin = admin;
    this.consumer = consumer;
    try {
      await admin.connect();
      await consumer.connect();
      consumer.on(consumer.events.GROUP_JOIN, () => {
        // The assignment may have changed: what this member knew of its partitions is stale.
        this.watermarks.clear();
        this.held.clear();
        heldGauge().set(0);
        this.hasJoined = true;
        this.joined();
      });
      consumer.on(consumer.events.CRASH, ({ payload }) =>
        this.onCrash(consumer, admin, payload.error, payload.restart),
      );
      await consumer.subscribe({ topics: [this.options.topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        // One partition at a time, a batch of one waited for the view writes of the others.
        partitionsConsumedConcurrently: this.options.partitionsConcurrently ?? 8,
        eachBatch: (payload) => this.onBatch(payload),
      });
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      throw error;
    }
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, isRunning, isStale, heartbeat, pause } = payload;
    const { partition } = batch;
    const maxBatch = this.options.maxBatchSize ?? 500;
    let pending: StoredEvent[] = [];
    // A consumer span per traced pending event, ended once its view writes are done (or failed); the
    // writes carry each on to the change feed, by the event's position.
    let spans = new Map<number, TracedEvent>();
    let firstPendingOffset: string | undefined;
    let lastOffset: string | undefined;
    let passedWatermark: number | undefined;

    /** Writes what was read so far, then commits its offset with the watermark it passed. */
    const flush = async (): Promise<boolean> => {
      // A heartbeat after each view: on a slow view store the writes of a batch to every view can
      // take longer than the group's session, which would drop this member. A heartbeat that fails
      // (the group rebalances) is kafkajs's to handle, not a failed write.
      let heartbeatFailure: unknown;
      const beat = () => heartbeat().catch((error: unknown) => void (heartbeatFailure ??= error));
      try {
        await this.applier.apply(pending, beat, spans.size === 0 ? undefined : originsOf(spans));
        for (const { span } of spans.values()) span.end();
      } catch (error) {
        for (const { span } of spans.values()) endFailed(span, error);
        spans = new Map();
        this.hold(partition, firstPendingOffset ?? lastOffset!, 'EVENTTOPIC-005', describe(error), pause);
        return false;
      }
      if (heartbeatFailure !== undefined) throw heartbeatFailure;
      applied().inc(pending.length);
      this.appliedCount += pending.length;
      pending = [];
      spans = new Map();
      firstPendingOffset = undefined;
      if (lastOffset === undefined) return true;
      if (passedWatermark !== undefined) {
        this.watermarks.set(partition, Math.max(this.watermarks.get(partition) ?? 0, passedWatermark));
      }
      const watermark = this.watermarks.get(partition) ?? (await this.committedWatermark(partition));
      await this.consumer!.commitOffsets([
        {
          topic: batch.topic,
          partition,
          offset: (BigInt(lastOffset) + 1n).toString(),
          metadata: watermarkMetadata(watermark),
        },
      ]);
      payload.resolveOffset(lastOffset);
      lastOffset = undefined;
      this.released(partition);
      return true;
    };

    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      const decoded = decodeEventMessage(message);
      if (decoded.kind === 'bad') {
        errors().inc({ code: decoded.code });
        this.logger.error(
          `${decoded.code} topic ${batch.topic} partition ${partition} offset ${message.offset}: ${decoded.message}; not an event of the relay, passed over`,
        );
      } else if (decoded.kind === 'watermark') {
        passedWatermark = Math.max(passedWatermark ?? 0, decoded.position);
      } else {
        const problem = this.unreadable(decoded.event);
        if (problem) {
          if (await flush()) this.hold(partition, message.offset, problem.code, problem.message, pause);
          return;
        }
        pending.push(decoded.event);
        const span = this.projectSpan(message.headers, decoded.event, batch.topic, partition);
        if (span) spans.set(decoded.event.position, span);
        firstPendingOffset ??= message.offset;
      }
      lastOffset = message.offset;
      if (pending.length >= maxBatch) {
        if (!(await flush())) return;
        await heartbeat();
      }
    }
    if (await flush()) this.raiseCheckpoint();
  }

  /** The span of projecting a traced event into the views (undefined with tracing off or an untraced event). */
  private projectSpan(
    headers: IHeaders | undefined,
    event: StoredEvent,
    topic: string,
    partition: number,
  ): TracedEvent | undefined {
    const parent = tracingEnabled() ? traceparentOfEventMessage(headers, event) : undefined;
    if (parent === undefined) return undefined;
    const span = startSpan('project', {
      parent,
      correlationId: event.metadata.correlationId,
      kind: 'consumer',
      attributes: {
        'messaging.destination.name': topic,
        'messaging.destination.partition.id': String(partition),
        'eddy.event_type': event.type,
        'eddy.position': event.position,
      },
    })!;
    return { span, origin: traceOriginOf(span, event.metadata.correlationId)! };
  }

  /** Why this projector cannot read the event (a newer writer), or null. */
  private unreadable(event: StoredEvent): { code: HoldCode; message: string } | null {
    const known = this.schemaVersions[event.type];
    if (known === undefined) {
      return {
        code: 'EVENTTOPIC-003',
        message: `event ${event.id} at position ${event.position} has the unknown type ${event.type}`,
      };
    }
    if (event.schemaVersion > known) {
      return {
        code: 'EVENTTOPIC-004',
        message: `event ${event.id} at position ${event.position}: ${event.type} has schema version ${event.schemaVersion}, newer than the ${known} this projector reads`,
      };
    }
    return null;
  }

  /**
   * Holds a partition at `offset`: nothing from there on is applied or committed; the partition is
   * fetched again from that offset after a back-off, while the others go on.
   */
  private hold(
    partition: number,
    offset: string,
    code: HoldCode,
    message: string,
    pause: () => () => void,
  ): void {
    const failures = (this.held.get(partition)?.failures ?? 0) + 1;
    const delay = backoffDelay(this.holdBackoff, failures);
    this.held.set(partition, { partition, offset, code, message, failures });
    heldGauge().set(this.held.size);
    errors().inc({ code });
    this.logger.error(
      `${code} topic ${this.options.topic} partition ${partition} offset ${offset}: ${message}; the partition waits ${delay} ms (attempt ${failures}), the others go on`,
    );
    this.consumer!.seek({ topic: this.options.topic, partition, offset });
    const resume = pause();
    setTimeout(() => {
      if (!this.stopping.signal.aborted) resume();
    }, delay).unref();
  }

  private released(partition: number): void {
    const entry = this.held.get(partition);
    if (!entry) return;
    this.held.delete(partition);
    heldGauge().set(this.held.size);
    this.logger.log(
      `EVENTTOPIC-007 topic ${this.options.topic} partition ${partition} goes on after offset ${entry.offset}`,
    );
  }

  /** The watermark the group committed for a partition before this member took it over. */
  private async committedWatermark(partition: number): Promise<number> {
    const [topic] = await this.admin!.fetchOffsets({
      groupId: this.options.groupId,
      topics: [this.options.topic],
    });
    const committed = topic?.partitions.find((p) => p.partition === partition);
    const watermark = watermarkOf(committed?.metadata);
    if (!this.watermarks.has(partition)) this.watermarks.set(partition, watermark);
    return this.watermarks.get(partition)!;
  }

  /** Moves the views' checkpoint to the group's watermark, one move at a time. */
  private raiseCheckpoint(): void {
    if (this.raising) {
      this.raiseAgain = true;
      return;
    }
    this.raising = (async () => {
      do {
        this.raiseAgain = false;
        try {
          const [topic] = await this.admin!.fetchOffsets({
            groupId: this.options.groupId,
            topics: [this.options.topic],
          });
          const watermark = groupWatermark(topic?.partitions ?? []);
          if (watermark > this.checkpoint) {
            await this.applier.raiseCheckpoint(watermark);
            this.checkpoint = watermark;
            checkpointGauge().set(watermark);
          }
        } catch (error) {
          if (this.stopping.signal.aborted) return;
          errors().inc({ code: 'EVENTTOPIC-006' });
          this.logger.warn(`EVENTTOPIC-006 the views' checkpoint could not be moved: ${describe(error)}`);
        }
      } while (this.raiseAgain && !this.stopping.signal.aborted);
    })().finally(() => (this.raising = undefined));
  }
}

/** A traced event of a batch: its `project` span, and where the changes of its view writes continue it. */
interface TracedEvent {
  span: Span;
  origin: TraceOrigin;
}

function originsOf(spans: ReadonlyMap<number, TracedEvent>): Map<number, TraceOrigin> {
  return new Map([...spans].map(([position, { origin }]) => [position, origin]));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
