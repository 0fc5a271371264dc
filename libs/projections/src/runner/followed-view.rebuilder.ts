import { Logger } from '@nestjs/common';
import type { EventStore } from '@eddy/eventstore';
import type { Projection } from '../projection';
import { LIVE_COPY, type ViewStore } from '../view-store.port';
import type { ViewName } from '../view.types';
import {
  compareViews,
  type ProjectionStatus,
  type ReplayStatus,
  startedReplay,
  UnknownProjectionError,
  type VerifyResult,
} from './projection-runner';
import { ProjectionWorker, type ProjectionWorkerOptions } from './projection-worker';
import { StreamOrderApplier } from './stream-order.applier';

/** How long verify waits for the live view to reach the head it rebuilt to. */
const LIVE_WAIT_MS = 60_000;
/** Rounds verify makes while commands keep moving the head between its reads. */
const VERIFY_ROUNDS = 10;
/** Events read at once while closing the seam after a switch. */
const SEAM_BATCH = 1_000;

/**
 * Replay and verify in a process that serves views another process projects live (the projector
 * of the distributed layout, from the event topic): the admin API of an `api` process. It rebuilds
 * a view from the event store, not from the event topic, into a fresh copy while the projector
 * keeps the live copy current, then switches the view's pointer, which every process follows.
 *
 * The seam: the projector may still write the old copy until it follows the switch. A write it
 * finishes there before the old copy's checkpoint is deleted carries an event that was in the event
 * store by then; every later one fails (the copy is gone) and is tried again on the new copy. So
 * once the switch is done, the events up to the head read then are applied to the new copy again
 * (the writes are conditional on each document's revision: applying one twice changes nothing).
 */
export class FollowedViewRebuilder {
  private readonly logger = new Logger('FollowedViewRebuilder');
  private readonly projections = new Map<string, Projection>();
  private readonly replays = new Map<string, ReplayStatus & { worker?: ProjectionWorker }>();
  private readonly stopping = new AbortController();
  private readonly tasks = new Set<Promise<unknown>>();

  constructor(
    private readonly eventStore: EventStore,
    private readonly viewStore: ViewStore,
    projections: readonly Projection[],
    private readonly options: ProjectionWorkerOptions = {},
  ) {
    for (const projection of projections) this.projections.set(projection.name, projection);
  }

  async statuses(): Promise<ProjectionStatus[]> {
    const head = await this.eventStore.headPosition();
    return Promise.all([...this.projections.keys()].map((name) => this.statusOf(name, head)));
  }

  async status(name: string): Promise<ProjectionStatus> {
    this.projection(name);
    return this.statusOf(name, await this.eventStore.headPosition());
  }

  /** Starts a replay and returns its id at once, or the id of the one already running here. */
  replay(name: string): string {
    const projection = this.projection(name);
    const running = this.replays.get(name);
    if (running?.status === 'running') return running.replayId;
    const replay: ReplayStatus & { worker?: ProjectionWorker } = startedReplay();
    this.replays.set(name, replay);
    this.logger.log(
      `PROJECTION-010 projection ${name}: replay ${replay.replayId} started (projected elsewhere)`,
    );
    const task = this.runReplay(projection, replay).catch((error: unknown) => {
      replay.status = 'failed';
      replay.error = error instanceof Error ? error.message : String(error);
      replay.finishedAt = new Date().toISOString();
      this.logger.error(
        `PROJECTION-012 projection ${name}: replay ${replay.replayId} failed: ${replay.error}`,
      );
    });
    this.tasks.add(task);
    void task.finally(() => this.tasks.delete(task));
    return replay.replayId;
  }

