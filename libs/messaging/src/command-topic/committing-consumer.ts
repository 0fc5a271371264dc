import { retryWithBackoff, type Backoff } from '@eddy/observability';
import type { Consumer, EachMessagePayload, Producer } from 'kafkajs';
import type { CommandTopicLog } from './command-topic.handler';

/** How one consumer of commands or requests logs its own failures: a code prefix and a counter of them. */
export interface ConsumerFailures {
  /** `COMMAND-TOPIC`, `ENGINE-REQUESTS`: `-002` cannot connect, `-003` crashed. */
  codePrefix: string;
  count(code: string): void;
}

export interface CommittingConsumerOptions {
  consumer: Consumer;
  /** The producer of the handler's answers, connected with the consumer. */
  producer: Producer;
  topic: string;
  brokers: string[];
  connectBackoff: Backoff;
  signal: AbortSignal;
  logger: CommandTopicLog;
  failures: ConsumerFailures;
  partitionsConsumedConcurrently?: number;
  /** Handles one message; its offset is committed once this resolves, and not when it rejects. */
  handle(payload: EachMessagePayload): Promise<void>;
}

/**
 * Runs a consumer that acknowledges a message only after its handler is done (at least once): connects
 * the producer and the consumer with back-off while the brokers cannot be reached (`<prefix>-002`), logs a
 * crash (`<prefix>-003`), reads the topic from the group's committed offsets (from the beginning for a new
 * group) and commits each message's offset after its handler resolved. The command topic's consumer and
 * the collector's engine requests consumer both run on it.
 */
export async function runCommittingConsumer(options: CommittingConsumerOptions): Promise<void> {
  const { consumer, producer, topic, logger, failures } = options;
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    failures.count(`${failures.codePrefix}-003`);
    logger.error(
      `${failures.codePrefix}-003 the consumer of ${topic} crashed (${payload.restart ? 'restarting' : 'not restarting'}): ${String(payload.error)}`,
    );
  });
  await retryWithBackoff(
    async () => {
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
    },
    {
      ...options.connectBackoff,
      signal: options.signal,
      onRetry: (error, attempt, delayMs) => {
        failures.count(`${failures.codePrefix}-002`);
        logger.error(
          `${failures.codePrefix}-002 cannot consume ${topic} from the Kafka brokers ${options.brokers.join(',')} (attempt ${attempt}, again in ${delayMs} ms): ${String(error)}`,
        );
      },
    },
  );
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
    eachMessage: async (payload) => {
      await options.handle(payload);
      const { topic: read, partition, message } = payload;
      await consumer.commitOffsets([
        { topic: read, partition, offset: (BigInt(message.offset) + 1n).toString() },
      ]);
    },
  });
}
