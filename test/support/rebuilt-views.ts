import type { EventStore } from '@eddy/eventstore';
import {
  compareViews,
  DEFAULT_PROJECTIONS,
  LIVE_COPY,
  MemoryViewStore,
  ProjectionWorker,
  type VerifyResult,
  type ViewName,
  type ViewStore,
} from '@eddy/projections';

/**
 * Compares every view of `views` with a fresh rebuild from the event store up to its head, as
 * `POST /admin/projections/:name/verify` does (the same comparison, {@link compareViews}), for views
 * that a process of their own writes: the spec must wait until they reflect the head first.
 * Answers the result of each view.
 */
export async function compareWithRebuild(
  events: EventStore,
  views: ViewStore,
): Promise<Record<ViewName, VerifyResult>> {
  const rebuilt = new MemoryViewStore();
  const head = await events.headPosition();
  const results = {} as Record<ViewName, VerifyResult>;
  for (const projection of DEFAULT_PROJECTIONS) {
    const target = { view: projection.name, copy: LIVE_COPY };
    const worker = new ProjectionWorker(projection, target, events, rebuilt);
    await worker.init();
    if (!(await worker.catchUpTo(head)))
      throw new Error(`the rebuild of ${projection.name} failed: ${worker.failure?.message}`);
    const [live, fresh] = await Promise.all([views.documents(target), rebuilt.documents(target)]);
    results[projection.name] = compareViews(projection.name, live, fresh);
  }
  return results;
}
