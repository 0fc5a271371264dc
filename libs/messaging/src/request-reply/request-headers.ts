import type { IHeaders } from 'kafkajs';

/**
 * The headers of a request from an api process to the process of another role (a command to the core,
 * a process start or a message to the collector), and of its reply.
 *
 * - `eddy-request-id`: what the reply is matched by (the command id of a command);
 * - `eddy-reply-to`: the api instance that waits; its reply goes to the replies topic keyed by it;
 * - `eddy-reply-deadline`: milliseconds since the epoch after which the requester answers its user with a
 *   timeout; a request read later is not carried out (its reply says `REQUEST_EXPIRED`);
 * - `eddy-user-id`: the user on whose behalf the request is made (a command's metadata);
 * - `traceparent`: the W3C trace context of the requester's span (tracing on), continued by the handler.
 */
export const REQUEST_HEADERS = {
  requestId: 'eddy-request-id',
  replyTo: 'eddy-reply-to',
  deadline: 'eddy-reply-deadline',
  userId: 'eddy-user-id',
  traceparent: 'traceparent',
} as const;

/** Who waits for the answer to a request read from a topic, and until when. */
export interface RequestOrigin {
  requestId: string;
  /** The requester's instance id: the key of the reply. */
  replyTo: string;
  /** Milliseconds since the epoch; null: no deadline. */
  deadline: number | null;
}

function text(headers: IHeaders | undefined, name: string): string | null {
  const value = headers?.[name];
  if (value === undefined || Array.isArray(value)) return null;
  const decoded = value.toString('utf8');
  return decoded.length > 0 ? decoded : null;
}

/** The origin of a request that waits for a reply, or null for a message nobody waits on. */
export function requestOrigin(headers: IHeaders | undefined): RequestOrigin | null {
  const requestId = text(headers, REQUEST_HEADERS.requestId);
  const replyTo = text(headers, REQUEST_HEADERS.replyTo);
  if (requestId === null || replyTo === null) return null;
  const deadline = Number(text(headers, REQUEST_HEADERS.deadline) ?? Number.NaN);
  return { requestId, replyTo, deadline: Number.isFinite(deadline) ? deadline : null };
}

/** The user a request names (`eddy-user-id`), or null. */
export function requestUserId(headers: IHeaders | undefined): string | null {
  return text(headers, REQUEST_HEADERS.userId);
}

/**
 * The trace a request continues: its `traceparent` header (the requester's span), or undefined. Read as W3C
 * trace context by the span that continues it; one that is not starts a new trace.
 */
export function requestTraceparent(headers: IHeaders | undefined): string | undefined {
  return text(headers, REQUEST_HEADERS.traceparent) ?? undefined;
}

/** Whether the requester has stopped waiting: carrying the request out now would surprise its user. */
export function requestExpired(origin: RequestOrigin | null, now = Date.now()): boolean {
  return origin?.deadline != null && now > origin.deadline;
}

/** Sends messages and resolves once the broker acknowledged them (a kafkajs `Producer` is one). */
export interface ReplyPublisher {
  send(record: {
    topic: string;
    messages: { key: string; value: string; headers?: IHeaders }[];
  }): Promise<unknown>;
}

/** Answers a request: the reply goes to `repliesTopic`, keyed by the waiting instance, with the request's id. */
export async function publishReply(
  publisher: ReplyPublisher,
  repliesTopic: string,
  origin: RequestOrigin,
  value: unknown,
): Promise<void> {
  await publisher.send({
    topic: repliesTopic,
    messages: [
      {
        key: origin.replyTo,
        value: JSON.stringify(value),
        headers: { [REQUEST_HEADERS.requestId]: origin.requestId },
      },
    ],
  });
}
