import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import type { StoredEvent } from '@eddy/eventstore';

/**
 * How an event of the global log travels on the event topic (`EDDY_KAFKA_EVENTS_TOPIC`).
 *
 * An event message is keyed by its stream id (Kafka keeps the order of one stream); its value is the
 * stored event as JSON and its headers repeat what a consumer routes and checks by without parsing
 * the value. A watermark message (no key, sent by the relay to every partition after the events it
 * covers) says that every event at or below its position that belongs to the partition precedes it.
 */
export const EVENT_HEADERS = {
  kind: 'eddy-kind',
  eventId: 'eddy-event-id',
  type: 'eddy-event-type',
  streamRevision: 'eddy-stream-revision',
  position: 'eddy-position',
  schemaVersion: 'eddy-schema-version',
  correlationId: 'eddy-correlation-id',
  /** The W3C trace context of the relay's span (OpenTelemetry), when the event was traced. */
  traceparent: 'traceparent',
} as const;

/** What a message on the event topic holds, once decoded. */
export type EventTopicMessage =
  | { kind: 'event'; event: StoredEvent }
  | { kind: 'watermark'; position: number }
  /** Not an event of the relay: `code` and `message` say what is wrong with it. */
  | { kind: 'bad'; code: EventTopicErrorCode; message: string };

/**
 * - `EVENTTOPIC-001`: a header is missing or malformed, or disagrees with the value.
 * - `EVENTTOPIC-002`: the value is not the JSON of a stored event.
 */
export type EventTopicErrorCode = 'EVENTTOPIC-001' | 'EVENTTOPIC-002';

/**
 * The Kafka message of one stored event; `traceparent` (the relay's span) goes in its header, the
 * event keeps the command's own in its metadata.
 */
export function eventMessage(event: StoredEvent, traceparent?: string): Message {
  const message: Message = {
    key: event.streamId,
    value: JSON.stringify(event),
    headers: {
      [EVENT_HEADERS.kind]: 'event',
      [EVENT_HEADERS.eventId]: event.id,
      [EVENT_HEADERS.type]: event.type,
      [EVENT_HEADERS.streamRevision]: String(event.revision),
      [EVENT_HEADERS.position]: String(event.position),
      [EVENT_HEADERS.schemaVersion]: String(event.schemaVersion),
      [EVENT_HEADERS.correlationId]: event.metadata.correlationId,
    },
  };
  if (traceparent !== undefined) message.headers![EVENT_HEADERS.traceparent] = traceparent;
  return message;
}

/**
 * The trace an event message continues: its `traceparent` header (the relay's span), else the
 * command's in the event metadata; undefined when neither was traced.
 */
export function traceparentOfEventMessage(
  headers: IHeaders | undefined,
  event: StoredEvent,
): string | undefined {
  return header(headers ?? {}, EVENT_HEADERS.traceparent) ?? event.metadata.traceparent;
}

/** The watermark message of `position` for one partition. */
export function watermarkMessage(position: number, partition: number): Message {
  return {
    partition,
    value: null,
    headers: { [EVENT_HEADERS.kind]: 'watermark', [EVENT_HEADERS.position]: String(position) },
  };
}

/** Decodes a consumed message; never throws. */
export function decodeEventMessage(
  message: Pick<KafkaMessage, 'key' | 'value' | 'headers'>,
): EventTopicMessage {
  const headers = message.headers ?? {};
  const kind = header(headers, EVENT_HEADERS.kind);
  if (kind === 'watermark') {
    const position = wholeNumber(header(headers, EVENT_HEADERS.position));
    return position === undefined
      ? bad('EVENTTOPIC-001', `header ${EVENT_HEADERS.position}: must be a whole number`)
      : { kind: 'watermark', position };
  }
  if (kind !== 'event')
    return bad('EVENTTOPIC-001', `header ${EVENT_HEADERS.kind}: must be event or watermark`);
  const position = wholeNumber(header(headers, EVENT_HEADERS.position));
  const revision = wholeNumber(header(headers, EVENT_HEADERS.streamRevision));
  const schemaVersion = wholeNumber(header(headers, EVENT_HEADERS.schemaVersion));
  const type = header(headers, EVENT_HEADERS.type);
  const eventId = header(headers, EVENT_HEADERS.eventId);
  if (position === undefined || position < 1) return badNumber(EVENT_HEADERS.position);
  if (revision === undefined) return badNumber(EVENT_HEADERS.streamRevision);
  if (schemaVersion === undefined || schemaVersion < 1) return badNumber(EVENT_HEADERS.schemaVersion);
  if (!type) return bad('EVENTTOPIC-001', `header ${EVENT_HEADERS.type}: is missing`);
  if (!eventId) return bad('EVENTTOPIC-001', `header ${EVENT_HEADERS.eventId}: is missing`);
  let value: unknown;
  try {
    value = JSON.parse(message.value?.toString('utf8') ?? '');
  } catch (error) {
    return bad('EVENTTOPIC-002', `value: not JSON (${(error as Error).message})`);
  }
  const problem = storedEventProblem(value);
  if (problem) return bad('EVENTTOPIC-002', `value: ${problem}`);
  const event = value as StoredEvent;
  const disagreements = [
    [EVENT_HEADERS.position, event.position, position],
    [EVENT_HEADERS.streamRevision, event.revision, revision],
    [EVENT_HEADERS.schemaVersion, event.schemaVersion, schemaVersion],
    [EVENT_HEADERS.type, event.type, type],
    [EVENT_HEADERS.eventId, event.id, eventId],
  ].filter(([, inValue, inHeader]) => inValue !== inHeader);
  if (disagreements.length > 0) {
    const [name, inValue, inHeader] = disagreements[0];
    return bad(
      'EVENTTOPIC-001',
      `header ${name}: ${String(inHeader)} disagrees with the value's ${String(inValue)}`,
    );
  }
  const key = message.key?.toString('utf8');
  if (key !== event.streamId)
    return bad('EVENTTOPIC-001', `key: ${String(key)} is not the stream id ${event.streamId}`);
  return { kind: 'event', event };
}

function storedEventProblem(value: unknown): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'must be an object';
  const v = value as Record<string, unknown>;
  for (const field of ['id', 'streamId', 'type'] as const) {
    if (typeof v[field] !== 'string' || v[field] === '') return `${field}: must be a non-empty string`;
  }
  for (const field of ['revision', 'position', 'schemaVersion'] as const) {
    if (!Number.isSafeInteger(v[field]) || (v[field] as number) < 0)
      return `${field}: must be a whole number`;
  }
  if (v.data === null || typeof v.data !== 'object' || Array.isArray(v.data))
    return 'data: must be an object';
  const metadata = v.metadata as Record<string, unknown> | null;
  if (metadata === null || typeof metadata !== 'object') return 'metadata: must be an object';
  if (typeof metadata.correlationId !== 'string') return 'metadata.correlationId: must be a string';
  return null;
}

function header(headers: IHeaders, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

function wholeNumber(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}

function badNumber(name: string): EventTopicMessage {
  return bad('EVENTTOPIC-001', `header ${name}: must be a whole number`);
}

function bad(code: EventTopicErrorCode, message: string): EventTopicMessage {
  return { kind: 'bad', code, message };
}
