import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { EventStore } from '@eddy/eventstore';
import type { Projection } from '../projection';
import { LIVE_COPY, type ViewStore } from '../view-store.port';
import type { ViewDocuments, ViewName } from '../view.types';
import { type ProjectionFailure, ProjectionWorker, type ProjectionWorkerOptions } from './projection-worker';

export type ProjectionState = 'running' | 'replaying' | 'stopped' | 'failed';

export interface ReplayStatus {
  replayId: string;
  status: 'running' | 'completed' | 'failed';
  /** Position the fresh copy has reached. */
  position: number;
  headPosition: number;
  /** 0..1 */
  progress: number;
  startedAt: string;
  finishedAt?: string;
  error?: string;
}

/** The admin API's view of a projection. */
export interface ProjectionStatus {
  name: string;
  status: ProjectionState;
  position: number;
  headPosition: number;
  lag: number;
  eventsPerSecond: number;
  lastError?: ProjectionFailure;
  /** The running replay, or the last one. */
  replay?: ReplayStatus;
}

export interface VerifyDifference {
  id: string;
  field: string;
  live: unknown;
  rebuilt: unknown;
}

export interface VerifyResult {
  consistent: boolean;
  /** Documents compared (the union of both copies' ids). */
  checked: number;
  /** At most 100. */
  differences: VerifyDifference[];
}

/** Thrown for a projection name that does not exist (the admin API answers 404). */
export class UnknownProjectionError extends Error {
  constructor(readonly projectionName: string) {
    super(`no projection named '${projectionName}'`);
    this.name = 'UnknownProjectionError';
  }
}

export type ProjectionRunnerOptions = ProjectionWorkerOptions;

const MAX_DIFFERENCES = 100;

interface Slot {
  projection: Projection;
  worker: ProjectionWorker;
  replay?: ReplayStatus & { worker?: ProjectionWorker };
  /** Serialises the operations that pause the live worker (replay switch-over, verify). */
  lock: Promise<unknown>;
}

/**
 * Runs every projection: one live worker per view from its checkpoint, replays into fresh copies
 * that take over once caught up, and verification against a fresh rebuild.
 */
export class ProjectionRunner {
  private readonly logger = new Logger('ProjectionRunner');
  private readonly slots = new Map<string, Slot>();
  private readonly background = new AbortController();
  private readonly tasks = new Set<Promise<unknown>>();
  private startupHead = 0;
  /** Ends when the shared catch-up is over and the workers are live (replay and verify wait for it). */
  private startup: Promise<void> = Promise.resolve();
  private started = false;
  private caughtUp = false;

  constructor(
    private readonly eventStore: EventStore,
    private readonly viewStore: ViewStore,
    projections: readonly Projection[],
    private readonly options: ProjectionRunnerOptions = {},
  ) {
    for (const projection of projections) {
      this.slots.set(projection.name, {
        projection,
        worker: this.worker(projection, LIVE_COPY),
        lock: Promise.resolve(),
      });
    }
  }

  /** Names of the projections, in registration order. */
  get names(): string[] {
    return [...this.slots.keys()];
  }

  /**
   * Reads the head (readiness waits for it) and starts the projections from their checkpoints. Up
   * to that head they share one read of the log (reading and decoding it once instead of once per
   * projection is what makes start-up fast); then each goes live on its own subscription. Returns
   * at once; {@link isCaughtUpToStartupHead} tells when they have caught up.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.startupHead = await this.eventStore.headPosition();
    const workers = [...this.slots.values()].map((s) => s.worker);
    for (const worker of workers) {
      await worker.init();
      this.logger.log(
        `PROJECTION-001 projection ${worker.projection.name} starts at position ${worker.position}, head ${this.startupHead}`,
      );
    }
    this.startup = this.sharedCatchUp(workers, this.startupHead)
      .catch((error: unknown) => {
        // Each worker's own subscription reads the rest and reports what fails.
        this.logger.warn(
          `PROJECTION-004 shared catch-up stopped early: ${error instanceof Error ? error.message : String(error)}`,
        );
      })
      .then(() => {
        if (this.background.signal.aborted) return;
        for (const worker of workers) if (worker.state !== 'failed') worker.start();
      });
    this.track(this.startup);
  }

  private async sharedCatchUp(workers: ProjectionWorker[], head: number): Promise<void> {
    const signal = this.background.signal;
    const batchSize = this.options.batchSize ?? 1_000;
    let position = Math.min(...workers.map((w) => w.position));
    while (position < head && !signal.aborted) {
      const events = await this.eventStore.readAll({
        after: position,
        maxCount: Math.min(batchSize, head - position),
      });
      if (events.length === 0) break;
      for (const worker of workers) {
        if (worker.state !== 'failed' && worker.position < events[events.length - 1].position) {
          await worker.feed(events, signal);
        }
      }
      position = events[events.length - 1].position;
    }
  }

  async stop(): Promise<void> {
    this.background.abort();
    await Promise.allSettled([...this.tasks]);
    await Promise.all([...this.slots.values()].map((s) => s.worker.stop()));
  }

  /** True once every projection has reached the head it saw at start, and none has failed. */
  isCaughtUpToStartupHead(): boolean {
    if (!this.started) return false;
    const slots = [...this.slots.values()];
    if (slots.some((s) => s.worker.state === 'failed')) return false;
    if (!this.caughtUp) this.caughtUp = slots.every((s) => s.worker.position >= this.startupHead);
    return this.caughtUp;
  }

