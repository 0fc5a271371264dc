import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ENGINE_REQUESTS, type EngineRequests } from '@eddy/collector/engine/engine.port';
import { counter, type Backoff } from '@eddy/observability';
import { Kafka, logLevel, Partitioners, type Consumer, type Producer } from 'kafkajs';
import { runCommittingConsumer } from '../command-topic/committing-consumer';
import { kafkajsLog } from '../command-topic/kafkajs-log';
import { EngineRequestsHandler } from './engine-requests.handler';
import { HandledRequestsStore } from './handled-requests.store';

/** Settings of the engine requests consumer of the collector process (`EDDY_KAFKA_*`). */
export interface EngineRequestsOptions {
  brokers: string[];
  /** Where api processes send process starts and messages (default `eddy.engine-requests`). */
  topic: string;
  /** Where the answers go, keyed by the waiting api instance (default `eddy.replies`). */
  repliesTopic: string;
  /** The consumer group of the collector processes (default `eddy-collector`). */
  groupId: string;
  /** The data folder: the answers given are kept there for redeliveries. */
  dataDir: string;
  connectBackoff?: Backoff;
}

/** Injection token of the {@link EngineRequestsOptions}. */
export const ENGINE_REQUESTS_OPTIONS = Symbol('ENGINE_REQUESTS_OPTIONS');

const consumerErrors = counter(
  'eddy_engine_requests_errors_total',
  'Failures of the engine requests consumer itself (brokers unreachable, a crash), by code',
  ['code'],
);

/**
 * Consumes the engine requests topic in the collector process and hands each message to the
 * {@link EngineRequestsHandler}; the offset is committed only after the engine's answer was kept and
 * published, so that a crash in between delivers the request again, which the kept answers make harmless.
 * Connects in the background with back-off (`ENGINE-REQUESTS-002`). Log codes `ENGINE-REQUESTS-0xx`.
 */
@Injectable()
export class EngineRequestsConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('EngineRequests');
  private readonly stopping = new AbortController();
  private consumer: Consumer | null = null;
  private producer: Producer | null = null;
  private store: HandledRequestsStore | null = null;
  private running: Promise<void> | null = null;

  constructor(
    @Inject(ENGINE_REQUESTS) private readonly engine: EngineRequests,
    @Inject(ENGINE_REQUESTS_OPTIONS) private readonly options: EngineRequestsOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.running = this.run().catch((error: unknown) => {
      if (this.stopping.signal.aborted) return;
      consumerErrors.inc({ code: 'ENGINE-REQUESTS-004' });
      this.logger.error(`ENGINE-REQUESTS-004 the engine requests consumer stopped: ${String(error)}`);
    });
  }

  private async run(): Promise<void> {
    const { options } = this;
    const kafka = new Kafka({
      clientId: 'eddy-collector',
      brokers: options.brokers,
      logLevel: logLevel.WARN,
      logCreator: kafkajsLog(this.logger, 'ENGINE-REQUESTS-020'),
    });
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const consumer = kafka.consumer({ groupId: options.groupId, maxWaitTimeInMs: 500 });
    this.producer = producer;
    this.consumer = consumer;
    this.store = HandledRequestsStore.inFolder(options.dataDir);
    const handler = new EngineRequestsHandler(
      this.engine,
      producer,
      this.store,
      options.repliesTopic,
      this.logger,
    );
    await runCommittingConsumer({
      consumer,
      producer,
      topic: options.topic,
      brokers: options.brokers,
      connectBackoff: options.connectBackoff ?? { initialDelayMs: 1_000, maxDelayMs: 30_000 },
      signal: this.stopping.signal,
      logger: this.logger,
      failures: { codePrefix: 'ENGINE-REQUESTS', count: (code) => consumerErrors.inc({ code }) },
      handle: ({ topic, partition, message }) =>
        handler.handle({
          topic,
          partition,
          offset: message.offset,
          value: message.value,
          headers: message.headers,
        }),
    });
    this.logger.log(
      `ENGINE-REQUESTS-001 taking process starts and messages from ${options.topic} in group ${options.groupId}; answers to ${options.repliesTopic}`,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await this.running;
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
    this.store?.close();
  }
}
