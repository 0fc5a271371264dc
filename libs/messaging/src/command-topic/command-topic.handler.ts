import type { CommandDispatcher, CommandResult, CommandWithMetadata } from '@eddy/contracts';
import {
  counter,
  isTraceparent,
  retryWithBackoff,
  tracingEnabled,
  withSpan,
  type Backoff,
} from '@eddy/observability';
import type { IHeaders, Message } from 'kafkajs';
import { refusedBody, toResultBody, withMetadata, type CommandResultBody } from '../command-results';
import {
  publishReply,
  requestExpired,
  requestOrigin,
  requestUserId,
  type RequestOrigin,
} from '../request-reply/request-headers';
import {
  CORRELATION_HEADER,
  TRACEPARENT_HEADER,
  decodeCommandMessage,
  type CommandMessageLimits,
  type DecodedCommandMessage,
} from './command-message';

/** One message as read from the command topic. */
export interface ReceivedCommandMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Milliseconds since the epoch, as text (Kafka's producer or log append time). */
  timestamp: string;
  headers?: IHeaders;
}

/** Sends messages and resolves once the broker acknowledged them (a kafkajs `Producer` is one). */
export interface CommandTopicPublisher {
  send(record: { topic: string; messages: Message[] }): Promise<unknown>;
}

/** A log that takes lines with codes (a Nest `Logger` is one). */
export interface CommandTopicLog {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface CommandTopicHandlerOptions {
  resultsTopic: string;
  /** Where the results of requests of api processes go, keyed by the waiting instance (`eddy-reply-to`). */
  repliesTopic: string;
  deadLetterTopic: string;
  limits: CommandMessageLimits;
  /** Waits between attempts at a command whose failure can pass (the event store unreachable). */
  backoff: Backoff;
  /** The user id recorded in the metadata of a command from the topic that names no user (`eddy-user-id`). */
  userId: string;
}

/** Headers of a dead-lettered message: why, and where it came from. */
export const DEAD_LETTER_HEADERS = {
  code: 'eddy-error-code',
  message: 'eddy-error-message',
  path: 'eddy-error-path',
  topic: 'eddy-original-topic',
  partition: 'eddy-original-partition',
  offset: 'eddy-original-offset',
} as const;

/** Result codes of the core whose cause can pass: the command is tried again, never answered with them. */
const TRANSIENT_CODES = new Set(['EVENT_STORE_UNAVAILABLE', 'CONCURRENCY_CONFLICT']);

class TransientCommandFailure extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = 'TransientCommandFailure';
  }
}

const handledMessages = counter(
  'eddy_command_topic_messages_total',
  'Command topic messages handled, by outcome (accepted, duplicate, rejected, dead_lettered, expired)',
  ['outcome'],
);
const deadLettered = counter(
  'eddy_command_topic_dead_letters_total',
  'Command topic messages dead-lettered, by code',
  ['code'],
);
const invalidTraceparents = counter(
  'eddy_command_topic_invalid_traceparents_total',
  'Command topic messages whose traceparent header is not W3C trace context (their command starts a new trace)',
);
const retries = counter(
  'eddy_command_topic_retries_total',
  'Attempts at a command topic message that failed in a way that can pass, tried again',
);

/**
 * What the command topic consumer does with one message; the caller commits the message's offset once
 * this resolves, and not when it rejects.
 *
 * A message that can never succeed (too large, not JSON, a bad header, an unknown type, invalid data)
 * goes to the dead-letter topic, with its value unchanged and the error and its origin in headers; when
 * its command id can be read, a `rejected` result goes to the results topic too. A readable command goes
 * to the core; a failure that can pass is tried again with back-off for as long as it lasts (until
 * `signal` aborts, when this rejects), never dead-lettered. Every other outcome (accepted, duplicate,
 * rejected by the core) goes to the results topic keyed by the command id.
 *
 * A request of an api process (headers `eddy-request-id` and `eddy-reply-to`, see `request-headers.ts`) is
 * answered on the replies topic instead, keyed by the waiting instance, and carries its user
 * (`eddy-user-id`); one read after its deadline is not handed to the core and is answered `REQUEST_EXPIRED`.
 *
 * Each message is handled in the span `command topic receive` (tracing on), which continues the trace of
 * its `traceparent` header (W3C trace context, as the producer's OpenTelemetry SDK writes it), and in the
 * correlation scope of its command: every log line says the correlation id, tracing on or off. A
 * `traceparent` that is not W3C trace context is logged (`COMMAND-TOPIC-013`) and the command starts a new
 * trace; it is never a reason to refuse the command.
 */
export class CommandTopicHandler {
  constructor(
    private readonly dispatcher: CommandDispatcher,
    private readonly publisher: CommandTopicPublisher,
    private readonly options: CommandTopicHandlerOptions,
    private readonly logger: CommandTopicLog,
  ) {}

  handle(
    message: ReceivedCommandMessage,
    control: { signal?: AbortSignal; heartbeat?: () => Promise<void> } = {},
  ): Promise<void> {
    const decoded = decodeCommandMessage(message.value, message.headers, this.options.limits);
    const where = `${message.topic}[${message.partition}]@${message.offset}`;
    // As `withMetadata` fills it in: the header's, else the command id.
    const correlationId = decoded.ok ? (decoded.correlationId ?? decoded.commandId) : undefined;
    return withSpan(
      'command topic receive',
      {
        parent: this.traceparentOf(message, where),
        correlationId,
        kind: 'consumer',
        attributes: {
          'messaging.destination.name': message.topic,
          'messaging.destination.partition.id': String(message.partition),
          'messaging.kafka.offset': message.offset,
        },
      },
      () => this.process(message, decoded, where, control),
    );
  }

