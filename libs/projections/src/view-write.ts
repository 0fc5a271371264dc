import type { TraceOrigin } from '@eddy/observability';
import type { StoredViewDocument, ViewWrite } from './view-store.port';
import type { ViewName } from './view.types';

/** The write of a document or tombstone a projection produced, with the trace of its projection (tracing on). */
export function viewWriteOf<V extends ViewName>(
  id: string,
  stored: StoredViewDocument<V>,
  trace: TraceOrigin | undefined,
): ViewWrite<V> {
  const write: ViewWrite<V> = stored.removed
    ? { kind: 'remove', id, version: stored.version, position: stored.position }
    : { kind: 'upsert', id, document: stored.document };
  if (trace !== undefined) write.trace = trace;
  return write;
}
