import {
  VIEW_STORE,
  type ChangeSubscription,
  type TaskFilter,
  type ViewChange,
  type ViewStore,
  type Viewer,
  ViewQueryError,
} from '@eddy/projections';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { badInput, mapQueryError } from '../tasklist.errors';
import { LiveTaskCounts } from './live-task-counts';

/** Most filters one `taskCountChanges` subscription may count (one per tab). */
export const MAX_COUNTED_FILTERS = 20;

/**
 * `taskCount` and the live counts of `taskCountChanges`. Counting is the view store's (`taskCount`,
 * authorised inside the query, from the indexes); the live counts share one change feed subscription of
 * the tasks view and count again after each change they are told of.
 */
@Injectable()
export class TaskCountsService implements OnModuleDestroy {
  private readonly logger = new Logger('Tasklist');
  private readonly live = new Set<LiveTaskCounts>();
  private feed: Promise<ChangeSubscription> | null = null;

  constructor(@Inject(VIEW_STORE) private readonly views: ViewStore) {}

  count(viewer: Viewer, filter: TaskFilter | null | undefined): Promise<number> {
    return this.views.taskCount({ viewer, filter }).catch(mapQueryError);
  }

  /** Opens the live counts of these filters; the first message holds every count. */
  async open(viewer: Viewer, filters: readonly TaskFilter[]): Promise<LiveTaskCounts> {
    if (filters.length === 0) throw badInput('filters', 'must hold at least one filter');
    if (filters.length > MAX_COUNTED_FILTERS) {
      throw badInput('filters', `must hold at most ${MAX_COUNTED_FILTERS} filters`);
    }
    await this.follow();
    const position = await this.views.checkpoint('tasks');
    const counts = new LiveTaskCounts(
      () => Promise.all(filters.map((filter, i) => this.countOne(viewer, filter, i))),
      position,
      () => this.live.delete(counts),
      () => this.nextUndeferral(viewer, filters),
    );
    // Registered before the first count: a change during it is counted again, none is missed.
    this.live.add(counts);
    try {
      await counts.start();
    } catch (error) {
      await counts.return();
      throw error;
    }
    return counts;
  }

  /** One filter's count; a bad filter is named by its place: `filters[1].payload[0].path`. */
  private countOne(viewer: Viewer, filter: TaskFilter, index: number): Promise<number> {
    return this.views.taskCount({ viewer, filter }).catch((error: unknown) => {
      if (!(error instanceof ViewQueryError)) throw error;
      const field = error.field.replace(/^filter/, `filters[${index}]`);
      throw badInput(field, error.message.slice(error.field.length + 2));
    });
  }

  /**
   * When the next deferred task that a filter leaves out reaches its follow-up date (epoch ms), from the
   * view: the first such task by follow-up date. Null when no filter leaves deferred tasks out or none waits.
   */
  private async nextUndeferral(viewer: Viewer, filters: readonly TaskFilter[]): Promise<number | null> {
    const now = new Date();
    let next: number | null = null;
    for (const filter of filters) {
      if (filter.includeDeferred) continue;
      const bound =
        filter.followUpAfter && Date.parse(filter.followUpAfter) > now.getTime()
          ? filter.followUpAfter
          : now.toISOString();
      const page = await this.views.findTasks({
        viewer,
        filter: { ...filter, includeDeferred: true, followUpAfter: bound },
        sort: [{ field: 'FOLLOW_UP_DATE', direction: 'ASC' }],
        first: 1,
        now,
      });
      const at = page.nodes[0]?.followUpDate ? Date.parse(page.nodes[0].followUpDate) : null;
      if (at !== null && (next === null || at < next)) next = at;
    }
    return next;
  }

  onModuleDestroy(): void {
    void this.feed?.then((s) => s.close()).catch(() => undefined);
    this.feed = null;
  }

  private async follow(): Promise<void> {
    this.feed ??= this.views
      .checkpoint('tasks')
      .then((after) =>
        this.views.subscribe(
          { after, views: ['tasks'] },
          { next: (changes) => this.changed(changes), error: (error) => this.failed(error) },
        ),
      )
      .catch((error: unknown) => {
        this.feed = null;
        throw error;
      });
    await this.feed;
  }

  private changed(changes: readonly ViewChange[]): void {
    const position = Math.max(...changes.map((c) => c.position));
    for (const counts of this.live) counts.changed(position);
  }

  private failed(error: Error): void {
    this.logger.error(`TASKLIST-204 change feed of the live task counts failed: ${error.message}`);
    this.feed = null;
    for (const counts of this.live) counts.fail(error);
  }
}
