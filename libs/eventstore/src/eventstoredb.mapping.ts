import { createHash } from 'node:crypto';
import {
  ANY,
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type AppendResult as EsdbAppendResult,
  type CurrentRevision,
  type EventData,
  type JSONEventType,
  NO_STREAM,
  type Position,
  type ReadPosition,
  type ResolvedEvent,
  START,
  STREAM_EXISTS,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import {
  type AppendResult,
  DuplicateEventIdError,
  type EventMetadata,
  type ExpectedRevision,
  InvalidEventError,
  type NewEvent,
  type StoredEvent,
  WrongExpectedRevisionError,
} from './event-store.port';
import { deterministicUuid } from './deterministic-uuid';

/**
 * How Eddy's event store port maps onto EventStoreDB, kept pure so that every mapping is unit
 * tested with the client's own types and no server.
 *
 * - A port stream `s` is the EventStoreDB stream `<prefix>s`; the prefix lets several stores share
 *   one database (the contract suite gives each test its own).
 * - A port position is the event's commit position in EventStoreDB's transaction log. Every event
 *   of an append has its own, growing, with large holes between them: readers tolerate holes.
 * - Each command id is reserved in a stream of its own, `<prefix>eddy-command-<sha256>`, holding one
 *   `EddyCommandReserved` event that names the stream the command was appended to.
 */

/** Type of the one event of a command's reservation stream. */
export const COMMAND_RESERVED_TYPE = 'EddyCommandReserved';
const COMMAND_STREAM_INFIX = 'eddy-command-';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What the adapter keeps in an EventStoreDB event's metadata. */
export type EsdbEventMetadata = {
  /** The port's event id when it is not a lower-case UUID (EventStoreDB's ids are UUIDs). */
  eddyEventId?: string;
  schemaVersion: number;
  commandId: string;
  /** EventStoreDB's own name for the correlation id, so its system projections can use it. */
  $correlationId: string;
  $causationId?: string;
  userId?: string;
  timestamp: string;
};

/** The reservation of a command id. */
export interface CommandReservation {
  commandId: string;
  /** The port stream the command's events were appended to. */
  streamId: string;
}

/**
 * Refuses what EventStoreDB would treat otherwise than the other adapters: stream names starting
 * with `$` are system streams, event types starting with `$` are system events (filtered out of
 * every read of the global log), and the prefix of reservation streams is the adapter's own.
 */
export function validateEsdbAppend(streamId: string, events: readonly NewEvent[]): void {
  if (streamId.startsWith('$')) {
    throw new InvalidEventError('streamId', 'must not start with $ (EventStoreDB system streams)');
  }
  if (streamId.startsWith(COMMAND_STREAM_INFIX)) {
    throw new InvalidEventError(
      'streamId',
      `must not start with ${COMMAND_STREAM_INFIX} (command reservations)`,
    );
  }
  events.forEach((event, i) => {
    if (event.type.startsWith('$')) {
      throw new InvalidEventError(`events[${i}].type`, 'must not start with $ (EventStoreDB system events)');
    }
  });
  const seen = new Set<string>();
  for (const event of events) {
    if (seen.has(event.id)) throw new DuplicateEventIdError(streamId, event.id);
    seen.add(event.id);
  }
}

/** The port's expected revision as EventStoreDB's. */
export function toEsdbExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      return BigInt(expected);
  }
}

/** EventStoreDB's current revision as the port's: -1 when the stream does not exist. */
export function fromEsdbRevision(revision: CurrentRevision): number {
  return revision === NO_STREAM ? -1 : toSafeNumber(revision, 'revision');
}

/** A global position as the position to read `$all` from; 0 is the start. */
export function toReadPosition(after: number): ReadPosition {
  return after === 0 ? START : { commit: BigInt(after), prepare: BigInt(after) };
}

/**
 * The commit position of any event of `$all`, also of those the port does not show, so that reads
 * in pages can go on after them.
 */
export function rawPosition(resolved: AllStreamResolvedEvent): number | undefined {
  const commit = resolved.event?.position.commit ?? resolved.link?.position.commit ?? resolved.commitPosition;
  return commit === undefined ? undefined : toSafeNumber(commit, 'commit position');
}

/** The port position of an EventStoreDB position: its commit position. */
export function fromEsdbPosition(position: Position): number {
  return toSafeNumber(position.commit, 'commit position');
}

/**
 * The EventStoreDB id of a port event id: the id itself when it is a lower-case UUID, else a
 * UUID derived from it (the port id then travels in the metadata). Deterministic, so a retried
 * append carries the same ids and EventStoreDB's idempotent append recognises it.
 */
export function toEsdbEventId(id: string): string {
  return UUID.test(id) ? id : deterministicUuid('eddy-event', id);
}

/** The EventStoreDB event of a port event. */
export function toEsdbEvent(
  event: NewEvent,
): EventData<JSONEventType<string, Record<string, unknown>, EsdbEventMetadata>> {
  const esdbId = toEsdbEventId(event.id);
  const { commandId, correlationId, causationId, userId, timestamp } = event.metadata;
  const metadata: EsdbEventMetadata = {
    ...(esdbId === event.id ? {} : { eddyEventId: event.id }),
    schemaVersion: event.schemaVersion,
    commandId,
    $correlationId: correlationId,
    ...(causationId === undefined ? {} : { $causationId: causationId }),
    ...(userId === undefined ? {} : { userId }),
    timestamp,
  };
  return {
    id: esdbId,
    contentType: 'application/json',
    type: event.type,
    // A copy: the caller may change its objects while the append is under way.
    data: structuredClone(event.data),
    metadata,
  };
}