  private async process(
    message: ReceivedCommandMessage,
    decoded: DecodedCommandMessage,
    where: string,
    control: { signal?: AbortSignal; heartbeat?: () => Promise<void> },
  ): Promise<void> {
    const origin = requestOrigin(message.headers);
    if (!decoded.ok) {
      const { error } = decoded;
      await this.publisher.send({
        topic: this.options.deadLetterTopic,
        messages: [
          {
            key: message.key,
            // Over the limit the value is left out: it is still at its offset in the command topic.
            value: error.code === 'MESSAGE_TOO_LARGE' ? null : message.value,
            headers: {
              ...message.headers,
              [DEAD_LETTER_HEADERS.code]: error.code,
              [DEAD_LETTER_HEADERS.message]: error.message,
              ...(error.path ? { [DEAD_LETTER_HEADERS.path]: error.path } : {}),
              [DEAD_LETTER_HEADERS.topic]: message.topic,
              [DEAD_LETTER_HEADERS.partition]: String(message.partition),
              [DEAD_LETTER_HEADERS.offset]: message.offset,
            },
          },
        ],
      });
      if (decoded.commandId !== null) {
        await this.publishResult(
          refusedBody(decoded.commandId, error),
          message.headers?.[CORRELATION_HEADER],
          origin,
        );
      }
      deadLettered.inc({ code: error.code });
      handledMessages.inc({ outcome: 'dead_lettered' });
      this.logger.warn(
        `COMMAND-TOPIC-010 message ${where} (command ${decoded.commandId ?? '?'}) dead-lettered to ${this.options.deadLetterTopic}: ${error.code} ${error.message}`,
      );
      return;
    }
    if (requestExpired(origin)) {
      handledMessages.inc({ outcome: 'expired' });
      this.logger.warn(
        `COMMAND-TOPIC-012 command ${decoded.commandId} (${where}) came after its requester stopped waiting; not handed to the core`,
      );
      await this.publishResult(
        refusedBody(decoded.commandId, {
          code: 'REQUEST_EXPIRED',
          message: `command ${decoded.commandId} came after its deadline; it was not handled`,
        }),
        decoded.correlationId,
        origin,
      );
      return;
    }
    const command = withMetadata(decoded.command, {
      commandId: decoded.commandId,
      correlationId: decoded.correlationId,
      userId: requestUserId(message.headers) ?? this.options.userId,
      // The message's own time, so that a redelivery carries the same command.
      timestamp: new Date(Number(message.timestamp)).toISOString(),
    });
    const result = await retryWithBackoff(() => this.dispatchOnce(command), {
      ...this.options.backoff,
      signal: control.signal,
      shouldRetry: (error) => error instanceof TransientCommandFailure,
      onRetry: (error, attempt, delayMs) => {
        retries.inc();
        this.logger.warn(
          `COMMAND-TOPIC-011 command ${decoded.commandId} (${where}) failed in a way that can pass, attempt ${attempt}, again in ${delayMs} ms: ${(error as Error).message}`,
        );
        // A long outage must not cost the partition: the group hears from this consumer meanwhile.
        void control.heartbeat?.().catch(() => undefined);
      },
    });
    await this.publishResult(toResultBody(result), command.metadata.correlationId, origin);
    handledMessages.inc({ outcome: result.status });
  }

  /** The trace the message continues: its `traceparent` header, when tracing is on and the header is good. */
  private traceparentOf(message: ReceivedCommandMessage, where: string): string | undefined {
    if (!tracingEnabled()) return undefined;
    const header = message.headers?.[TRACEPARENT_HEADER];
    if (header === undefined) return undefined;
    const value = Array.isArray(header) ? header.map(String) : header.toString('utf8');
    if (typeof value === 'string' && isTraceparent(value)) return value;
    invalidTraceparents.inc();
    this.logger.warn(
      `COMMAND-TOPIC-013 message ${where}: header ${TRACEPARENT_HEADER} ${JSON.stringify(value).slice(0, 200)} is not one W3C trace context; its command starts a new trace`,
    );
    return undefined;
  }

  private async dispatchOnce(command: CommandWithMetadata): Promise<CommandResult> {
    let result: CommandResult;
    try {
      result = await this.dispatcher.dispatch(command);
    } catch (error) {
      // The core logged it (CORE-001); nothing was appended, so trying again is safe.
      throw new TransientCommandFailure(`the core failed: ${String(error)}`, { cause: error });
    }
    if (result.status === 'rejected' && TRANSIENT_CODES.has(result.error.code)) {
      throw new TransientCommandFailure(`${result.error.code}: ${result.error.message}`);
    }
    return result;
  }

  private async publishResult(
    body: CommandResultBody,
    correlationId: unknown,
    origin: RequestOrigin | null,
  ): Promise<void> {
    if (origin) return publishReply(this.publisher, this.options.repliesTopic, origin, body);
    const correlation =
      typeof correlationId === 'string' || Buffer.isBuffer(correlationId) ? correlationId : undefined;
    await this.publisher.send({
      topic: this.options.resultsTopic,
      messages: [
        {
          key: body.commandId,
          value: JSON.stringify(body),
          headers: correlation !== undefined ? { [CORRELATION_HEADER]: correlation } : undefined,
        },
      ],
    });
  }
}
