import type { EngineRequests } from '@eddy/collector/engine/engine.port';
import { EngineError } from '@eddy/collector/engine/engine.errors';
import { counter, withSpan } from '@eddy/observability';
import type { IHeaders } from 'kafkajs';
import type { CommandTopicLog } from '../command-topic/command-topic.handler';
import {
  publishReply,
  requestExpired,
  requestOrigin,
  requestTraceparent,
  type ReplyPublisher,
} from '../request-reply/request-headers';
import { decodeEngineRequest, type EngineReply, type EngineRequest } from './engine-request';
import type { HandledRequestsStore } from './handled-requests.store';

/** One message as read from the engine requests topic. */
export interface ReceivedEngineRequest {
  topic: string;
  partition: number;
  offset: string;
  value: Buffer | null;
  headers?: IHeaders;
}

/** The engine is shutting down: the request is left to the next delivery (another collector, or this one restarted). */
export class EngineClosingError extends Error {}

const handledRequests = counter(
  'eddy_engine_requests_total',
  'Requests of api processes to the engine, by kind and outcome (done, failed, invalid, expired, duplicate)',
  ['kind', 'outcome'],
);

/**
 * What the collector process does with one engine request (a process start or a message from an api
 * process); the caller commits the message's offset once this resolves. The engine's answer (its result,
 * or its error with its code) is kept by request id and published to the replies topic for the api
 * instance that waits; a redelivered request gets the kept answer and changes nothing. A request whose
 * requester stopped waiting (its deadline passed) is not carried out, and a message that cannot be read is
 * answered with `INVALID_ARGUMENT`; both are logged with a code.
 *
 * Each request is handled in the span `engine request receive` (tracing on), which continues the
 * requester's trace (its `traceparent` header); the engine's call runs in it, so the engine's transaction,
 * and the collector's commands for it, are part of that trace too.
 */
export class EngineRequestsHandler {
  constructor(
    private readonly engine: EngineRequests,
    private readonly publisher: ReplyPublisher,
    private readonly store: HandledRequestsStore,
    private readonly repliesTopic: string,
    private readonly logger: CommandTopicLog,
  ) {}

  handle(message: ReceivedEngineRequest): Promise<void> {
    return withSpan(
      'engine request receive',
      {
        parent: requestTraceparent(message.headers),
        kind: 'consumer',
        attributes: {
          'messaging.destination.name': message.topic,
          'messaging.destination.partition.id': String(message.partition),
          'messaging.kafka.offset': message.offset,
        },
      },
      () => this.process(message),
    );
  }

  private async process(message: ReceivedEngineRequest): Promise<void> {
    const where = `${message.topic}[${message.partition}]@${message.offset}`;
    const origin = requestOrigin(message.headers);
    const requestId = origin?.requestId ?? where;
    const kept = this.store.answered(requestId);
    if (kept) {
      handledRequests.inc({ kind: 'any', outcome: 'duplicate' });
      if (origin) await publishReply(this.publisher, this.repliesTopic, origin, kept);
      return;
    }
    const decoded = decodeEngineRequest(message.value);
    let reply: EngineReply;
    let kind = 'unknown';
    if (!decoded.ok) {
      this.logger.warn(
        `ENGINE-REQUESTS-010 request ${requestId} (${where}) cannot be read: ${decoded.message}`,
      );
      handledRequests.inc({ kind, outcome: 'invalid' });
      reply = { ok: false, error: { code: 'INVALID_ARGUMENT', message: decoded.message } };
    } else if (requestExpired(origin)) {
      kind = decoded.request.kind;
      this.logger.warn(
        `ENGINE-REQUESTS-011 ${kind} request ${requestId} (${where}) came after its requester stopped waiting; not carried out`,
      );
      handledRequests.inc({ kind, outcome: 'expired' });
      reply = {
        ok: false,
        error: {
          code: 'REQUEST_EXPIRED',
          message: `request ${requestId} came after its deadline; not carried out`,
        },
      };
    } else {
      kind = decoded.request.kind;
      reply = await this.carryOut(decoded.request, requestId, where);
      handledRequests.inc({ kind, outcome: reply.ok ? 'done' : 'failed' });
    }
    this.store.keep(requestId, reply);
    if (origin) await publishReply(this.publisher, this.repliesTopic, origin, reply);
  }

  private async carryOut(request: EngineRequest, requestId: string, where: string): Promise<EngineReply> {
    try {
      const result =
        request.kind === 'startProcessInstance'
          ? await this.engine.startProcessInstance({ ...request.request, requestId })
          : request.kind === 'correlateMessage'
            ? await this.engine.correlateMessage(request.request)
            : await this.engine.broadcastSignal(request.request);
      this.logger.log(
        `ENGINE-REQUESTS-001 ${request.kind} request ${requestId} (${where}): ${JSON.stringify(result)}`,
      );
      return { ok: true, result };
    } catch (error) {
      if (error instanceof EngineError && error.code === 'CLOSED') {
        throw new EngineClosingError(
          `the engine is closing; request ${requestId} is left for the next delivery`,
        );
      }
      if (!(error instanceof EngineError)) throw error;
      this.logger.warn(
        `ENGINE-REQUESTS-012 ${request.kind} request ${requestId} (${where}): ${error.code} ${error.message}`,
      );
      return { ok: false, error: { code: error.code, message: error.message } };
    }
  }
}
