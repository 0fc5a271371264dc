import { histogram, traceparentOf } from '@eddy/observability';
import type { CommandMetadata, Decider } from '@eddy/contracts';
import {
  type AcceptedCommand,
  DuplicateCommandError,
  DuplicateEventIdError,
  type EventStore,
  type NewEvent,
  WrongExpectedRevisionError,
} from './event-store.port';
import { deterministicUuid } from './deterministic-uuid';
import { type FoldedStream, foldedStateCacheOf } from './folded-state.cache';

const appendSeconds = histogram(
  'eddy_event_store_append_seconds',
  'Time of one append to the event store, by outcome',
  ['outcome'],
);

/** Events as deciders emit them: a type and data, nothing the store adds. */
export interface DecidedEvent {
  type: string;
  data: unknown;
}

export interface HandleCommandOptions {
  /** Re-reads and decides again at most this many times after a revision conflict. */
  maxRetries: number;
  /** The schema version each event type is written with. */
  schemaVersionOf: (type: string) => number;
}

export interface HandledCommand {
  /**
   * `duplicate`: the store's command index holds this command id (its events went to `streamId`);
   * nothing was appended, and the revision and position are those of the original append.
   */
  status: 'accepted' | 'duplicate';
  /** The stream the command's events went to: the original's for a duplicate. */
  streamId: string;
  /** Revision of the stream after the command; -1 when the stream does not exist. */
  revision: number;
  /** Position of the last appended event, or of the stream's last event when nothing was appended. */
  position: number;
  appended: number;
}

/** The stream kept changing under the command: the retries ran out. */
export class ConcurrencyError extends Error {
  constructor(
    readonly streamId: string,
    readonly attempts: number,
  ) {
    super(`stream ${streamId} changed concurrently ${attempts} times; the command was not applied`);
    this.name = 'ConcurrencyError';
  }
}

/**
 * Event ids are derived from the stream, the command id and the event's index, so the same
 * command decided twice yields the same ids: stores that detect duplicate event ids (and
 * EventStoreDB's idempotent appends) then see a re-delivery for what it is.
 */
export function deterministicEventId(streamId: string, commandId: string, index: number): string {
  return deterministicUuid(streamId, commandId, String(index));
}

/**
 * The stream folded into the decider's state: from the fold this process made last (see
 * {@link FoldedStateCache}), reading only the events after it.
 */
async function loadStream<C, E extends DecidedEvent, S>(
  store: EventStore,
  decider: Decider<C, E, S>,
  streamId: string,
): Promise<FoldedStream<S>> {
  const cache = foldedStateCacheOf<S>(store, decider);
  const cached = cache.get(streamId);
  let { state, revision, position } = cached ?? { state: decider.initialState(), revision: -1, position: 0 };
  const newer = await store.readStream(streamId, { fromRevision: revision + 1 });
  for (const event of newer) {
    state = decider.evolve(state, { type: event.type, data: event.data } as E);
    ({ revision, position } = event);
  }
  const folded = { state, revision, position };
  if (newer.length > 0) cache.set(streamId, folded);
  return folded;
}

/**
 * Load, decide, append: the whole of command handling. The stream is read and folded into state,
 * the decider decides, and the events are appended with the revision that was read. On a conflict
 * the stream is read again and the decider decides again, a bounded number of times.
 *
 * A command whose id the store's command index holds (on any stream) is a duplicate: nothing is
 * decided or appended, and the answer is the original append's. The index is written in the same
 * transaction as the events, so a command raced by its own re-delivery is appended once.
 * Rejections (`DomainError` from the decider) propagate to the caller.
 */
export async function handleCommand<C, E extends DecidedEvent, S>(
  store: EventStore,
  decider: Decider<C, E, S>,
  streamId: string,
  command: C,
  metadata: CommandMetadata,
  options: HandleCommandOptions,
): Promise<HandledCommand> {
  const known = await store.findCommand(metadata.commandId);
  if (known !== undefined) return duplicateOf(known);
  // The trace the relay and the projectors continue from the global log (undefined with tracing off).
  const traceparent = traceparentOf();
  for (let attempt = 0; attempt <= options.maxRetries; attempt++) {
    const { state, revision, position } = await loadStream(store, decider, streamId);
    const decided = decider.decide(command, state, metadata);
    if (decided.length === 0) return { status: 'accepted', streamId, revision, position, appended: 0 };
    const events: NewEvent[] = decided.map((event, index) => ({
      id: deterministicEventId(streamId, metadata.commandId, index),
      type: event.type,
      schemaVersion: options.schemaVersionOf(event.type),
      data: event.data as Record<string, unknown>,
      metadata: traceparent === undefined ? { ...metadata } : { ...metadata, traceparent },
    }));
    const stopAppend = appendSeconds.startTimer();
    try {
      const result = await store.appendToStream(streamId, events, {
        expectedRevision: revision === -1 ? 'no_stream' : revision,
        commandId: metadata.commandId,
      });
      stopAppend({ outcome: 'appended' });
      return {
        status: 'accepted',
        streamId,
        revision: result.nextExpectedRevision,
        position: result.position,
        appended: events.length,
      };
    } catch (error) {
      stopAppend({ outcome: error instanceof WrongExpectedRevisionError ? 'conflict' : 'failed' });
      if (error instanceof DuplicateCommandError) return duplicateOf(error.original);
      // Another writer got there first (possibly with this very command): read again and decide again.
      if (!(error instanceof WrongExpectedRevisionError) && !(error instanceof DuplicateEventIdError))
        throw error;
    }
  }
  throw new ConcurrencyError(streamId, options.maxRetries + 1);
}

function duplicateOf(original: AcceptedCommand): HandledCommand {
  const { streamId, revision, position } = original;
  return { status: 'duplicate', streamId, revision, position, appended: 0 };
}