/**
 * The port event of an EventStoreDB event of this store, or `undefined` for what the port does not
 * show: system events, streams of other prefixes, command reservations, unresolved links.
 *
 * @param position The port position; events read from a stream carry it only from EventStoreDB
 *   22.6 on, so an event without one is an error naming the version.
 */
export function fromEsdbEvent(
  resolved: ResolvedEvent | AllStreamResolvedEvent,
  prefix: string,
): StoredEvent | undefined {
  const recorded = resolved.event;
  if (recorded === undefined) return undefined;
  if (recorded.type.startsWith('$') || recorded.streamId.startsWith('$')) return undefined;
  if (!recorded.streamId.startsWith(prefix)) return undefined;
  const streamId = recorded.streamId.slice(prefix.length);
  if (streamId.startsWith(COMMAND_STREAM_INFIX)) return undefined;
  const where = `EventStoreDB event ${recorded.id} (${recorded.streamId}@${recorded.revision})`;
  if (!recorded.isJson || !isObject(recorded.data) || !isObject(recorded.metadata)) {
    throw new Error(
      `EVENTSTORE-201 ${where} is not an event of Eddy: data and metadata must be JSON objects`,
    );
  }
  if (recorded.position === undefined) {
    throw new Error(`EVENTSTORE-202 ${where} carries no position: EventStoreDB 22.6 or later is needed`);
  }
  const m = recorded.metadata as Partial<EsdbEventMetadata>;
  if (
    typeof m.schemaVersion !== 'number' ||
    typeof m.commandId !== 'string' ||
    typeof m.$correlationId !== 'string' ||
    typeof m.timestamp !== 'string'
  ) {
    throw new Error(
      `EVENTSTORE-201 ${where} is not an event of Eddy: its metadata lacks schemaVersion, commandId, $correlationId or timestamp`,
    );
  }
  const metadata: EventMetadata = {
    commandId: m.commandId,
    correlationId: m.$correlationId,
    ...(m.$causationId === undefined ? {} : { causationId: m.$causationId }),
    ...(m.userId === undefined ? {} : { userId: m.userId }),
    timestamp: m.timestamp,
  };
  return {
    id: m.eddyEventId ?? recorded.id,
    type: recorded.type,
    schemaVersion: m.schemaVersion,
    data: recorded.data as Record<string, unknown>,
    metadata,
    streamId,
    revision: toSafeNumber(recorded.revision, 'revision'),
    position: fromEsdbPosition(recorded.position),
  };
}

/**
 * The port's answer to a successful EventStoreDB append. EventStoreDB answers an append whose
 * events it already holds at that revision (a retry after a lost answer) with success and no
 * position: the port refuses such a retry rather than doubling it, so this is a duplicate.
 */
export function fromEsdbAppendResult(streamId: string, result: EsdbAppendResult): AppendResult {
  if (result.position === undefined) throw new DuplicateEventIdError(streamId);
  return {
    nextExpectedRevision: toSafeNumber(result.nextExpectedRevision, 'revision'),
    position: fromEsdbPosition(result.position),
  };
}

/** The port's error for an error of an EventStoreDB append; other errors pass unchanged. */
export function fromEsdbAppendError(streamId: string, expected: ExpectedRevision, error: unknown): unknown {
  if (error instanceof WrongExpectedVersionError) {
    return new WrongExpectedRevisionError(streamId, expected, fromEsdbRevision(error.actualVersion));
  }
  return error;
}

/**
 * The command id of the append is reserved for another stream: EventStoreDB holds each command id
 * once across the store, as the port's command-id index will.
 */
export class DuplicateCommandIdError extends DuplicateEventIdError {
  constructor(
    streamId: string,
    readonly commandId: string,
    /** The stream the command id is reserved for, when the reservation could be read. */
    readonly reservedFor: string | undefined,
  ) {
    super(streamId);
    this.name = 'DuplicateCommandIdError';
    this.message = `stream ${streamId}: command id ${commandId} is already reserved for stream ${reservedFor ?? '(unknown)'}`;
  }
}

/** The EventStoreDB stream that reserves `commandId`. */
export function commandStreamName(prefix: string, commandId: string): string {
  return `${prefix}${COMMAND_STREAM_INFIX}${createHash('sha256').update(commandId).digest('hex')}`;
}

/**
 * The reservation event of `commandId` for `streamId`. Its id depends on both, so that reserving
 * again for the same stream is an idempotent append and reserving for another stream conflicts.
 */
export function commandReservationEvent(
  commandId: string,
  streamId: string,
): EventData<JSONEventType<string, CommandReservation & Record<string, unknown>>> {
  return {
    id: deterministicUuid('eddy-command', commandId, streamId),
    contentType: 'application/json',
    type: COMMAND_RESERVED_TYPE,
    data: { commandId, streamId },
    metadata: undefined,
  };
}

/** The reservation an event of a command stream holds. */
export function fromCommandReservation(resolved: ResolvedEvent): CommandReservation {
  const data = resolved.event?.data;
  if (
    resolved.event?.type !== COMMAND_RESERVED_TYPE ||
    !isObject(data) ||
    typeof data.commandId !== 'string' ||
    typeof data.streamId !== 'string'
  ) {
    throw new Error(
      `EVENTSTORE-203 ${resolved.event?.streamId ?? 'a command stream'} holds no command reservation`,
    );
  }
  return { commandId: data.commandId, streamId: data.streamId };
}

function toSafeNumber(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < 0n) {
    throw new Error(`EVENTSTORE-204 EventStoreDB ${what} ${value} is beyond what the port's numbers hold`);
  }
  return Number(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}
