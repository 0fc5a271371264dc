import type { StoredViewDocument, ViewWrite } from './view-store.port';
import type { ProcessDefinitionView, ViewDocuments, ViewName } from './view.types';

/**
 * What makes a write newer than the stored document, compared in order: `v` the stream revision
 * (for process definitions the definition version), `s` the stream revision of a process
 * definition's latest version (0 elsewhere), `p` the global position of the event. Every view store
 * applies a write only when its revision is higher than the stored one (document or tombstone), so
 * a duplicate, a late event or two projectors racing over the same events change nothing.
 */
export interface Revision {
  v: number;
  s: number;
  p: number;
}

/** The revision of a view document. */
export function revisionOf<V extends ViewName>(view: V, document: ViewDocuments[V]): Revision {
  if (view === 'process-definitions') {
    const d = document as ProcessDefinitionView;
    return { v: d.version, s: d.streamRevision, p: d.position };
  }
  const d = document as { version: number; position: number };
  return { v: d.version, s: 0, p: d.position };
}

/** The revision of a tombstone. */
export function tombstoneRevision(tombstone: { version: number; position: number }): Revision {
  return { v: tombstone.version, s: 0, p: tombstone.position };
}

/** The revision a write carries. */
export function writeRevision<V extends ViewName>(view: V, write: ViewWrite<V>): Revision {
  return write.kind === 'upsert' ? revisionOf(view, write.document) : tombstoneRevision(write);
}

/** The revision of what a store holds for an id. */
export function storedRevision<V extends ViewName>(view: V, stored: StoredViewDocument<V>): Revision {
  return stored.removed ? tombstoneRevision(stored) : revisionOf(view, stored.document);
}

/** True when `a` is newer than `b`. */
export function isNewer(a: Revision, b: Revision): boolean {
  if (a.v !== b.v) return a.v > b.v;
  if (a.s !== b.s) return a.s > b.s;
  return a.p > b.p;
}
