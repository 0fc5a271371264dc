import { dataEntryId } from '@eddy/contracts';
import type { TraceOrigin } from '@eddy/observability';
import type { StoredViewDocument, ViewWrite } from '../view-store.port';
import { type Revision, revisionOf, tombstoneRevision } from '../view-revision';
import { documentPrincipals } from '../view-filters';
import type { ClosedTaskView, DataEntryView, ViewDocuments, ViewName } from '../view.types';
import type { SearchSettings } from '../search/search-settings';
import { documentSearchTerms, isSearchedView } from '../search/search-terms';

/**
 * How a view document is stored in MongoDB: the document's own fields at the top level (so that
 * `payload.<path>` conditions are plain MongoDB paths), `_id` = its id, and a few derived fields
 * whose names start with `_` (no view field does), written with every document:
 *
 * - `_r`: true for a tombstone (a removed document: `_rev` and `position` kept, `_last` = the
 *   document as it was, for the change feed's `removed` change);
 * - `_p`: who may see it (`u:<user>`, `g:<group>`, `p:<process>` for a task without candidates):
 *   authorisation is one indexed `$in`;
 * - `_c`: the correlated data entry ids (`entryType#entryId`) of a task;
 * - `_s`: sort keys that are not stored as sortable values: ISO times as epoch milliseconds, so that
 *   `2026-01-01T00:00:00Z` and `2026-01-01T00:00:00.000Z` sort and compare as the same instant;
 * - `_rev`: the revision a write is conditional on (`view-revision.ts`);
 * - `_q` and `_qw`: the search terms of a task, closed task or data entry (`search/search-terms.ts`):
 *   normalised tokens, sorted, and the weight of each, for free-text search;
 * - `_t` (tracing on): the trace of the projection that wrote it (`ViewWrite.trace`), so that a process
 *   that learns of the change from a change stream continues that trace when it pushes the change.
 */
export interface StoredMeta {
  _id: string;
  _r: boolean;
  _p?: string[];
  _c?: string[];
  _s?: Record<string, number | null>;
  _rev: Revision;
  _last?: unknown;
  _q?: readonly string[];
  _qw?: readonly number[];
  _t?: TraceOrigin;
  position: number;
}

/** A stored view document or tombstone, as the driver types it. */
export type ViewRecord = { _id: string } & Record<string, unknown>;

const META_FIELDS = ['_id', '_r', '_p', '_c', '_s', '_rev', '_last', '_q', '_qw', '_t'] as const;

const timeOrNull = (value: string | null | undefined): number | null => {
  if (value === null || value === undefined) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
};

/** The principal keys of a viewer: what `_p` is matched against. */
export { viewerPrincipals } from '../view-filters';

/** A live document as stored. */
export function encodeDocument<V extends ViewName>(
  view: V,
  id: string,
  document: ViewDocuments[V],
  search: SearchSettings,
  trace?: TraceOrigin,
): StoredMeta & Record<string, unknown> {
  const stored: StoredMeta & Record<string, unknown> = {
    ...(document as object),
    _id: id,
    _r: false,
    _rev: revisionOf(view, document),
    position: (document as { position: number }).position,
  };
  const principals = documentPrincipals(view, document);
  if (principals) stored._p = principals;
  if (trace !== undefined) stored._t = trace;
  if (isSearchedView(view)) {
    const terms = documentSearchTerms(view, document, search);
    stored._q = terms.tokens;
    stored._qw = terms.weights;
  }
  if (view === 'tasks' || view === 'closed-tasks') {
    const t = document as ClosedTaskView;
    stored._c = t.correlations.map((c) => dataEntryId(c.entryType, c.entryId));
    stored._s = {
      createTime: timeOrNull(t.createTime),
      dueDate: timeOrNull(t.dueDate),
      followUpDate: timeOrNull(t.followUpDate),
      ...(view === 'closed-tasks' ? { closedAt: timeOrNull(t.closedAt) } : {}),
    };
  } else if (view === 'data-entries') {
    stored._s = { lastModified: timeOrNull((document as DataEntryView).lastModified) };
  }
  return stored;
}

/** A tombstone as stored: no principals, so no query of a viewer can reach it. */
export function encodeTombstone(
  write: Extract<ViewWrite, { kind: 'remove' }>,
  last: unknown,
): StoredMeta & Record<string, unknown> {
  const stored: StoredMeta & Record<string, unknown> = {
    _id: write.id,
    _r: true,
    _rev: tombstoneRevision(write),
    position: write.position,
    version: write.version,
    _last: last ?? null,
  };
  if (write.trace !== undefined) stored._t = write.trace;
  return stored;
}

/** The view document of a stored live document: the derived fields left out. */
export function decodeDocument<T>(stored: Record<string, unknown>): T {
  const document: Record<string, unknown> = { ...stored };
  for (const field of META_FIELDS) delete document[field];
  return document as T;
}

/** What the writer's `load` returns for a stored document or tombstone. */
export function decodeStored<V extends ViewName>(stored: Record<string, unknown>): StoredViewDocument<V> {
  const meta = stored as unknown as StoredMeta & { version: number };
  if (meta._r) {
    return { id: meta._id, removed: true, version: meta.version, position: meta.position };
  }
  return { id: meta._id, removed: false, document: decodeDocument<ViewDocuments[V]>(stored) };
}

/**
 * The filter a conditional write matches: the stored revision is lower than `rev`. With an upsert,
 * a document whose revision is not lower makes the insert fail with a duplicate key (11000), which
 * the writer takes as "already applied".
 */
export function olderThan(id: string, rev: Revision): Record<string, unknown> {
  return {
    _id: id,
    $or: [
      { '_rev.v': { $lt: rev.v } },
      { '_rev.v': rev.v, '_rev.s': { $lt: rev.s } },
      { '_rev.v': rev.v, '_rev.s': rev.s, '_rev.p': { $lt: rev.p } },
    ],
  };
}
