import { Logger } from '@nestjs/common';
import { type Admin, Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import {
  type CheckpointReset,
  CheckpointMismatchError,
  checkCheckpoint,
  type EventStore,
} from '@eddy/eventstore';
import { backoffDelay, type Backoff, counter, sleep } from '@eddy/observability';
import { eventMessage, watermarkMessage } from '../event-topic/event-message';
import { startSpan, traceparentOf } from '@eddy/observability';
import { RelayCheckpointStore } from './relay.checkpoint-store';
import { type Lease, RelayLease } from './relay.lease';

export interface EventRelayOptions {
  /** Kafka bootstrap servers (`EDDY_KAFKA_BROKERS`). */
  brokers: readonly string[];
  /** The event topic (`EDDY_KAFKA_EVENTS_TOPIC`). */
  topic: string;
  /** The event store's PostgreSQL database: the lease and the checkpoint live there. */
  postgres: { url: string; schema?: string };
  /** Name of the relay's lease and checkpoint. Default `relay`. */
  name?: string;
  /** Where a checkpoint of another store goes on from (`EDDY_CHECKPOINT_RESET`); unset: the relay stops. */
  checkpointReset?: CheckpointReset;
  /** Largest batch read from the event store and sent at once. Default 500. */
  maxBatchSize?: number;
  /** How often a standby tries to take over. Default 1,000 ms. */
  standbyPollMs?: number;
  /** Waits after a failure before the next try. Default 500 ms doubling to 10 s. */
  backoff?: Backoff;
  /** How long the partition count of the topic is kept before it is read again. Default 30 s. */
  metadataMaxAgeMs?: number;
}

export type RelayRole = 'active' | 'standby' | 'starting' | 'stopped';

/** The relay as the admin API and the metrics show it. */
export interface RelayStatus {
  role: RelayRole;
  topic: string;
  /** Every event at or below it has been acknowledged by the broker (this process's view). */
  position: number;
  headPosition: number;
  /** Events of the store not yet published: `headPosition - position` (0 on a standby: the active one knows). */
  lag: number;
  lastError?: { code: string; message: string; at: string };
}

const relayErrors = () => counter('eddy_relay_errors_total', 'Failures of the relay, by code', ['code']);
const relayEvents = () =>
  counter('eddy_relay_events_total', 'Events the relay published and the broker acknowledged');

/**
 * The relay: publishes the event store's global log to the event topic, at least once, in log order,
 * each event keyed by its stream id (Kafka keeps the order of a stream), followed in each send by a
 * watermark message to every partition (see `event-message.ts`).
 *
 * Exactly one relay publishes at a time: it holds a PostgreSQL advisory lock (the {@link RelayLease});
 * others stand by and take over within `standbyPollMs` of its death. The producer is idempotent
 * (retries do not double a message); the checkpoint moves only after the broker acknowledged a
 * batch, so a relay that dies in between publishes that batch again from its successor: consumers
 * see duplicates, never gaps.
 */
export class EventRelay {
  private readonly logger = new Logger('EventRelay');
  private readonly kafka: Kafka;
  private readonly lease: RelayLease;
  private readonly checkpoints: RelayCheckpointStore;
  private readonly stopping = new AbortController();
  private readonly backoff: Backoff;
  private producer: Producer | undefined;
  private admin: Admin | undefined;
  private partitions: { count: number; readAt: number } | undefined;
  private loop: Promise<void> | undefined;
  private role: RelayRole = 'starting';
  private position = 0;
  private lastError: RelayStatus['lastError'];

  constructor(
    private readonly store: EventStore,
    private readonly options: EventRelayOptions,
  ) {
    this.kafka = new Kafka({
      clientId: `eddy-relay-${options.name ?? 'relay'}`,
      brokers: [...options.brokers],
      logLevel: logLevel.WARN,
    });
    this.lease = new RelayLease({
      connectionString: options.postgres.url,
      schema: options.postgres.schema,
      name: options.name,
      pollMs: options.standbyPollMs,
    });
    this.checkpoints = new RelayCheckpointStore(this.lease.schema, this.lease.name);
    this.backoff = options.backoff ?? { initialDelayMs: 500, maxDelayMs: 10_000 };
  }

  /** Starts standing by, then publishing once this process holds the lease. Returns at once. */
  start(): void {
    if (this.loop) return;
    this.loop = this.run();
  }

  /** Stops publishing and releases the lease; the batch in flight is acknowledged or abandoned. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    await this.producer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    this.role = 'stopped';
  }

  /**
   * For `/health/ready`: ready once this relay publishes or stands by (it reached the database and
   * knows who holds the lease); the status as detail.
   */
  readinessCheck(): { name: string; check(): Promise<{ ready: boolean; detail?: unknown }> } {
    return {
      name: 'relay',
      check: async () => {
        const status = await this.status();
        return { ready: status.role === 'active' || status.role === 'standby', detail: status };
      },
    };
  }

  async status(): Promise<RelayStatus> {
    const headPosition = await this.store.headPosition();
    return {
      role: this.role,
      topic: this.options.topic,
      position: this.position,
      headPosition,
      lag: this.role === 'active' ? Math.max(0, headPosition - this.position) : 0,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    let failures = 0;
    while (!signal.aborted) {
      let lease: Lease | undefined;
      try {
        lease = await this.lease.acquire(signal, () => {
          this.role = 'standby';
          this.logger.log(`RELAY-002 relay ${this.lease.name}: another process publishes; standing by`);
        });
        this.role = 'active';
        await this.publish(lease, () => (failures = 0));
      } catch (error) {
        if (signal.aborted) break;
        failures++;
        this.fail(error);
        await sleep(backoffDelay(this.backoff, failures), signal);
      } finally {
        await lease?.release();
        if (this.role === 'active') this.role = 'standby';
      }
    }
  }

  /** Publishes from the checkpoint until the lease is lost or the relay stops. */
  private async publish(lease: Lease, onProgress: () => void): Promise<void> {
    const producer = await this.connectedProducer();
    const stored = await this.checkpoints.read(lease.client);
    const checked = await checkCheckpoint(
      this.store,
      `relay ${this.lease.name}`,
      stored,
      this.options.checkpointReset,
    );
    if (checked.reset || stored?.storeIdentity !== checked.checkpoint.storeIdentity) {
      await this.checkpoints.write(lease.client, checked.checkpoint, checked.reset);
    }
    this.position = checked.position;
    this.logger.log(
      `RELAY-001 relay ${this.lease.name} is active: publishes to ${this.options.topic} after position ${this.position}`,
    );
    const signal = AbortSignal.any([this.stopping.signal, lease.lost]);
    for await (const batch of this.store.subscribeToAll({
      after: this.position,
      maxBatchSize: this.options.maxBatchSize ?? 500,
      signal,
    })) {
      if (signal.aborted) break;
      const last = batch[batch.length - 1].position;
      const partitions = await this.partitionCount();
      // One producer span per traced event, continuing the command's trace from the event metadata.
      const spans = batch.map((event) =>
        event.metadata.traceparent === undefined
          ? undefined
          : startSpan('relay publish', {
              parent: event.metadata.traceparent,
              correlationId: event.metadata.correlationId,
              kind: 'producer',
              attributes: {
                'messaging.destination.name': this.options.topic,
                'eddy.position': event.position,
              },
            }),
      );
      try {
        await kafkaCall('send', () =>
          producer.send({
            topic: this.options.topic,
            acks: -1,
            messages: [
              ...batch.map((event, i) => eventMessage(event, traceparentOf(spans[i]))),
              ...Array.from({ length: partitions }, (_, p) => watermarkMessage(last, p)),
            ],
          }),
        );
      } finally {
        for (const span of spans) span?.end();
      }
      await this.checkpoints.write(lease.client, {
        position: last,
        storeIdentity: checked.checkpoint.storeIdentity,
      });
      this.position = last;
      relayEvents().inc(batch.length);
      onProgress();
    }
    if (lease.lost.aborted && !this.stopping.signal.aborted) {
      throw new RelayError('RELAY-004', `lease lost: ${String((lease.lost.reason as Error)?.message)}`);
    }
  }

  private async connectedProducer(): Promise<Producer> {
    if (this.producer) return this.producer;
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await kafkaCall(`connect to ${this.options.brokers.join(',')}`, () => producer.connect());
    this.producer = producer;
    return producer;
  }

  /** The topic's partition count (each gets the watermarks); creates the topic when it is missing. */
  private partitionCount(): Promise<number> {
    return kafkaCall(`read the partitions of ${this.options.topic}`, () => this.readPartitionCount());
  }

  private async readPartitionCount(): Promise<number> {
    const maxAge = this.options.metadataMaxAgeMs ?? 30_000;
    if (this.partitions && Date.now() - this.partitions.readAt < maxAge) return this.partitions.count;
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    const topics = await this.admin.listTopics();
    if (!topics.includes(this.options.topic)) {
      await this.admin.createTopics({ topics: [{ topic: this.options.topic }], waitForLeaders: true });
    }
    const metadata = await this.admin.fetchTopicMetadata({ topics: [this.options.topic] });
    const count = metadata.topics[0]?.partitions.length ?? 0;
    if (count === 0) throw new Error(`topic ${this.options.topic} has no partitions`);
    this.partitions = { count, readAt: Date.now() };
    return count;
  }

  private fail(error: unknown): void {
    const code =
      error instanceof CheckpointMismatchError
        ? 'RELAY-006'
        : error instanceof RelayError
          ? error.code
          : 'RELAY-005';
    const message = error instanceof Error ? error.message : String(error);
    this.lastError = { code, message, at: new Date().toISOString() };
    relayErrors().inc({ code });
    this.logger.error(`${code} relay ${this.lease.name}: ${message}; trying again`);
  }
}

/** A failure of the relay with its log code: `RELAY-003` Kafka, `RELAY-004` the lease. */
class RelayError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RelayError';
  }
}

/** Runs a call to the broker; its failure becomes `RELAY-003` naming what was tried. */
async function kafkaCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new RelayError('RELAY-003', `Kafka: cannot ${what}: ${(error as Error).message}`);
  }
}