  /** Projections that stopped on an event, with the event's position and the error. */
  failures(): { name: string; failure: ProjectionFailure }[] {
    return [...this.slots.values()]
      .filter((s) => s.worker.state === 'failed' && s.worker.failure)
      .map((s) => ({ name: s.projection.name, failure: s.worker.failure! }));
  }

  /** Live position of a projection (for metrics without a head read). */
  position(name: string): number {
    return this.slot(name).worker.position;
  }

  async statuses(): Promise<ProjectionStatus[]> {
    const head = await this.eventStore.headPosition();
    return [...this.slots.keys()].map((name) => this.statusOf(name, head));
  }

  async status(name: string): Promise<ProjectionStatus> {
    this.slot(name);
    return this.statusOf(name, await this.eventStore.headPosition());
  }

  /**
   * Starts a rebuild of the view into a fresh copy and returns its id at once. Queries keep being
   * served from the live copy; once the fresh copy has caught up, the live worker pauses, the copy
   * reaches the head, takes over, and a new live worker goes on from there. A replay already running
   * for the projection is returned instead of starting another.
   */
  replay(name: string): string {
    const slot = this.slot(name);
    if (slot.replay?.status === 'running') return slot.replay.replayId;
    const replay: Slot['replay'] = startedReplay();
    slot.replay = replay;
    this.logger.log(`PROJECTION-010 projection ${name}: replay ${replay.replayId} started`);
    this.track(
      this.runReplay(slot, replay).catch((error: unknown) => {
        replay.status = 'failed';
        replay.error = error instanceof Error ? error.message : String(error);
        replay.finishedAt = new Date().toISOString();
        this.logger.error(
          `PROJECTION-012 projection ${name}: replay ${replay.replayId} failed: ${replay.error}`,
        );
      }),
    );
    return replay.replayId;
  }

  /** Resolves when the projection's running replay (if any) has ended. */
  async replayFinished(name: string): Promise<ReplayStatus | undefined> {
    const slot = this.slot(name);
    while (slot.replay?.status === 'running') await new Promise((r) => setTimeout(r, 10));
    return slot.replay ? publicReplay(slot.replay) : undefined;
  }

  /**
   * Rebuilds the view into a scratch copy up to the live position and compares every document
   * field by field. The live worker pauses only for the last few events.
   */
  async verify(name: string): Promise<VerifyResult> {
    const slot = this.slot(name);
    await this.startup;
    const scratch = await this.rebuildWorker(slot.projection);
    try {
      if (!(await scratch.catchUpTo(slot.worker.position, this.background.signal))) {
        throw new Error(
          `rebuild failed at position ${scratch.failure?.position}: ${scratch.failure?.message}`,
        );
      }
      return await this.exclusive(slot, async () => {
        const wasRunning = slot.worker.state === 'running';
        await slot.worker.stop();
        try {
          if (!(await scratch.catchUpTo(slot.worker.position, this.background.signal))) {
            throw new Error(
              `rebuild failed at position ${scratch.failure?.position}: ${scratch.failure?.message}`,
            );
          }
          const [live, rebuilt] = await Promise.all([
            this.viewStore.documents({ view: slot.projection.name, copy: LIVE_COPY }),
            this.viewStore.documents(scratch.target),
          ]);
          return compareViews(slot.projection.name, live, rebuilt);
        } finally {
          if (wasRunning) slot.worker.start();
        }
      });
    } finally {
      await this.viewStore.dropCopy(scratch.target);
    }
  }

  private async runReplay(slot: Slot, replay: NonNullable<Slot['replay']>): Promise<void> {
    const signal = this.background.signal;
    await this.startup;
    const rebuild = await this.rebuildWorker(slot.projection);
    replay.worker = rebuild;
    const progress = async () => {
      replay.position = rebuild.position;
      replay.headPosition = await this.eventStore.headPosition();
      replay.progress = replay.headPosition === 0 ? 1 : Math.min(1, rebuild.position / replay.headPosition);
    };
    try {
      // Catch up while the live copy keeps serving, until the rest is small.
      for (;;) {
        await progress();
        const goal = slot.worker.state === 'failed' ? replay.headPosition : slot.worker.position;
        if (goal - rebuild.position <= 1_000) break;
        const ok = await this.catchUpInSteps(rebuild, goal, progress, signal);
        if (!ok)
          throw new Error(
            `rebuild failed at position ${rebuild.failure?.position}: ${rebuild.failure?.message}`,
          );
        if (signal.aborted) throw new Error('stopped');
      }
      await this.exclusive(slot, async () => {
        const live = slot.worker;
        const wasFailed = live.state === 'failed';
        await live.stop();
        const head = await this.eventStore.headPosition();
        if (!(await rebuild.catchUpTo(head, signal)) || signal.aborted) {
          if (!wasFailed && !signal.aborted) live.start();
          throw new Error(
            signal.aborted
              ? 'stopped'
              : `rebuild failed at position ${rebuild.failure?.position}: ${rebuild.failure?.message}`,
          );
        }
        await this.viewStore.promoteCopy(rebuild.target);
        const next = this.worker(slot.projection, LIVE_COPY);
        await next.init();
        next.start();
        slot.worker = next;
      });
      await progress();
      replay.status = 'completed';
      replay.finishedAt = new Date().toISOString();
      replay.worker = undefined;
      this.logger.log(
        `PROJECTION-011 projection ${slot.projection.name}: replay ${replay.replayId} took over at position ${rebuild.position}`,
      );
    } catch (error) {
      replay.worker = undefined;
      await this.viewStore.dropCopy(rebuild.target).catch(() => undefined);
      throw error;
    }
  }

