import { histogram } from '@eddy/observability';
import type { CommandMetadata, Decider } from '@eddy/contracts';
import {
  DuplicateEventIdError,
  type EventStore,
  type NewEvent,
  WrongExpectedRevisionError,
} from './event-store.port';
import { deterministicUuid } from './deterministic-uuid';

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
  /** `duplicate`: the stream already holds events of this command id; nothing was appended. */
  status: 'accepted' | 'duplicate';
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
 * Load, decide, append: the whole of command handling. The stream is read and folded into state,
 * the decider decides, and the events are appended with the revision that was read. On a conflict
 * the stream is read again and the decider decides again, a bounded number of times.
 *
 * A command whose id the stream already holds is a duplicate: nothing is decided or appended.
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
  for (let attempt = 0; attempt <= options.maxRetries; attempt++) {
    const history = await store.readStream(streamId);
    const last = history.at(-1);
    const revision = last ? last.revision : -1;
    const position = last ? last.position : 0;
    if (history.some((event) => event.metadata.commandId === metadata.commandId)) {
      return { status: 'duplicate', revision, position, appended: 0 };
    }
    let state = decider.initialState();
    for (const event of history) state = decider.evolve(state, { type: event.type, data: event.data } as E);
    const decided = decider.decide(command, state, metadata);
    if (decided.length === 0) return { status: 'accepted', revision, position, appended: 0 };
    const events: NewEvent[] = decided.map((event, index) => ({
      id: deterministicEventId(streamId, metadata.commandId, index),
      type: event.type,
      schemaVersion: options.schemaVersionOf(event.type),
      data: event.data as Record<string, unknown>,
      metadata: { ...metadata },
    }));
    const stopAppend = appendSeconds.startTimer();
    try {
      const result = await store.appendToStream(streamId, events, {
        expectedRevision: revision === -1 ? 'no_stream' : revision,
      });
      stopAppend({ outcome: 'appended' });
      return {
        status: 'accepted',
        revision: result.nextExpectedRevision,
        position: result.position,
        appended: events.length,
      };
    } catch (error) {
      stopAppend({ outcome: error instanceof WrongExpectedRevisionError ? 'conflict' : 'failed' });
      // Another writer got there first (possibly with this very command): read again and decide again.
      if (!(error instanceof WrongExpectedRevisionError) && !(error instanceof DuplicateEventIdError))
        throw error;
    }
  }
  throw new ConcurrencyError(streamId, options.maxRetries + 1);
}
