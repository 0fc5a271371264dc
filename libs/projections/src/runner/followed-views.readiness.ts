import type { EventStore } from '@eddy/eventstore';
import type { ViewChangeFeed } from '../view-store.port';
import { VIEW_NAMES } from '../view.types';

/**
 * Readiness of a process that serves views another process projects (`EDDY_PROJECTIONS=off`): ready
 * once every view's live checkpoint has reached the head of the event store as this process first
 * saw it, so that it does not answer from views older than its own start. Once reached it stays
 * reached (a projector that restarts later does not take the API down); a view store that does not
 * answer makes it fail, and the application's check reports that as not ready.
 */
export function followedViewsReadinessCheck(
  events: EventStore,
  views: ViewChangeFeed,
): { name: string; check(): Promise<{ ready: boolean; detail?: unknown }> } {
  let startupHead: Promise<number> | undefined;
  let caughtUp = false;
  return {
    name: 'projections',
    check: async () => {
      startupHead ??= events.headPosition();
      const head = await startupHead.catch((error: unknown) => {
        startupHead = undefined;
        throw error;
      });
      const checkpoints = await Promise.all(
        VIEW_NAMES.map(async (view) => ({ view, position: await views.checkpoint(view) })),
      );
      caughtUp ||= checkpoints.every((c) => c.position >= head);
      return {
        ready: caughtUp,
        detail: { projectedElsewhere: true, startupHead: head, views: checkpoints },
      };
    },
  };
}
