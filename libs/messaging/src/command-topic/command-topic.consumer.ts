import { Inject, Injectable, Logger } from '@nestjs/common';
import { COMMAND_DISPATCHER, type CommandDispatcher } from '@eddy/contracts';
import { counter } from '@eddy/observability';
import { CommandTopicHandler } from './command-topic.handler';
import {
  COMMAND_TOPIC_OPTIONS,
  DEFAULT_RETRY_BACKOFF,
  type CommandTopicOptions,
} from './command-topic.options';
import { ConsumerLifecycle } from './consumer-lifecycle';

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
export class CommandTopicConsumer extends ConsumerLifecycle {
  constructor(
    @Inject(COMMAND_DISPATCHER) dispatcher: CommandDispatcher,
    @Inject(COMMAND_TOPIC_OPTIONS) options: CommandTopicOptions,
  ) {
    const logger = new Logger('CommandTopic');
    super({
      clientId: options.clientId ?? 'eddy-core',
      brokers: options.brokers,
      topic: options.topic,
      groupId: options.groupId,
      partitionsConsumedConcurrently: PARTITIONS_AT_ONCE,
      connectBackoff: options.connectBackoff,
      logger,
      failures: { codePrefix: 'COMMAND-TOPIC', count: (code) => consumerErrors.inc({ code }) },
      name: 'the command topic consumer',
      consuming: `consuming commands from ${options.topic} in group ${options.groupId}; results to ${options.resultsTopic}, dead letters to ${options.deadLetterTopic}`,
      handler: (producer, signal) => {
        const handler = new CommandTopicHandler(
          dispatcher,
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
          logger,
        );
        return ({ topic, partition, message, heartbeat }) =>
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
            { signal, heartbeat },
          );
      },
    });
  }
}
