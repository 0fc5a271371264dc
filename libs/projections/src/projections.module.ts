import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Global,
  Inject,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '@eddy/eventstore';
import { gauge } from '@eddy/observability';
import { closedTasksProjection } from './closed-tasks/closed-tasks.projection';
import { historyProjection } from './history/history.projection';
import { dataEntriesProjection } from './data-entries/data-entries.projection';
import { MemoryViewStore, type MemoryViewStoreOptions } from './memory/memory.view-store';
import { MongoViewStore } from './mongodb/mongo.view-store';
import { processDefinitionsProjection } from './process-definitions/process-definitions.projection';
import { processInstancesProjection } from './process-instances/process-instances.projection';
import type { Projection } from './projection';
import { FollowedViewRebuilder } from './runner/followed-view.rebuilder';
import { followedViewsReadinessCheck } from './runner/followed-views.readiness';
import { ProjectionRunner, type ProjectionRunnerOptions } from './runner/projection-runner';
import { savedFiltersProjection } from './saved-filters/saved-filters.projection';
import { tasksProjection } from './tasks/tasks.projection';
import { VIEW_STORE, type ViewStore } from './view-store.port';
import { resolveSearchSettings, SEARCH_SETTINGS, type SearchSettings } from './search/search-settings';

/** The projections of Eddy: the views the tasklist reads. */
export const DEFAULT_PROJECTIONS: readonly Projection[] = [
  tasksProjection,
  dataEntriesProjection,
  processDefinitionsProjection,
  processInstancesProjection,
  closedTasksProjection,
  historyProjection,
  savedFiltersProjection,
];

export interface ProjectionsModuleOptions {
  /** Default {@link DEFAULT_PROJECTIONS}. */
  projections?: readonly Projection[];
  runner?: ProjectionRunnerOptions;
  viewStore?: MemoryViewStoreOptions;
  /** What free-text search reads and how long a search may be (`EDDY_SEARCH_*`); for either store. */
  search?: Partial<SearchSettings>;
  /** Keep the views in MongoDB instead of memory (`EDDY_VIEW_STORE=mongodb`). */
  mongodb?: { url: string; database: string; serverSelectionTimeoutMS?: number };
  /**
   * `false` (`EDDY_PROJECTIONS=off`): this process runs no projections (no {@link ProjectionRunner}
   * is provided) and serves the views another process projects into MongoDB, following them
   * through the change feed. Default true.
   */
  projecting?: boolean;
  /**
   * With `projecting: false`: this process replays and verifies the views itself from the event
   * store ({@link FollowedViewRebuilder}), beside a projector that writes them from the event topic
   * and follows the switch. Default false (the admin API answers 409 here).
   */
  rebuildsFollowedViews?: boolean;
}

/** The configured view store; a MongoDB that cannot be reached stops start-up naming the setting. */
export async function createViewStore(options: ProjectionsModuleOptions): Promise<ViewStore> {
  if (!options.mongodb && options.projecting === false) {
    throw new Error(
      'CONFIG-011 EDDY_PROJECTIONS: off needs views that another process projects (EDDY_VIEW_STORE=mongodb); the memory view store would stay empty',
    );
  }
  if (!options.mongodb) return new MemoryViewStore({ ...options.viewStore, search: options.search });
  const { url, database } = options.mongodb;
  try {
    return await MongoViewStore.connect(url, database, { ...options.mongodb, search: options.search });
  } catch (error) {
    throw new Error(
      `CONFIG-010 EDDY_MONGODB_URL: cannot open the view store in database '${database}': ${(error as Error).message}`,
    );
  }
}

/** Injection token of the {@link ProjectionsModuleOptions}. */
export const PROJECTIONS_OPTIONS = Symbol('PROJECTIONS_OPTIONS');

/** What `/health/ready` asks: has every projection caught up to the head it saw at start, and none failed? */
export interface ProjectionsReadiness {
  name: string;
  check(): Promise<{ ready: boolean; detail?: unknown }>;
}

/**
 * Injection token of the {@link ProjectionsReadiness} of this process: the runner's, or, where the
 * process does not project, whether the views another process projects have caught up.
 */
export const PROJECTIONS_READINESS = Symbol('PROJECTIONS_READINESS');

