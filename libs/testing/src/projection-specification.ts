import { deepStrictEqual, ok } from 'node:assert/strict';
import type { StoredEvent } from '@eddy/eventstore';
import {
  applyFrozen,
  type Projection,
  type StoredViewDocument,
  type ViewDocuments,
  type ViewName,
  type ViewWrite,
} from '@eddy/projections';

/** An event of a spec: its stream and revision are filled in when left out. */
export interface SpecEvent {
  type: string;
  data: object;
  /** Default: one stream per document (`spec-<document id>`). */
  streamId?: string;
  /** Default: the next revision of the stream. */
  revision?: number;
  /** Default: the global position of the last event plus one. */
  position?: number;
  /** Metadata timestamp. Default 2026-01-01T00:00:00.000Z plus one second per position. */
  timestamp?: string;
  /** Metadata user id. Default none. */
  userId?: string;
  schemaVersion?: number;
}

/** Turns spec events into stored events with revisions per stream and global positions. */
export function storedEventsOf(
  projection: Projection,
  events: readonly SpecEvent[],
  previous: readonly StoredEvent[] = [],
): StoredEvent[] {
  const revisions = new Map<string, number>();
  for (const e of previous) revisions.set(e.streamId, Math.max(revisions.get(e.streamId) ?? -1, e.revision));
  let position = previous.reduce((max, e) => Math.max(max, e.position), 0);
  return events.map((e) => {
    const draft = { type: e.type, data: e.data as Record<string, unknown> } as StoredEvent;
    const streamId = e.streamId ?? `spec-${projection.documentId(draft) ?? 'none'}`;
    const revision = e.revision ?? (revisions.get(streamId) ?? -1) + 1;
    revisions.set(streamId, Math.max(revisions.get(streamId) ?? -1, revision));
    position = e.position ?? position + 1;
    return {
      id: `event-${position}-${streamId}-${revision}`,
      type: e.type,
      schemaVersion: e.schemaVersion ?? 1,
      data: e.data as Record<string, unknown>,
      metadata: {
        commandId: `command-${position}`,
        correlationId: `correlation-${position}`,
        ...(e.userId !== undefined ? { userId: e.userId } : {}),
        timestamp: e.timestamp ?? new Date(Date.UTC(2026, 0, 1) + position * 1_000).toISOString(),
      },
      streamId,
      revision,
      position,
    };
  });
}

/** The write that puts a stored document or tombstone into a view store as it is. */
export function viewWriteOf(stored: StoredViewDocument): ViewWrite {
  return stored.removed
    ? { kind: 'remove', id: stored.id, version: stored.version, position: stored.position }
    : { kind: 'upsert', id: stored.id, document: stored.document };
}

/** Applies events to a view held in a map, as the runner does, and returns the stored documents. */
export function applyEvents<V extends ViewName>(
  projection: Projection<V>,
  events: readonly StoredEvent[],
  start: ReadonlyMap<string, StoredViewDocument<V>> = new Map(),
): Map<string, StoredViewDocument<V>> {
  const view = new Map(start);
  for (const event of events) {
    const id = projection.documentId(event);
    if (id === null) continue;
    const next = applyFrozen(projection, view.get(id), event);
    if (next) view.set(id, next);
  }
  return view;
}

/** The live documents of a stored view (tombstones left out), by id. */
export function liveDocuments<V extends ViewName>(
  view: ReadonlyMap<string, StoredViewDocument<V>>,
): Map<string, ViewDocuments[V]> {
  const result = new Map<string, ViewDocuments[V]>();
  for (const [id, stored] of view) if (!stored.removed) result.set(id, stored.document);
  return result;
}

export interface ProjectionThen<V extends ViewName> {
  /** The stored events of given and when, as they were applied. */
  readonly events: StoredEvent[];
  /** The live documents after the when events. */
  readonly documents: Map<string, ViewDocuments[V]>;
  /** The document has exactly these fields (those given; others are not checked). */
  thenDocument(id: string, expected: Partial<ViewDocuments[V]>): ProjectionThen<V>;
  /** The document is not in the view. */
  thenNoDocument(id: string): ProjectionThen<V>;
  /** The view is the same as before the when events. */
  thenNothingChanged(): ProjectionThen<V>;
  /** Replaying all the events again onto the result, and from scratch, gives the same view. */
  thenReplayGivesSameView(): ProjectionThen<V>;
}

/**
 * Given/when/then for projections:
 * `projectionSpecification(tasksProjection).given(created).when(claimed).thenDocument('t1', {assignee: 'u'})`.
 */
export function projectionSpecification<V extends ViewName>(projection: Projection<V>) {
  return {
    given(...given: SpecEvent[]) {
      return {
        when(...when: SpecEvent[]): ProjectionThen<V> {
          const givenEvents = storedEventsOf(projection, given);
          const whenEvents = storedEventsOf(projection, when, givenEvents);
          const before = applyEvents(projection, givenEvents);
          const after = applyEvents(projection, whenEvents, before);
          const all = [...givenEvents, ...whenEvents];
          const documents = liveDocuments(after);
          const then: ProjectionThen<V> = {
            events: all,
            documents,
            thenDocument(id, expected) {
              const doc = documents.get(id);
              ok(doc, `expected document ${id} in view ${projection.name}`);
              const picked = Object.fromEntries(
                Object.keys(expected).map((k) => [k, (doc as unknown as Record<string, unknown>)[k]]),
              );
              deepStrictEqual(picked, expected);
              return then;
            },
            thenNoDocument(id) {
              ok(!documents.has(id), `expected no document ${id} in view ${projection.name}`);
              return then;
            },
            thenNothingChanged() {
              deepStrictEqual(after, before);
              return then;
            },
            thenReplayGivesSameView() {
              deepStrictEqual(applyEvents(projection, all, after), after, 'replay onto the view changed it');
              deepStrictEqual(applyEvents(projection, all), after, 'a rebuild from scratch differs');
              return then;
            },
          };
          return then;
        },
      };
    },
  };
}
