import { upcastEvent } from '@eddy/contracts';
import type { StoredEvent } from '@eddy/eventstore';
import type { TraceOrigin } from '@eddy/observability';
import { applyFrozen, type Projection } from '../projection';
import {
  LIVE_COPY,
  type StoredViewDocument,
  type ViewCopy,
  type ViewStore,
  type ViewWrite,
} from '../view-store.port';
import { viewWriteOf } from '../view-write';

/** How often a commit is tried again when another projector moved the checkpoint meanwhile. */
const CHECKPOINT_RACE_ATTEMPTS = 5;

/**
 * Applies events that arrive in stream order but in no global order (a Kafka partition, several of
 * them on several projector instances) to the live copies of the views.
 *
 * Every projection guards each document by the revision it reflects and every view store write is
 * conditional on it, so events of other streams may come in any order, and a duplicate or a late
 * event changes nothing. The checkpoint of a view (every event at or below it has been applied)
 * cannot follow from one partition's events; this applier leaves it where it is, and
 * {@link StreamOrderApplier.raiseCheckpoint} moves it to a position the relay's watermarks vouch for.
 */
export class StreamOrderApplier {
  constructor(
    private readonly viewStore: ViewStore,
    private readonly projections: readonly Projection[],
    private readonly upcast: (event: StoredEvent) => StoredEvent = upcastEvent,
  ) {}

  /**
   * Applies `events` (each stream's events in revision order) and writes what changed, durably, to
   * every view at once; settles once every view is written or failed, rejecting with the first
   * failure (the others may be written: applying the events again changes nothing there).
   * `afterEachView` runs after the writes of each view (the projector tells the group it is alive).
   * `traces` (tracing on): the span each event is projected in, by its position; a document's write
   * carries the one of the last event that changed it on to the change feed.
   */
  async apply(
    events: readonly StoredEvent[],
    afterEachView?: () => Promise<void>,
    traces?: ReadonlyMap<number, TraceOrigin>,
  ): Promise<void> {
    if (events.length === 0) return;
    const upcast = events.map((e) => this.upcast(e));
    // The views are written side by side (each has its own documents and checkpoint), and all are
    // done, written or failed, before this settles.
    const outcomes = await Promise.allSettled(
      this.projections.map(async (projection) => {
        await this.applyTo(projection, upcast, traces);
        await afterEachView?.();
      }),
    );
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * Moves the checkpoint of every view to `position` where it is lower; a checkpoint another
   * projector moved further meanwhile stays.
   */
  async raiseCheckpoint(position: number): Promise<void> {
    for (const projection of this.projections) {
      const target: ViewCopy = { view: projection.name, copy: LIVE_COPY };
      if ((await this.viewStore.readCheckpoint(target)) >= position) continue;
      await this.viewStore.commit(target, { writes: [], checkpoint: position }).catch((error: unknown) => {
        if (!isCheckpointBehind(error)) throw error;
      });
    }
  }

  private async applyTo(
    projection: Projection,
    events: readonly StoredEvent[],
    traces: ReadonlyMap<number, TraceOrigin> | undefined,
  ): Promise<void> {
    const target: ViewCopy = { view: projection.name, copy: LIVE_COPY };
    const concerned = events
      .map((event) => ({ event, id: projection.documentId(event) }))
      .filter((e): e is { event: StoredEvent; id: string } => e.id !== null);
    if (concerned.length === 0) return;
    const loaded = await this.viewStore.load(target, [...new Set(concerned.map((e) => e.id))]);
    const working = new Map<string, StoredViewDocument | undefined>();
    const lastChange = new Map<string, number>();
    for (const { event, id } of concerned) {
      const current = working.has(id) ? working.get(id) : loaded.get(id);
      const next = applyFrozen(projection, current, event);
      if (next !== current) {
        working.set(id, next);
        lastChange.set(id, event.position);
      }
    }
    const writes: ViewWrite[] = [];
    for (const [id, stored] of working) {
      if (stored) writes.push(viewWriteOf(id, stored, traces?.get(lastChange.get(id)!)));
    }
    if (writes.length === 0) return;
    // The port moves the checkpoint with every commit and refuses to move it back: commit at the
    // checkpoint the view has now, again when another projector raised it in between.
    for (let attempt = 1; ; attempt++) {
      const checkpoint = await this.viewStore.readCheckpoint(target);
      try {
        await this.viewStore.commit(target, { writes, checkpoint });
        return;
      } catch (error) {
        if (!isCheckpointBehind(error) || attempt >= CHECKPOINT_RACE_ATTEMPTS) throw error;
      }
    }
  }
}

/** The view store refused a checkpoint lower than its own (`VIEWSTORE-001`). */
function isCheckpointBehind(error: unknown): boolean {
  return error instanceof RangeError && error.message.startsWith('VIEWSTORE-001');
}
