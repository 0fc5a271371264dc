import { createHash, randomUUID } from 'node:crypto';
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
  type AcceptedCommand,
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
 * - Each command id of an append that names one has a stream of its own,
 *   `<prefix>eddy-store-command-<sha256>`, whose last event says where the command stands (reserved,
 *   accepted, released).
 */

/** Every stream of the adapter's own (command ids, the store's identity) starts with this. */
const ADAPTER_STREAM_INFIX = 'eddy-store-';
/** The stream whose first event holds the store's identity. */
export const IDENTITY_STREAM = `${ADAPTER_STREAM_INFIX}identity`;
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
  traceparent?: string;
};

/**
 * Refuses what EventStoreDB would treat otherwise than the other adapters: stream names starting
 * with `$` are system streams, event types starting with `$` are system events (filtered out of
 * every read of the global log), and the prefix of reservation streams is the adapter's own.
 */
export function validateEsdbAppend(streamId: string, events: readonly NewEvent[]): void {
  if (streamId.startsWith('$')) {
    throw new InvalidEventError('streamId', 'must not start with $ (EventStoreDB system streams)');
  }
  if (streamId.startsWith(ADAPTER_STREAM_INFIX)) {
    throw new InvalidEventError(
      'streamId',
      `must not start with ${ADAPTER_STREAM_INFIX} (the adapter's own streams)`,
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
  const { commandId, correlationId, causationId, userId, timestamp, traceparent } = event.metadata;
  const metadata: EsdbEventMetadata = {
    ...(esdbId === event.id ? {} : { eddyEventId: event.id }),
    schemaVersion: event.schemaVersion,
    commandId,
    $correlationId: correlationId,
    ...(causationId === undefined ? {} : { $causationId: causationId }),
    ...(userId === undefined ? {} : { userId }),
    timestamp,
    ...(traceparent === undefined ? {} : { traceparent }),
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
  if (streamId.startsWith(ADAPTER_STREAM_INFIX)) return undefined;
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
    ...(typeof m.traceparent === 'string' ? { traceparent: m.traceparent } : {}),
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

/** What the stream of one command id holds, from its last event. */
export type CommandRecord =
  /** An append of the command to `streamId` is under way (or died before it could say how it ended). */
  | { state: 'reserved'; streamId: string }
  /** The command's events are in the store. */
  | { state: 'accepted'; accepted: AcceptedCommand }
  /** The append failed: the command id is free again. */
  | { state: 'released' };

/** Types of the events of a command's stream. */
export const COMMAND_EVENT_TYPES = {
  reserved: 'EddyCommandReserved',
  accepted: 'EddyCommandAccepted',
  released: 'EddyCommandReleased',
} as const;

/** The EventStoreDB stream of `commandId`. */
export function commandStreamName(prefix: string, commandId: string): string {
  return `${prefix}${ADAPTER_STREAM_INFIX}command-${createHash('sha256').update(commandId).digest('hex')}`;
}

/** The event that moves a command's stream to `record`. */
export function commandEvent(
  commandId: string,
  record: CommandRecord,
): EventData<JSONEventType<string, Record<string, unknown>>> {
  const data =
    record.state === 'reserved'
      ? { commandId, streamId: record.streamId }
      : record.state === 'accepted'
        ? { ...record.accepted }
        : { commandId };
  return {
    id: randomUUID(),
    contentType: 'application/json',
    type: COMMAND_EVENT_TYPES[record.state],
    data,
    metadata: undefined,
  };
}

/** What the last event of a command's stream says. */
export function fromCommandEvent(resolved: ResolvedEvent): CommandRecord {
  const event = resolved.event;
  const data = event?.data;
  const fail = (): never => {
    throw new Error(`EVENTSTORE-203 ${event?.streamId ?? 'a command stream'} holds no command record`);
  };
  if (event === undefined || !isObject(data) || typeof data.commandId !== 'string') return fail();
  switch (event.type) {
    case COMMAND_EVENT_TYPES.reserved:
      return typeof data.streamId === 'string' ? { state: 'reserved', streamId: data.streamId } : fail();
    case COMMAND_EVENT_TYPES.accepted:
      if (
        typeof data.streamId !== 'string' ||
        typeof data.revision !== 'number' ||
        typeof data.position !== 'number'
      )
        return fail();
      return {
        state: 'accepted',
        accepted: {
          commandId: data.commandId,
          streamId: data.streamId,
          revision: data.revision,
          position: data.position,
        },
      };
    case COMMAND_EVENT_TYPES.released:
      return { state: 'released' };
    default:
      return fail();
  }
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

/** The first event of the identity stream: a random id for the store's whole life. */
export function identityEvent(): EventData<JSONEventType<string, { identity: string }>> {
  return {
    id: randomUUID(),
    contentType: 'application/json',
    type: 'EddyStoreCreated',
    data: { identity: randomUUID() },
    metadata: undefined,
  };
}
