import {
  type AppendOptions,
  type ExpectedRevision,
  InvalidEventError,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type SubscribeOptions,
} from './event-store.port';

/**
 * Input checks shared by every adapter, so that all of them refuse the same bad input with the
 * same error naming the field, before anything touches storage.
 */

const MAX_ID_LENGTH = 500;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireString(value: unknown, field: string, { maxLength = MAX_ID_LENGTH } = {}): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidEventError(field, 'must be a non-empty string');
  }
  if (value.length > maxLength) {
    throw new InvalidEventError(field, `must be at most ${maxLength} characters`);
  }
}

function optionalString(value: unknown, field: string): void {
  if (value !== undefined) requireString(value, field);
}

function requireNonNegativeInteger(value: unknown, field: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidEventError(field, 'must be a non-negative integer');
  }
}

/** Checks a stream id. */
export function validateStreamId(streamId: unknown): asserts streamId is string {
  requireString(streamId, 'streamId');
}

/** Checks the expected revision of an append. */
export function validateExpectedRevision(expected: unknown): asserts expected is ExpectedRevision {
  if (expected === 'no_stream' || expected === 'stream_exists' || expected === 'any') return;
  if (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0) return;
  throw new InvalidEventError(
    'expectedRevision',
    "must be a revision (integer >= 0), 'no_stream', 'stream_exists' or 'any'",
  );
}

/** Checks an append's arguments; returns the expected revision with its default applied. */
export function validateAppend(
  streamId: unknown,
  events: unknown,
  options: AppendOptions | undefined,
): ExpectedRevision {
  validateStreamId(streamId);
  if (!Array.isArray(events)) throw new InvalidEventError('events', 'must be an array');
  events.forEach((event: unknown, i) => validateNewEvent(event, `events[${i}]`));
  const expected = options?.expectedRevision ?? 'any';
  validateExpectedRevision(expected);
  optionalString(options?.commandId, 'commandId');
  return expected;
}

/** Checks one event to append. */
export function validateNewEvent(event: unknown, field: string): asserts event is NewEvent {
  if (!isPlainObject(event)) throw new InvalidEventError(field, 'must be an object');
  requireString(event.id, `${field}.id`);
  requireString(event.type, `${field}.type`);
  if (
    typeof event.schemaVersion !== 'number' ||
    !Number.isSafeInteger(event.schemaVersion) ||
    event.schemaVersion < 1
  ) {
    throw new InvalidEventError(`${field}.schemaVersion`, 'must be an integer >= 1');
  }
  if (!isPlainObject(event.data)) throw new InvalidEventError(`${field}.data`, 'must be an object');
  const metadata = event.metadata;
  if (!isPlainObject(metadata)) throw new InvalidEventError(`${field}.metadata`, 'must be an object');
  requireString(metadata.commandId, `${field}.metadata.commandId`);
  requireString(metadata.correlationId, `${field}.metadata.correlationId`);
  optionalString(metadata.causationId, `${field}.metadata.causationId`);
  optionalString(metadata.userId, `${field}.metadata.userId`);
  optionalString(metadata.traceparent, `${field}.metadata.traceparent`);
  requireString(metadata.timestamp, `${field}.metadata.timestamp`, { maxLength: 64 });
}

/** Checks a command id to look up. */
export function validateCommandId(commandId: unknown): asserts commandId is string {
  requireString(commandId, 'commandId');
}

/** Checks stream read options. */
export function validateReadStream(streamId: unknown, options: ReadStreamOptions | undefined): void {
  validateStreamId(streamId);
  if (options?.fromRevision !== undefined) requireNonNegativeInteger(options.fromRevision, 'fromRevision');
  if (options?.maxCount !== undefined) requireNonNegativeInteger(options.maxCount, 'maxCount');
}

/** Checks global read options. */
export function validateReadAll(options: ReadAllOptions | undefined): void {
  if (options?.after !== undefined) requireNonNegativeInteger(options.after, 'after');
  if (options?.maxCount !== undefined) requireNonNegativeInteger(options.maxCount, 'maxCount');
}

/** Checks subscription options. */
export function validateSubscribe(options: SubscribeOptions | undefined): void {
  if (options?.after !== undefined) requireNonNegativeInteger(options.after, 'after');
  if (options?.maxBatchSize !== undefined) {
    requireNonNegativeInteger(options.maxBatchSize, 'maxBatchSize');
    if (options.maxBatchSize < 1) throw new InvalidEventError('maxBatchSize', 'must be at least 1');
  }
}

/**
 * Whether a stream whose last revision is `actual` (-1: no stream) satisfies `expected`.
 * Kept pure so that every adapter decides conflicts the same way.
 */
export function satisfiesExpectedRevision(expected: ExpectedRevision, actual: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return actual === -1;
    case 'stream_exists':
      return actual >= 0;
    default:
      return expected === actual;
  }
}
