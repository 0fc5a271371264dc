import {
  ANY,
  type AppendExpectedRevision,
  type AppendResult,
  BACKWARDS,
  END,
  type EventData,
  type EventStoreDBClient,
  NO_STREAM,
  type ReadPosition,
  type ReadRevision,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { PassThrough, Readable } from 'node:stream';

/**
 * An in-memory stand-in for an EventStoreDB server, for unit tests of the adapter's own logic
 * (paging, prefixes, reservations, batching) with the client's types. It follows EventStoreDB's
 * documented behaviour as this project understands it (idempotent appends, commit positions with
 * holes, system events among the user's, inclusive reads of `$all`); it is no evidence that the
 * adapter works against a real server: that is `npm run test:eventstoredb`.
 */
interface FakeRecord {
  streamId: string;
  id: string;
  type: string;
  data: unknown;
  metadata: unknown;
  revision: bigint;
  commit: bigint;
}

type Subscription = PassThrough & { unsubscribe(): Promise<void> };

export class FakeEventStoreDb {
  private readonly log: FakeRecord[] = [];
  private readonly streams = new Map<string, FakeRecord[]>();
  private readonly subscriptions = new Set<{ after: bigint; stream: Subscription }>();
  private nextCommit = 1_000n;

  /** A client of this server; each store gets its own, as each would connect on its own. */
  client(): EventStoreDBClient {
    const client = {
      appendToStream: (
        name: string,
        events: EventData | EventData[],
        options?: { expectedRevision?: AppendExpectedRevision },
      ) => this.append(name, Array.isArray(events) ? events : [events], options?.expectedRevision ?? ANY),
      readStream: (
        name: string,
        options: { fromRevision?: ReadRevision; maxCount?: number; direction?: string } = {},
      ) => Readable.from(this.readStream(name, options), { objectMode: true }),
      readAll: (options: { fromPosition?: ReadPosition; maxCount?: number; direction?: string } = {}) =>
        Readable.from(this.readAll(options), { objectMode: true }),
      subscribeToAll: (options: { fromPosition?: ReadPosition } = {}) =>
        this.subscribe(options.fromPosition ?? START),
      dispose: async () => undefined,
    };
    return client as unknown as EventStoreDBClient;
  }

  /** Records a system event, as EventStoreDB writes its own statistics and metadata. */
  systemEvent(): void {
    this.record('$stats-127.0.0.1:2113', [
      { id: crypto.randomUUID(), type: '$statsCollected', data: {}, metadata: undefined },
    ]);
  }

  private async append(
    name: string,
    events: EventData[],
    expected: AppendExpectedRevision,
  ): Promise<AppendResult> {
    await Promise.resolve();
    const stream = this.streams.get(name) ?? [];
    const current = stream.length === 0 ? NO_STREAM : BigInt(stream.length - 1);
    const from = expected === NO_STREAM ? 0 : typeof expected === 'bigint' ? Number(expected) + 1 : undefined;
    // Idempotent: the very events are already there after the expected revision.
    if (
      from !== undefined &&
      stream.length >= from + events.length &&
      events.every((e, i) => stream[from + i].id === e.id)
    ) {
      return { success: true, nextExpectedRevision: BigInt(from + events.length - 1) };
    }
    const holds =
      expected === ANY ||
      (expected === NO_STREAM && current === NO_STREAM) ||
      (expected === STREAM_EXISTS && current !== NO_STREAM) ||
      expected === current;
    if (!holds) throw new WrongExpectedVersionError(undefined, { streamName: name, expected, current });
    const last = this.record(name, events);
    this.systemEvent();
    return {
      success: true,
      nextExpectedRevision: last.revision,
      position: { commit: last.commit, prepare: last.commit },
    };
  }

  private record(
    name: string,
    events: readonly { id: string; type: string; data: unknown; metadata: unknown }[],
  ): FakeRecord {
    const stream = this.streams.get(name) ?? [];
    this.streams.set(name, stream);
    let revision = BigInt(stream.length);
    let last: FakeRecord | undefined;
    for (const event of events) {
      // Holes between positions, as between EventStoreDB's commit positions.
      this.nextCommit += 37n + BigInt(JSON.stringify(event.data ?? null).length);
      last = {
        streamId: name,
        id: event.id,
        type: event.type,
        data: structuredClone(event.data),
        metadata: structuredClone(event.metadata),
        revision: revision++,
        commit: this.nextCommit,
      };
      this.log.push(last);
      stream.push(last);
      for (const { after, stream } of this.subscriptions)
        if (last.commit > after) stream.write(resolved(last));
    }
    return last!;
  }

  private async *readStream(
    name: string,
    options: { fromRevision?: ReadRevision; maxCount?: number; direction?: string },
  ): AsyncGenerator<unknown> {
    await Promise.resolve();
    let stream = [...(this.streams.get(name) ?? [])];
    if (stream.length === 0) throw new StreamNotFoundError(undefined, name);
    const from = options.fromRevision ?? (options.direction === BACKWARDS ? END : START);
    if (options.direction === BACKWARDS) {
      stream = stream.filter((r) => from === END || from === START || r.revision <= from).reverse();
    } else {
      stream = stream.filter((r) => from === START || (from !== END && r.revision >= from));
    }
    yield* stream.slice(0, options.maxCount ?? Number.MAX_SAFE_INTEGER).map(resolved);
  }

  private async *readAll(options: {
    fromPosition?: ReadPosition;
    maxCount?: number;
    direction?: string;
  }): AsyncGenerator<unknown> {
    await Promise.resolve();
    const from = options.fromPosition ?? (options.direction === BACKWARDS ? END : START);
    const commit = typeof from === 'object' ? from.commit : undefined;
    // Inclusive of the given position in both directions, the harder case for the adapter's paging.
    const records =
      options.direction === BACKWARDS
        ? this.log.filter((r) => commit === undefined || r.commit <= commit).reverse()
        : this.log.filter((r) => commit === undefined || r.commit >= commit);
    yield* records.slice(0, options.maxCount ?? Number.MAX_SAFE_INTEGER).map(resolved);
  }

  private subscribe(from: ReadPosition): Subscription {
    const stream = new PassThrough({ objectMode: true }) as Subscription;
    const after = typeof from === 'object' ? from.commit : -1n;
    const entry = { after, stream };
    for (const record of this.log) if (record.commit > after) stream.write(resolved(record));
    this.subscriptions.add(entry);
    stream.unsubscribe = async () => {
      this.subscriptions.delete(entry);
      stream.end();
    };
    return stream;
  }
}

function resolved(record: FakeRecord): unknown {
  const position = { commit: record.commit, prepare: record.commit };
  return {
    event: {
      streamId: record.streamId,
      id: record.id,
      isJson: true,
      revision: record.revision,
      type: record.type,
      created: new Date(0),
      data: structuredClone(record.data),
      metadata: structuredClone(record.metadata),
      position,
    },
    commitPosition: record.commit,
  };
}