/** The readiness check of the projections, in the shape of the application's readiness checks. */
export function projectionsReadinessCheck(runner: ProjectionRunner): ProjectionsReadiness {
  return {
    name: 'projections',
    check: async () => {
      const statuses = await runner.statuses();
      return {
        ready: runner.isCaughtUpToStartupHead(),
        detail: statuses.map((s) => ({
          name: s.name,
          status: s.status,
          position: s.position,
          lag: s.lag,
          ...(s.lastError ? { lastError: s.lastError } : {}),
        })),
      };
    },
  };
}

const runners = new Set<ProjectionRunner>();

/**
 * Projection position and lag as gauges in prom-client's default registry (the one
 * `@eddy/observability` exposes and `GET /metrics` serves). Values are read when scraped.
 */
function registerMetrics(): void {
  const collectFrom = async (
    pick: (s: { position: number; lag: number }) => number,
    g: ReturnType<typeof gauge>,
  ) => {
    g.reset();
    for (const runner of runners) {
      for (const status of await runner.statuses()) g.set({ projection: status.name }, pick(status));
    }
  };
  const position = gauge('eddy_projection_position', 'Global position the projection has processed', [
    'projection',
  ]);
  const lag = gauge('eddy_projection_lag', 'Events between the head of the event store and the projection', [
    'projection',
  ]);
  // The gauges are shared by every application instance in the process (tests); collect reads them all.
  Object.assign(position, { collect: () => collectFrom((s) => s.position, position) });
  Object.assign(lag, { collect: () => collectFrom((s) => s.lag, lag) });
}

/**
 * Provides the view store (`VIEW_STORE`: queries, change feed, read-your-writes), the search settings
 * it indexes with (`SEARCH_SETTINGS`, for filters of pushed changes), its readiness
 * (`PROJECTIONS_READINESS`) and, unless `projecting: false`, the {@link ProjectionRunner}, which
 * starts on application bootstrap and stops before shutdown and answers the admin API; with
 * `projecting: false`, the {@link FollowedViewRebuilder} answers replay and verify instead. Needs
 * `EVENT_STORE` from the application.
 */
@Global()
@Module({})
export class ProjectionsModule
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  constructor(
    @Inject(VIEW_STORE) private readonly viewStore: ViewStore,
    @Optional() @Inject(ProjectionRunner) private readonly runner: ProjectionRunner | null = null,
    @Optional()
    @Inject(FollowedViewRebuilder)
    private readonly rebuilder: FollowedViewRebuilder | null = null,
  ) {}

  static forRoot(options: ProjectionsModuleOptions = {}): DynamicModule {
    const projecting = options.projecting !== false;
    return {
      module: ProjectionsModule,
      providers: [
        { provide: PROJECTIONS_OPTIONS, useValue: options },
        { provide: SEARCH_SETTINGS, useValue: resolveSearchSettings(options.search) },
        { provide: VIEW_STORE, useFactory: () => createViewStore(options) },
        ...(projecting
          ? [
              {
                provide: ProjectionRunner,
                inject: [EVENT_STORE, VIEW_STORE],
                useFactory: (events: EventStore, views: ViewStore) =>
                  new ProjectionRunner(
                    events,
                    views,
                    options.projections ?? DEFAULT_PROJECTIONS,
                    options.runner,
                  ),
              },
              {
                provide: PROJECTIONS_READINESS,
                inject: [ProjectionRunner],
                useFactory: (runner: ProjectionRunner) => projectionsReadinessCheck(runner),
              },
            ]
          : [
              {
                provide: PROJECTIONS_READINESS,
                inject: [EVENT_STORE, VIEW_STORE],
                useFactory: (events: EventStore, views: ViewStore) =>
                  followedViewsReadinessCheck(events, views),
              },
              ...(options.rebuildsFollowedViews
                ? [
                    {
                      provide: FollowedViewRebuilder,
                      inject: [EVENT_STORE, VIEW_STORE],
                      useFactory: (events: EventStore, views: ViewStore) =>
                        new FollowedViewRebuilder(
                          events,
                          views,
                          options.projections ?? DEFAULT_PROJECTIONS,
                          options.runner,
                        ),
                    },
                  ]
                : []),
            ]),
      ],
      exports: [
        VIEW_STORE,
        SEARCH_SETTINGS,
        PROJECTIONS_READINESS,
        ...(projecting ? [ProjectionRunner] : options.rebuildsFollowedViews ? [FollowedViewRebuilder] : []),
      ],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.runner) return;
    registerMetrics();
    runners.add(this.runner);
    await this.runner.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.rebuilder?.stop();
    if (!this.runner) return;
    runners.delete(this.runner);
    await this.runner.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.viewStore.close();
  }
}
