import type { StoredEvent } from '@eddy/eventstore';
import type { StoredViewDocument } from './view-store.port';
import type { ViewName } from './view.types';

/**
 * One projection: how the events of the global log change the documents of one view. Pure: the
 * runner loads the documents, calls {@link Projection.apply} once per event in log order, and
 * writes what changed.
 */
export interface Projection<V extends ViewName = ViewName> {
  /** The view it writes; also its name in the admin API. */
  readonly name: V;

  /** The id of the document the event changes, or null when the event does not concern this view. */
  documentId(event: StoredEvent): string | null;

  /**
   * The document after the event. Returns `current` itself (the same object) when the event changes
   * nothing, in particular when the document already reflects it (its revision is at or past the
   * event's): that is what makes a replay or a duplicate delivery harmless. Throws when the event
   * cannot be applied; the runner retries and then stops in the `failed` state.
   */
  apply(current: StoredViewDocument<V> | undefined, event: StoredEvent): StoredViewDocument<V> | undefined;
}

/**
 * {@link Projection.apply}, with the document it returns frozen at its top level (the view store
 * freezes what it holds when it writes it). Every runner applies events through this one. V8 gives
 * documents that are frozen as they are made one hidden class per shape, shared by every document
 * of the view; a document spread from an unfrozen one and frozen only when written got a class of
 * its own (2,000 classes for 2,000 task documents), which cost memory and made every later spread
 * and freeze of it several times slower (docs/benchmarks.md, "Projections").
 */
export function applyFrozen<V extends ViewName>(
  projection: Projection<V>,
  current: StoredViewDocument<V> | undefined,
  event: StoredEvent,
): StoredViewDocument<V> | undefined {
  const next = projection.apply(current, event);
  if (next !== undefined && next !== current && !next.removed) Object.freeze(next.document);
  return next;
}

/** An event was inconsistent with the view (e.g. a change to a task the view never saw created). */
export class ProjectionApplyError extends Error {
  constructor(projection: string, event: StoredEvent, reason: string) {
    super(
      `projection ${projection}: ${event.type} at position ${event.position} (stream ${event.streamId}@${event.revision}): ${reason}`,
    );
    this.name = 'ProjectionApplyError';
  }
}

/** The revision a stored document or tombstone reflects. */
export function storedVersion(stored: StoredViewDocument | undefined): number {
  if (!stored) return -1;
  return stored.removed ? stored.version : (stored.document as { version: number }).version;
}

/** Exhaustiveness check for switches over event unions. */
export function assertNever(value: never, what: string): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
