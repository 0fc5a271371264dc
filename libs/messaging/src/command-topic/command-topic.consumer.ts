import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { COMMAND_DISPATCHER, type CommandDispatcher } from '@eddy/contracts';
import { counter } from '@eddy/observability';
import { Kafka, logLevel, Partitioners, type Consumer, type Producer } from 'kafkajs';
import { CommandTopicHandler } from './command-topic.handler';
import {
  COMMAND_TOPIC_OPTIONS,
  DEFAULT_CONNECT_BACKOFF,
  DEFAULT_RETRY_BACKOFF,
  type CommandTopicOptions,
} from './command-topic.options';
import { kafkajsLog } from './kafkajs-log';
import { runCommittingConsumer } from './committing-consumer';

/** Partitions of the command topic handled at once by one process (order holds within each). */
const PARTITIONS_AT_ONCE = 4;

const consumerErrors = counter(
  'eddy_command_topic_errors_total',
  'Failures of the command topic consumer itself (brokers unreachable, a crash), by code',
  ['code'],
);

/**
 * Consumes the command topic in a consumer group and hands each message to the
 * {@link CommandTopicHandler}; a message's offset is committed only after the handler resolved, that
 * is after the command's events were appended and its result (or its dead letter) acknowledged by the
 * broker. A crash in between delivers the message again, which the command id makes harmless.
 *
 * Starts in the background once the application is up: brokers that cannot be reached at start are
 * tried again with back-off (`COMMAND-TOPIC-002`) while the rest of the process serves.
 */
@Injectable()
export class CommandTopicConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('CommandTopic');
  private readonly stopping = new AbortController();
  private consumer: Consumer | null = null;
  private producer: Producer | null = null;
  private running: Promise<void> | null = null;
  private joined!: () => void;
  /** Resolves once the consumer has joined its group and was given its partitions. */
  readonly ready = new Promise<void>((resolve) => (this.joined = resolve));

  constructor(
    @Inject(COMMAND_DISPATCHER) private readonly dispatcher: CommandDispatcher,
    @Inject(COMMAND_TOPIC_OPTIONS) private readonly options: CommandTopicOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.running = this.run().catch((error: unknown) => {
      if (this.stopping.signal.aborted) return;
      consumerErrors.inc({ code: 'COMMAND-TOPIC-004' });
      this.logger.error(`COMMAND-TOPIC-004 the command topic consumer stopped: ${String(error)}`);
    });
  }

  private async run(): Promise<void> {
    const { options } = this;
    const kafka = new Kafka({
      clientId: options.clientId ?? 'eddy-core',
      brokers: options.brokers,
      logLevel: logLevel.WARN,
      logCreator: kafkajsLog(this.logger, 'COMMAND-TOPIC-020'),
    });
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const consumer = kafka.consumer({ groupId: options.groupId });
    this.producer = producer;
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => this.joined());
    const handler = this.handler(producer);
    await runCommittingConsumer({
      consumer,
      producer,
      topic: options.topic,
      brokers: options.brokers,
      connectBackoff: options.connectBackoff ?? DEFAULT_CONNECT_BACKOFF,
      signal: this.stopping.signal,
      logger: this.logger,
      failures: { codePrefix: 'COMMAND-TOPIC', count: (code) => consumerErrors.inc({ code }) },
      partitionsConsumedConcurrently: PARTITIONS_AT_ONCE,
      handle: ({ topic, partition, message, heartbeat }) =>
        handler.handle(
          {
            topic,
            partition,
            offset: message.offset,
            key: message.key,
            value: message.value,
            timestamp: message.timestamp,
            headers: message.headers,
          },
          { signal: this.stopping.signal, heartbeat },
        ),
    });
    this.logger.log(
      `COMMAND-TOPIC-001 consuming commands from ${options.topic} in group ${options.groupId}; results to ${options.resultsTopic}, dead letters to ${options.deadLetterTopic}`,
    );
  }

  private handler(producer: Producer): CommandTopicHandler {
    const { options } = this;
    return new CommandTopicHandler(
      this.dispatcher,
      producer,
      {
        resultsTopic: options.resultsTopic,
        repliesTopic: options.repliesTopic,
        deadLetterTopic: options.deadLetterTopic,
        limits: {
          maxMessageBytes: options.maxMessageBytes,
          maxPayloadDepth: options.maxPayloadDepth,
          maxCommentLength: options.maxCommentLength,
        },
        backoff: options.retryBackoff ?? DEFAULT_RETRY_BACKOFF,
        userId: `kafka:${options.topic}`,
      },
      this.logger,
    );
  }

  /** Stops taking messages; a message being handled is finished or, while it waits for a retry, left uncommitted. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await this.running;
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }
}
