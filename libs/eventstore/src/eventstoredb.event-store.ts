import {
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  BACKWARDS,
  END,
  EventStoreDBClient,
  excludeSystemEvents,
  type Filter,
  FORWARDS,
  NO_STREAM,
  type ReadPosition,
  StreamNotFoundError,
  streamNameFilter,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import {
  type AcceptedCommand,
  type AppendOptions,
  type AppendResult,
  DuplicateCommandError,
  type EventStore,
  EventStoreClosedError,
  type EventStoreStatistics,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type StoredEvent,
  type SubscribeOptions,
  WrongExpectedRevisionError,
} from './event-store.port';
import {
  satisfiesExpectedRevision,
  validateCommandId,
  validateAppend,
  validateReadAll,
  validateReadStream,
  validateSubscribe,
} from './event-store.validation';
import {
  commandEvent,
  type CommandRecord,
  commandStreamName,
  fromCommandEvent,
  IDENTITY_STREAM,
  identityEvent,
  fromEsdbAppendError,
  fromEsdbAppendResult,
  fromEsdbEvent,
  rawPosition,
  toEsdbEvent,
  toEsdbExpectedRevision,
  toReadPosition,
  validateEsdbAppend,
} from './eventstoredb.mapping';
import { readableBatches } from './readable-batches';
import type { Readable } from 'node:stream';

/** Options of {@link openEventStoreDbEventStore}. */
export interface EventStoreDbEventStoreOptions {
  /** EventStoreDB's connection string, e.g. `esdb://admin:changeit@127.0.0.1:2113?tls=false`. */
  connectionString: string;
  /**
   * Put before every stream name, so that several stores share one database (the contract suite
   * gives each test its own). Reads of the global log then skip other prefixes' events. Default none.
   */
  streamPrefix?: string;
  /** Largest batch a subscription delivers when the subscriber does not choose. Default 500. */
  defaultBatchSize?: number;
}

/** A reserved command id: the revision of its stream after the reservation. */
interface CommandReservation {
  commandId: string;
  revision: number;
}

/** Events read from `$all` per request while scanning. */
const PAGE_SIZE = 1_000;

/**
 * The event store on EventStoreDB (through `@eventstore/db-client`, gRPC). Not run against a
 * server in this project's tests: see the adapter's section of `libs/eventstore/README.md`.
 *
 * Revisions are EventStoreDB's stream revisions; positions are commit positions (with holes).
 * Live subscriptions are EventStoreDB's own catch-up subscriptions to `$all`, without system
 * events. Each command id is reserved in a stream of its own before its events are appended
 * (see {@link EventStoreDbEventStore.findCommand}).
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly prefix: string;
  private readonly defaultBatchSize: number;
  private readonly subscriptions = new Set<AllStreamSubscription>();
  private closed = false;

  constructor(
    private readonly client: EventStoreDBClient,
    options: Omit<EventStoreDbEventStoreOptions, 'connectionString'> = {},
  ) {
    this.prefix = options.streamPrefix ?? '';
    this.defaultBatchSize = options.defaultBatchSize ?? 500;
  }

  async appendToStream(
    streamId: string,
    events: readonly NewEvent[],
    options?: AppendOptions,
  ): Promise<AppendResult> {
    const expected = validateAppend(streamId, events, options);
    validateEsdbAppend(streamId, events);
    this.assertOpen();
    // Mapped (and copied) before the first await: the caller may change its objects meanwhile.
    const esdbEvents = events.map(toEsdbEvent);
    if (esdbEvents.length === 0) return this.checkRevision(streamId, expected);
    const commandId = options?.commandId;
    const reservation = commandId === undefined ? undefined : await this.reserveCommand(commandId, streamId);
    let result: AppendResult;
    try {
      result = fromEsdbAppendResult(
        streamId,
        await this.client.appendToStream(this.prefix + streamId, esdbEvents, {
          expectedRevision: toEsdbExpectedRevision(expected),
        }),
      );
    } catch (error) {
      const mapped = fromEsdbAppendError(streamId, expected, error);
      // A conflict: nothing was written, so the command id is free again. After any other failure
      // the events may be in (a lost answer, or an idempotent retry of events already stored): the
      // reservation stays.
      if (reservation !== undefined && mapped instanceof WrongExpectedRevisionError) {
        await this.recordCommand(reservation, { state: 'released' }).catch(() => undefined);
      }
      throw mapped;
    }
    if (reservation !== undefined) {
      const accepted = {
        commandId: reservation.commandId,
        streamId,
        revision: result.nextExpectedRevision,
        position: result.position,
      };
      await this.recordCommand(reservation, { state: 'accepted', accepted });
    }
    return result;
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<StoredEvent[]> {
    validateReadStream(streamId, options);
    this.assertOpen();
    if (options?.maxCount === 0) return [];
    const events: StoredEvent[] = [];
    try {
      const read = this.client.readStream(this.prefix + streamId, {
        fromRevision: BigInt(options?.fromRevision ?? 0),
        ...(options?.maxCount === undefined ? {} : { maxCount: options.maxCount }),
      });
      for await (const resolved of read) {
        const event = fromEsdbEvent(resolved, this.prefix);
        if (event !== undefined) events.push(event);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  async readAll(options?: ReadAllOptions): Promise<StoredEvent[]> {
    validateReadAll(options);
    this.assertOpen();
    const maxCount = options?.maxCount ?? Number.MAX_SAFE_INTEGER;
    const events: StoredEvent[] = [];
    if (maxCount === 0) return events;
    await this.scan('forwards', options?.after ?? 0, (event) => events.push(event) < maxCount);
    return events;
  }

  subscribeToAll(options?: SubscribeOptions): AsyncIterable<readonly StoredEvent[]> {
    validateSubscribe(options);
    this.assertOpen();
    return this.subscription(options);
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    let head = 0;
    await this.scan('backwards', 0, (event) => {
      head = event.position;
      return false;
    });
    return head;
  }

  /** Counts by reading the whole log: EventStoreDB keeps no count of one prefix's events. */
  async statistics(): Promise<EventStoreStatistics> {
    this.assertOpen();
    const streams = new Set<string>();
    let events = 0;
    let headPosition = 0;
    await this.scan('forwards', 0, (event) => {
      streams.add(event.streamId);
      events++;
      headPosition = event.position;
      return true;
    });
    return { headPosition, streams: streams.size, events };
  }

  /**
   * Where the command's events went, from the last event of its stream (one read, not the command's
   * stream of events): `undefined` unless an append of it was accepted.
   */
  async findCommand(commandId: string): Promise<AcceptedCommand | undefined> {
    validateCommandId(commandId);
    this.assertOpen();
    const { record } = await this.readCommand(commandId);
    return record?.state === 'accepted' ? record.accepted : undefined;
  }

  /**
   * The store's identity: the first event of its identity stream, written by the first instance
   * that asks (EventStoreDB's concurrency check lets one of several racing instances write it).
   */
  async identity(): Promise<string> {
    this.assertOpen();
    const stream = this.prefix + IDENTITY_STREAM;
    for (;;) {
      try {
        for await (const resolved of this.client.readStream(stream, { maxCount: 1 })) {
          const data = resolved.event?.data as { identity?: unknown } | undefined;
          if (typeof data?.identity === 'string') return data.identity;
          throw new Error(`EVENTSTORE-206 ${stream} holds no store identity`);
        }
      } catch (error) {
        if (!(error instanceof StreamNotFoundError)) throw error;
      }
      try {
        await this.client.appendToStream(stream, identityEvent(), { expectedRevision: NO_STREAM });
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.unsubscribe().catch(() => undefined)));
    await this.client.dispose();
  }

  /**
   * EventStoreDB has no transaction across streams, so each command id has a stream of its own,
   * written before the events and after them: `reserved` (the concurrency check on that stream lets
   * one append win), then `accepted` with where the events went, or `released` when the server
   * refused the append. A command id that is accepted, or reserved by an append to another stream
   * that is under way, is a duplicate; one reserved for the same stream (a retry after a lost
   * answer) may go on.
   */
  private async reserveCommand(commandId: string, streamId: string): Promise<CommandReservation> {
    for (;;) {
      const { record, revision } = await this.readCommand(commandId);
      if (record?.state === 'accepted') throw new DuplicateCommandError(streamId, record.accepted);
      if (record?.state === 'reserved' && record.streamId !== streamId) {
        throw new DuplicateCommandError(streamId, {
          commandId,
          streamId: record.streamId,
          revision: -1,
          position: 0,
        });
      }
      if (record?.state === 'reserved') return { commandId, revision };
      try {
        const result = await this.client.appendToStream(
          commandStreamName(this.prefix, commandId),
          commandEvent(commandId, { state: 'reserved', streamId }),
          { expectedRevision: revision === -1 ? NO_STREAM : BigInt(revision) },
        );
        return { commandId, revision: Number(result.nextExpectedRevision) };
      } catch (error) {
        // Another append reserved or released it meanwhile: look again.
        if (!(error instanceof WrongExpectedVersionError)) throw error;
      }
    }
  }

  /** Appends the next state of a reserved command id after the reservation. */
  private async recordCommand(reservation: CommandReservation, record: CommandRecord): Promise<void> {
    await this.client.appendToStream(
      commandStreamName(this.prefix, reservation.commandId),
      commandEvent(reservation.commandId, record),
      { expectedRevision: BigInt(reservation.revision) },
    );
  }

  /** The last event of a command id's stream and its revision (-1: no stream). */
  private async readCommand(commandId: string): Promise<{ record?: CommandRecord; revision: number }> {
    try {
      const read = this.client.readStream(commandStreamName(this.prefix, commandId), {
        direction: BACKWARDS,
        fromRevision: END,
        maxCount: 1,
      });
      for await (const resolved of read) {
        return { record: fromCommandEvent(resolved), revision: Number(resolved.event?.revision ?? -1n) };
      }
    } catch (error) {
      if (!(error instanceof StreamNotFoundError)) throw error;
    }
    return { revision: -1 };
  }

  /** An empty append: checks the revision, writes nothing. */
  private async checkRevision(streamId: string, expected: ExpectedRevision): Promise<AppendResult> {
    const [last] = await this.readLast(streamId);
    const actual = last === undefined ? -1 : last.revision;
    if (!satisfiesExpectedRevision(expected, actual)) {
      throw new WrongExpectedRevisionError(streamId, expected, actual);
    }
    return { nextExpectedRevision: actual, position: await this.headPosition() };
  }

  private async readLast(streamId: string): Promise<StoredEvent[]> {
    try {
      const events: StoredEvent[] = [];
      const read = this.client.readStream(this.prefix + streamId, {
        direction: BACKWARDS,
        fromRevision: END,
        maxCount: 1,
      });
      for await (const resolved of read) {
        const event = fromEsdbEvent(resolved, this.prefix);
        if (event !== undefined) events.push(event);
      }
      return events;
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
  }

  /**
   * Visits this store's events of `$all` after `after` (forwards) or from the end (backwards)
   * until `visit` answers false. Reads in pages; a page starts at the last position seen, which
   * EventStoreDB includes, so positions at or beyond the boundary are passed over.
   */
  private async scan(
    direction: 'forwards' | 'backwards',
    after: number,
    visit: (event: StoredEvent) => boolean,
  ): Promise<void> {
    const forwards = direction === 'forwards';
    let boundary = forwards ? after : Number.POSITIVE_INFINITY;
    let from: ReadPosition = forwards ? toReadPosition(after) : END;
    for (;;) {
      const page: AllStreamResolvedEvent[] = [];
      for await (const resolved of this.client.readAll({
        direction: forwards ? FORWARDS : BACKWARDS,
        fromPosition: from,
        maxCount: PAGE_SIZE,
      })) {
        page.push(resolved);
      }
      for (const resolved of page) {
        const raw = rawPosition(resolved);
        if (raw === undefined || (forwards ? raw <= boundary : raw >= boundary)) continue;
        boundary = raw;
        const event = fromEsdbEvent(resolved, this.prefix);
        if (event !== undefined && !visit(event)) return;
      }
      if (page.length < PAGE_SIZE || !Number.isFinite(boundary)) return;
      from = toReadPosition(boundary);
    }
  }

  private async *subscription(
    options: SubscribeOptions | undefined,
  ): AsyncGenerator<readonly StoredEvent[], void, undefined> {
    const signal = options?.signal;
    let after = options?.after ?? 0;
    if (this.closed || signal?.aborted) return;
    const subscription = this.client.subscribeToAll({
      fromPosition: toReadPosition(after),
      filter: this.filter(),
    });
    this.subscriptions.add(subscription);
    try {
      const batches = readableBatches<AllStreamResolvedEvent>(
        // A Readable; its declared listener overloads (typed against an older @types/node) do not
        // line up with this project's Readable type, so TypeScript cannot see it.
        subscription as unknown as Readable,
        options?.maxBatchSize ?? this.defaultBatchSize,
        signal,
      );
      for await (const batch of batches) {
        const events: StoredEvent[] = [];
        for (const resolved of batch) {
          const event = fromEsdbEvent(resolved, this.prefix);
          // EventStoreDB starts after the given position; the check keeps "no doubles" either way.
          if (event === undefined || event.position <= after) continue;
          events.push(event);
          after = event.position;
        }
        if (events.length > 0) yield events;
      }
    } catch (error) {
      // Closing the store or aborting ends the subscription quietly; other failures reach the consumer.
      if (this.closed || signal?.aborted) return;
      throw error;
    } finally {
      this.subscriptions.delete(subscription);
      await subscription.unsubscribe().catch(() => undefined);
    }
  }

  /** System events stay on the server; with a prefix, so do other prefixes' streams. */
  private filter(): Filter {
    return this.prefix === '' ? excludeSystemEvents() : streamNameFilter({ prefixes: [this.prefix] });
  }

  /** One read of `$all`: fails when the server cannot be reached or the user may not read it. */
  async checkConnection(): Promise<void> {
    this.assertOpen();
    for await (const resolved of this.client.readAll({ maxCount: 1 })) void resolved;
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreClosedError();
  }
}

/**
 * Connects to EventStoreDB and checks the connection with a read of one event of `$all`, so that a
 * wrong address or missing rights stop start-up instead of the first command.
 */
export async function openEventStoreDbEventStore(
  options: EventStoreDbEventStoreOptions,
): Promise<EventStoreDbEventStore> {
  const store = new EventStoreDbEventStore(
    EventStoreDBClient.connectionString(options.connectionString),
    options,
  );
  try {
    await store.checkConnection();
  } catch (error) {
    await store.close();
    throw new Error(
      `EVENTSTORE-205 EventStoreDB at EDDY_EVENTSTOREDB_URL cannot be read: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return store;
}
