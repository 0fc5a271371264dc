import { Inject, Injectable, Logger } from '@nestjs/common';
import { ENGINE_REQUESTS, type EngineRequests } from '@eddy/collector/engine/engine.port';
import { counter, type Backoff } from '@eddy/observability';
import { ConsumerLifecycle } from '../command-topic/consumer-lifecycle';
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
export class EngineRequestsConsumer extends ConsumerLifecycle {
  constructor(
    @Inject(ENGINE_REQUESTS) engine: EngineRequests,
    @Inject(ENGINE_REQUESTS_OPTIONS) options: EngineRequestsOptions,
  ) {
    const logger = new Logger('EngineRequests');
    let store: HandledRequestsStore | null = null;
    super({
      clientId: 'eddy-collector',
      brokers: options.brokers,
      topic: options.topic,
      groupId: options.groupId,
      maxWaitTimeInMs: 500,
      connectBackoff: options.connectBackoff,
      logger,
      failures: { codePrefix: 'ENGINE-REQUESTS', count: (code) => consumerErrors.inc({ code }) },
      name: 'the engine requests consumer',
      consuming: `taking process starts and messages from ${options.topic} in group ${options.groupId}; answers to ${options.repliesTopic}`,
      handler: (producer) => {
        store = HandledRequestsStore.inFolder(options.dataDir);
        const handler = new EngineRequestsHandler(engine, producer, store, options.repliesTopic, logger);
        return ({ topic, partition, message }) =>
          handler.handle({
            topic,
            partition,
            offset: message.offset,
            value: message.value,
            headers: message.headers,
          });
      },
      released: () => store?.close(),
    });
  }
}
