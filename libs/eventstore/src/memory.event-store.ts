import { randomUUID } from 'node:crypto';
import { catchUpSubscription } from './catch-up-subscription';
import { CommitNotifier } from './commit-notifier';
import {
  type AcceptedCommand,
  type AppendOptions,
  type AppendResult,
  DuplicateCommandError,
  DuplicateEventIdError,
  type EventStore,
  EventStoreClosedError,
  type EventStoreStatistics,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type StoredEvent,
  type SubscribeOptions,
  WrongExpectedRevisionError,
} from './event-store.port';
import {
  satisfiesExpectedRevision,
  validateAppend,
  validateCommandId,
  validateReadAll,
  validateReadStream,
  validateSubscribe,
} from './event-store.validation';

const DEFAULT_BATCH = 500;

/**
 * An event store in memory, for unit tests and tools. It behaves like the durable adapters (same
 * checks, same errors, same ordering) and passes the same contract suite, but keeps nothing.
 *
 * Events are deep-copied on the way in and out so that a caller mutating an object cannot change
 * what the store holds, as with a real store.
 */
export class MemoryEventStore implements EventStore {
  private readonly log: StoredEvent[] = [];
  private readonly streams = new Map<string, StoredEvent[]>();
  private readonly eventIds = new Set<string>();
  private readonly commands = new Map<string, AcceptedCommand>();
  private readonly notifier = new CommitNotifier();
  private closed = false;
  private readonly storeIdentity = randomUUID();

  async appendToStream(
    streamId: string,
    events: readonly NewEvent[],
    options?: AppendOptions,
  ): Promise<AppendResult> {
    const expected = validateAppend(streamId, events, options);
    this.assertOpen();
    const stream = this.streams.get(streamId);
    const actual = stream === undefined ? -1 : stream.length - 1;
    if (!satisfiesExpectedRevision(expected, actual)) {
      throw new WrongExpectedRevisionError(streamId, expected, actual);
    }
    const commandId = events.length === 0 ? undefined : options?.commandId;
    const original = commandId === undefined ? undefined : this.commands.get(commandId);
    if (original !== undefined) throw new DuplicateCommandError(streamId, { ...original });
    const seen = new Set<string>();
    for (const event of events) {
      if (this.eventIds.has(event.id) || seen.has(event.id))
        throw new DuplicateEventIdError(streamId, event.id);
      seen.add(event.id);
    }
    if (events.length === 0) return { nextExpectedRevision: actual, position: this.log.length };

    const target = stream ?? [];
    if (stream === undefined) this.streams.set(streamId, target);
    for (const event of events) {
      const stored: StoredEvent = {
        ...structuredClone(event),
        streamId,
        revision: target.length,
        position: this.log.length + 1,
      };
      target.push(stored);
      this.log.push(stored);
      this.eventIds.add(event.id);
    }
    const result = { nextExpectedRevision: target.length - 1, position: this.log.length };
    if (commandId !== undefined) {
      this.commands.set(commandId, {
        commandId,
        streamId,
        revision: result.nextExpectedRevision,
        position: result.position,
      });
    }
    this.notifier.notify(this.log.length);
    return result;
  }

  async findCommand(commandId: string): Promise<AcceptedCommand | undefined> {
    validateCommandId(commandId);
    this.assertOpen();
    const found = this.commands.get(commandId);
    return found === undefined ? undefined : { ...found };
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<StoredEvent[]> {
    validateReadStream(streamId, options);
    this.assertOpen();
    const stream = this.streams.get(streamId) ?? [];
    const from = options?.fromRevision ?? 0;
    const to = options?.maxCount === undefined ? stream.length : from + options.maxCount;
    return structuredClone(stream.slice(from, to));
  }

  async readAll(options?: ReadAllOptions): Promise<StoredEvent[]> {
    validateReadAll(options);
    this.assertOpen();
    return this.readAfter(options?.after ?? 0, options?.maxCount ?? Number.MAX_SAFE_INTEGER);
  }

  subscribeToAll(options?: SubscribeOptions): AsyncIterable<readonly StoredEvent[]> {
    validateSubscribe(options);
    this.assertOpen();
    return catchUpSubscription(
      {
        readAfter: async (after, max) => this.readAfter(after, max),
        waitForEvents: (after, signal) => this.notifier.waitBeyond(after, signal),
        isClosed: () => this.closed,
      },
      options,
      DEFAULT_BATCH,
    );
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    return this.log.length;
  }

  async statistics(): Promise<EventStoreStatistics> {
    this.assertOpen();
    return { headPosition: this.log.length, streams: this.streams.size, events: this.log.length };
  }

  async identity(): Promise<string> {
    this.assertOpen();
    return this.storeIdentity;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.notifier.close();
  }

  private readAfter(after: number, maxCount: number): StoredEvent[] {
    this.assertOpen();
    // Positions are dense from 1, so position p sits at index p - 1.
    return structuredClone(this.log.slice(after, after + maxCount));
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreClosedError();
  }
}
