import type { BeforeApplicationShutdown, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Backoff } from '@eddy/observability';
import {
  Kafka,
  logLevel,
  Partitioners,
  type Consumer,
  type EachMessagePayload,
  type Producer,
} from 'kafkajs';
import { runCommittingConsumer, type ConsumerFailures } from './committing-consumer';
import { DEFAULT_CONNECT_BACKOFF } from './command-topic.options';
import { kafkajsLog } from './kafkajs-log';

/** What one consumer of commands or requests reads, how it is told apart in the log, and what handles its messages. */
export interface ConsumerLifecycleOptions {
  clientId: string;
  brokers: string[];
  topic: string;
  groupId: string;
  /** How long one fetch waits for new messages (kafkajs's default when absent). */
  maxWaitTimeInMs?: number;
  partitionsConsumedConcurrently?: number;
  /** Back-off of connecting to the brokers at start (default {@link DEFAULT_CONNECT_BACKOFF}). */
  connectBackoff?: Backoff;
  logger: Logger;
  /** `<prefix>-001` consuming, `-002` cannot connect, `-003` crashed, `-004` stopped, `-020` kafkajs's own lines. */
  failures: ConsumerFailures;
  /** What the `-004` line calls it: `the command topic consumer`. */
  name: string;
  /** The rest of the `-001` line, said once it consumes. */
  consuming: string;
  /**
   * The handler of each message, made once at start with the producer of its answers; `signal` aborts
   * when the application shuts down. Its offset is committed once it resolves.
   */
  handler(producer: Producer, signal: AbortSignal): (payload: EachMessagePayload) => Promise<void>;
  /** Releases what the handler holds, after the consumer and the producer disconnected. */
  released?(): void;
}

/**
 * The Nest lifecycle of a committing consumer (`committing-consumer.ts`): starts in the background once
 * the application is up, so that brokers that cannot be reached delay only the consumer
 * (`<prefix>-002`) and not the process; {@link ready} once it joined its group; on shutdown stops taking
 * messages, lets the one being handled finish, and disconnects. The command topic's consumer and the
 * collector's engine requests consumer are both one.
 */
export abstract class ConsumerLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly stopping = new AbortController();
  private producer: Producer | null = null;
  private consumer: Consumer | null = null;
  private running: Promise<void> | null = null;
  private joined!: () => void;
  /** Resolves once the consumer has joined its group and was given its partitions. */
  readonly ready = new Promise<void>((resolve) => (this.joined = resolve));

  protected constructor(private readonly lifecycle: ConsumerLifecycleOptions) {}

  onApplicationBootstrap(): void {
    const { logger, failures, name } = this.lifecycle;
    this.running = this.run().catch((error: unknown) => {
      if (this.stopping.signal.aborted) return;
      failures.count(`${failures.codePrefix}-004`);
      logger.error(`${failures.codePrefix}-004 ${name} stopped: ${String(error)}`);
    });
  }

  private async run(): Promise<void> {
    const options = this.lifecycle;
    const { codePrefix } = options.failures;
    const kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: logLevel.WARN,
      logCreator: kafkajsLog(options.logger, `${codePrefix}-020`),
    });
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const consumer = kafka.consumer({ groupId: options.groupId, maxWaitTimeInMs: options.maxWaitTimeInMs });
    this.producer = producer;
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => this.joined());
    await runCommittingConsumer({
      consumer,
      producer,
      topic: options.topic,
      brokers: options.brokers,
      connectBackoff: options.connectBackoff ?? DEFAULT_CONNECT_BACKOFF,
      signal: this.stopping.signal,
      logger: options.logger,
      failures: options.failures,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
      handle: options.handler(producer, this.stopping.signal),
    });
    options.logger.log(`${codePrefix}-001 ${options.consuming}`);
  }

  /** Stops taking messages; a message being handled is finished or, while it waits for a retry, left uncommitted. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await this.running;
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
    this.lifecycle.released?.();
  }
}