  private async catchUpInSteps(
    worker: ProjectionWorker,
    goal: number,
    progress: () => Promise<void>,
    signal: AbortSignal,
  ): Promise<boolean> {
    const step = 20_000;
    while (worker.position < goal && !signal.aborted) {
      if (!(await worker.catchUpTo(Math.min(goal, worker.position + step), signal))) return false;
      await progress();
    }
    return true;
  }

  private statusOf(name: string, head: number): ProjectionStatus {
    const slot = this.slot(name);
    const worker = slot.worker;
    const replaying = slot.replay?.status === 'running';
    const state: ProjectionState =
      worker.state === 'failed'
        ? 'failed'
        : replaying
          ? 'replaying'
          : worker.state === 'running'
            ? 'running'
            : 'stopped';
    if (replaying && slot.replay?.worker) slot.replay.position = slot.replay.worker.position;
    return {
      name,
      status: state,
      position: worker.position,
      headPosition: head,
      lag: Math.max(0, head - worker.position),
      eventsPerSecond: worker.eventsPerSecond(),
      ...(worker.failure ? { lastError: worker.failure } : {}),
      ...(slot.replay ? { replay: publicReplay(slot.replay) } : {}),
    };
  }

  private slot(name: string): Slot {
    const slot = this.slots.get(name);
    if (!slot) throw new UnknownProjectionError(name);
    return slot;
  }

  private worker(projection: Projection, copy: string): ProjectionWorker {
    return new ProjectionWorker(
      projection,
      { view: projection.name, copy },
      this.eventStore,
      this.viewStore,
      this.options,
    );
  }

  private async rebuildWorker(projection: Projection): Promise<ProjectionWorker> {
    const copy = await this.viewStore.createCopy(projection.name);
    const worker = this.worker(projection, copy);
    await worker.init();
    return worker;
  }

  private exclusive<T>(slot: Slot, action: () => Promise<T>): Promise<T> {
    const result = slot.lock.then(action, action);
    slot.lock = result.catch(() => undefined);
    return result;
  }

  private track(task: Promise<unknown>): void {
    this.tasks.add(task);
    void task.finally(() => this.tasks.delete(task)).catch(() => undefined);
  }
}

/** The status of a replay that starts now. */
export function startedReplay(): ReplayStatus {
  return {
    replayId: randomUUID(),
    status: 'running',
    position: 0,
    headPosition: 0,
    progress: 0,
    startedAt: new Date().toISOString(),
  };
}

function publicReplay(replay: NonNullable<Slot['replay']>): ReplayStatus {
  const { worker: _worker, ...status } = replay;
  return { ...status };
}

/** Field-by-field comparison of two copies of a view, documents in id order. */
export function compareViews<V extends ViewName>(
  view: V,
  live: readonly ViewDocuments[V][],
  rebuilt: readonly ViewDocuments[V][],
): VerifyResult {
  const idOf = (d: ViewDocuments[V]) =>
    view === 'process-definitions' ? (d as { key: string }).key : (d as { id: string }).id;
  const liveById = new Map(live.map((d) => [idOf(d), d as unknown as Record<string, unknown>]));
  const rebuiltById = new Map(rebuilt.map((d) => [idOf(d), d as unknown as Record<string, unknown>]));
  const ids = [...new Set([...liveById.keys(), ...rebuiltById.keys()])].sort();
  const differences: VerifyDifference[] = [];
  let total = 0;
  const note = (difference: VerifyDifference) => {
    total++;
    if (differences.length < MAX_DIFFERENCES) differences.push(difference);
  };
  for (const id of ids) {
    const a = liveById.get(id);
    const b = rebuiltById.get(id);
    if (!a || !b) {
      note({ id, field: '*', live: a ?? null, rebuilt: b ?? null });
      continue;
    }
    for (const field of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if (JSON.stringify(a[field]) !== JSON.stringify(b[field])) {
        note({ id, field, live: a[field] ?? null, rebuilt: b[field] ?? null });
      }
    }
  }
  return { consistent: total === 0, checked: ids.length, differences };
}