  /**
   * Rebuilds the view into a scratch copy and compares it with the live one once the live one has
   * reached the same head; while commands keep moving the head, it rebuilds further and compares
   * again, a few rounds, and answers the last comparison.
   */
  async verify(name: string): Promise<VerifyResult> {
    const projection = this.projection(name);
    const scratch = await this.freshWorker(projection);
    const signal = this.stopping.signal;
    try {
      let result: VerifyResult | undefined;
      for (let round = 0; round < VERIFY_ROUNDS; round++) {
        const head = await this.eventStore.headPosition();
        await this.rebuildTo(scratch, head, signal);
        await this.viewStore.waitForPosition(head, LIVE_WAIT_MS, [projection.name as ViewName]);
        const live = await this.viewStore.documents({ view: projection.name, copy: LIVE_COPY });
        const rebuilt = await this.viewStore.documents(scratch.target);
        result = compareViews(projection.name, live, rebuilt);
        if (result.consistent || (await this.eventStore.headPosition()) === head) return result;
      }
      return result!;
    } finally {
      await this.viewStore.dropCopy(scratch.target).catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.tasks]);
  }

  private async runReplay(
    projection: Projection,
    replay: ReplayStatus & { worker?: ProjectionWorker },
  ): Promise<void> {
    const signal = this.stopping.signal;
    const rebuild = await this.freshWorker(projection);
    replay.worker = rebuild;
    let promoted = false;
    try {
      // Catch up in rounds while the projector keeps the live copy current, until the rest is small.
      for (;;) {
        const head = await this.eventStore.headPosition();
        replay.headPosition = head;
        if (head - rebuild.position <= 1_000) break;
        await this.rebuildTo(rebuild, Math.min(head, rebuild.position + 20_000), signal);
        this.progress(replay, rebuild.position, head);
      }
      await this.rebuildTo(rebuild, await this.eventStore.headPosition(), signal);
      const switchedAt = rebuild.position;
      await this.viewStore.promoteCopy(rebuild.target);
      promoted = true;
      // The seam (see the class): what reached the event store before the switch, applied again.
      const head = await this.eventStore.headPosition();
      await this.closeSeam(projection, switchedAt, head, signal);
      this.progress(replay, head, head);
      replay.status = 'completed';
      replay.finishedAt = new Date().toISOString();
      this.logger.log(
        `PROJECTION-011 projection ${projection.name}: replay ${replay.replayId} took over at position ${switchedAt}, seam closed at ${head}`,
      );
    } finally {
      replay.worker = undefined;
      if (!promoted) await this.viewStore.dropCopy(rebuild.target).catch(() => undefined);
    }
  }

  /** Applies the events in (after, upTo] to the now live copy, in stream order, then moves its checkpoint. */
  private async closeSeam(projection: Projection, after: number, upTo: number, signal: AbortSignal) {
    const applier = new StreamOrderApplier(this.viewStore, [projection], this.options.upcast);
    let position = after;
    while (position < upTo && !signal.aborted) {
      const events = (
        await this.eventStore.readAll({ after: position, maxCount: Math.min(SEAM_BATCH, upTo - position) })
      ).filter((e) => e.position <= upTo);
      if (events.length === 0) break;
      await applier.apply(events);
      position = events[events.length - 1].position;
    }
    if (signal.aborted) throw new Error('stopped');
    await applier.raiseCheckpoint(upTo);
  }

  private async rebuildTo(worker: ProjectionWorker, position: number, signal: AbortSignal): Promise<void> {
    const ok = await worker.catchUpTo(position, signal);
    if (signal.aborted) throw new Error('stopped');
    if (!ok) {
      throw new Error(`rebuild failed at position ${worker.failure?.position}: ${worker.failure?.message}`);
    }
  }

  private progress(replay: ReplayStatus, position: number, head: number): void {
    replay.position = position;
    replay.headPosition = head;
    replay.progress = head === 0 ? 1 : Math.min(1, position / head);
  }

  private async freshWorker(projection: Projection): Promise<ProjectionWorker> {
    const copy = await this.viewStore.createCopy(projection.name);
    const worker = new ProjectionWorker(
      projection,
      { view: projection.name, copy },
      this.eventStore,
      this.viewStore,
      this.options,
    );
    await worker.init();
    return worker;
  }

  private async statusOf(name: string, head: number): Promise<ProjectionStatus> {
    const position = await this.viewStore.checkpoint(name as ViewName);
    const replay = this.replays.get(name);
    if (replay?.status === 'running' && replay.worker) replay.position = replay.worker.position;
    const { worker: _worker, ...publicReplay } = replay ?? {};
    return {
      name,
      status: replay?.status === 'running' ? 'replaying' : 'running',
      position,
      headPosition: head,
      lag: Math.max(0, head - position),
      eventsPerSecond: 0,
      ...(replay ? { replay: publicReplay as ReplayStatus } : {}),
    };
  }

  private projection(name: string): Projection {
    const projection = this.projections.get(name);
    if (!projection) throw new UnknownProjectionError(name);
    return projection;
  }
}
