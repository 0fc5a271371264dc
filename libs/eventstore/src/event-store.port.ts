/**
 * The event store port: the only source of truth of Eddy.
 *
 * Streams hold the events of one aggregate (a task, a data entry, a process instance) in
 * revision order, starting at revision 0. The global log holds every event of every stream in
 * commit order; each event has a global position, starting at 1 and growing with every event.
 * Position 0 means "before the first event".
 */

/** What the writer expects the stream to look like before its append. */
export type ExpectedRevision =
  /** The revision of the stream's last event. */
  | number
  /** The stream must not exist yet. */
  | 'no_stream'
  /** The stream must exist, whatever its revision. */
  | 'stream_exists'
  /** No check. */
  | 'any';

/** Who and what caused an event. Time and ids come from the command, never from the store. */
export interface EventMetadata {
  /** Id of the command that produced the event (duplicates are detected by it). */
  commandId: string;
  /** Id shared by every message of one business interaction. */
  correlationId: string;
  /** Id of the message that caused this one, when there is one. */
  causationId?: string;
  /** The user or service on whose behalf the command ran. */
  userId?: string;
  /** ISO-8601 time at which the command was accepted. */
  timestamp: string;
  /** The W3C trace context of the command that appended the event, when tracing is on (OpenTelemetry). */
  traceparent?: string;
}

/** An event to append. */
export interface NewEvent<TType extends string = string, TData = Record<string, unknown>> {
  /** Unique id of the event (a UUID or another globally unique string). */
  id: string;
  type: TType;
  /** Version of the schema of `data`; readers upcast older versions. */
  schemaVersion: number;
  data: TData;
  metadata: EventMetadata;
}

/** An event as the store holds it. */
export interface StoredEvent<TType extends string = string, TData = Record<string, unknown>> extends NewEvent<
  TType,
  TData
> {
  streamId: string;
  /** Revision of the event within its stream, from 0. */
  revision: number;
  /** Position of the event in the global log, from 1. */
  position: number;
}

export interface AppendOptions {
  /** Default `any`. */
  expectedRevision?: ExpectedRevision;
  /**
   * Id of the command whose events these are. When given (and the append holds events), the store
   * records it in its store-wide index of accepted commands in the same transaction as the events;
   * an id the index holds already fails the append with {@link DuplicateCommandError}, which names
   * where the command went the first time, and nothing of the append is written.
   */
  commandId?: string;
}

/** An entry of the store-wide index of accepted commands: where the command's events went. */
export interface AcceptedCommand {
  commandId: string;
  streamId: string;
  /** Revision of the command's last event in its stream. */
  revision: number;
  /** Global position of the command's last event. */
  position: number;
}

export interface AppendResult {
  /** Revision of the stream's last event after the append. */
  nextExpectedRevision: number;
  /** Global position of the last appended event. */
  position: number;
}

export interface ReadStreamOptions {
  /** First revision to read (inclusive). Default 0. */
  fromRevision?: number;
  maxCount?: number;
}

export interface ReadAllOptions {
  /** Read events whose position is greater than this. Default 0 (from the start). */
  after?: number;
  maxCount?: number;
}

export interface SubscribeOptions {
  /** Deliver events whose position is greater than this. Default 0 (from the start). */
  after?: number;
  /** Largest batch delivered at once. Default chosen by the adapter. */
  maxBatchSize?: number;
  /** Ends the subscription: the iterator finishes. */
  signal?: AbortSignal;
}

export interface EventStoreStatistics {
  headPosition: number;
  streams: number;
  events: number;
}

/**
 * The event store port. Every adapter passes the contract suite in
 * `libs/testing/src/event-store.contract.ts`.
 */
export interface EventStore {
  /**
   * Appends events to a stream atomically, after checking the expected revision.
   * Throws {@link WrongExpectedRevisionError} when the check fails, {@link DuplicateEventIdError} when
   * an event id is already in the store (or twice in the list) and {@link InvalidEventError} on bad
   * input; in each case nothing of this append is written.
   * Appending an empty list checks the revision and writes nothing; its result then carries the
   * store's head position.
   */
  appendToStream(
    streamId: string,
    events: readonly NewEvent[],
    options?: AppendOptions,
  ): Promise<AppendResult>;

  /** The events of one stream in revision order; an empty list when the stream does not exist. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<StoredEvent[]>;

  /** Events of every stream in global order. */
  readAll(options?: ReadAllOptions): Promise<StoredEvent[]>;

  /**
   * Catches up from `after` and then stays live. Batches arrive in global order with no gaps and
   * no doubles; the next batch is read only when the consumer asks for it (back-pressure).
   */
  subscribeToAll(options?: SubscribeOptions): AsyncIterable<readonly StoredEvent[]>;

  /** Position of the last committed event; 0 when the store is empty. */
  headPosition(): Promise<number>;

  /**
   * Looks a command id up in the store-wide index of accepted commands (filled by appends that
   * carry {@link AppendOptions.commandId}); `undefined` when no append of it was committed.
   */
  findCommand(commandId: string): Promise<AcceptedCommand | undefined>;

  statistics(): Promise<EventStoreStatistics>;

  /**
   * The store's identity: a random id written into the store once, when it is created, and kept
   * for its whole life (a restart or a restored back-up of it keeps it; an emptied, replaced or new
   * store has another). Durable checkpoints keep it beside their position, so that a checkpoint
   * taken on another store is recognised (see `checkpoint.guard.ts`).
   */
  identity(): Promise<string>;

  close(): Promise<void>;
}

/** Injection token of the {@link EventStore}. */
export const EVENT_STORE = Symbol('EVENT_STORE');

/** The stream was not at the revision the writer expected. */
export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** The stream's current revision, or -1 when it does not exist. */
    readonly actual: number,
  ) {
    super(`stream ${streamId}: expected revision ${String(expected)}, actual ${actual}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

/**
 * An event id of the append is already in the store, or appears twice in the append. Event ids are
 * unique across the whole store, so a retried append of the same events is refused rather than
 * doubled.
 */
export class DuplicateEventIdError extends Error {
  constructor(
    readonly streamId: string,
    /** The id that exists already, when the adapter can tell which one. */
    readonly eventId?: string,
  ) {
    super(`stream ${streamId}: duplicate event id${eventId === undefined ? '' : ` ${eventId}`}`);
    this.name = 'DuplicateEventIdError';
  }
}

/**
 * The append's {@link AppendOptions.commandId} is in the store-wide index already: the command was
 * accepted before (possibly on another stream). Nothing of the append was written.
 */
export class DuplicateCommandError extends Error {
  constructor(
    readonly streamId: string,
    /** Where the command's events went when it was accepted. */
    readonly original: AcceptedCommand,
  ) {
    super(
      `stream ${streamId}: command ${original.commandId} was accepted before on stream ${original.streamId} at position ${original.position}`,
    );
    this.name = 'DuplicateCommandError';
  }
}

/** An argument of an append or a read is malformed; `field` names it (e.g. `events[2].metadata.commandId`). */
export class InvalidEventError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = 'InvalidEventError';
  }
}

/**
 * The store cannot be used: its storage is corrupt or cannot be opened (the message names the file or
 * database and the cause). The store fails closed: once it has seen corruption it refuses every
 * append and read, so that nothing is acknowledged that may not be durable and no answer is short.
 */
export class EventStoreUnavailableError extends Error {
  /** The code with which the APIs answer a command the store refused. */
  readonly code = 'EVENT_STORE_UNAVAILABLE';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventStoreUnavailableError';
  }
}

/** The store was closed; no append or read is accepted any more. */
export class EventStoreClosedError extends Error {
  constructor() {
    super('the event store is closed');
    this.name = 'EventStoreClosedError';
  }
}
