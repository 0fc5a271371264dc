import {
  compileDataEntryFilter,
  compileDataEntrySort,
  compileTaskFilter,
  compileTaskSort,
  isTaskDeferred,
  openProcessOf,
  DEFAULT_SEARCH_SETTINGS,
  SEARCH_SETTINGS,
  type SearchSettings,
  VIEW_STORE,
  type DataEntryFilter,
  type DataEntryView,
  type TaskFilter,
  type TaskView,
  type ViewStore,
  type Viewer,
} from '@eddy/projections';
import { Inject, Injectable, type OnModuleDestroy, Optional } from '@nestjs/common';
import { mapQueryError } from '../tasklist.errors';
import { TASKLIST_OPTIONS, type TasklistOptions } from '../tasklist.options';
import { ChangeHub } from './change-hub';
import { LiveList, type LiveListLimits, type LiveListRequest } from './live-list';

/**
 * Opens the live lists behind `taskChanges` and `dataEntryChanges`. Membership of a pushed change
 * is decided by the view store's own filter functions (`view-filters.ts`), authorisation included,
 * so a live list and a query never disagree.
 */
@Injectable()
export class LiveListsService implements OnModuleDestroy {
  private readonly taskChanges: ChangeHub<'tasks'>;
  private readonly dataEntryChanges: ChangeHub<'data-entries'>;

  constructor(
    @Inject(VIEW_STORE) private readonly views: ViewStore,
    @Inject(TASKLIST_OPTIONS) private readonly options: TasklistOptions,
    /** The view store's search settings, so that a pushed change matches `search` as a query does. */
    @Optional()
    @Inject(SEARCH_SETTINGS)
    private readonly search: SearchSettings = DEFAULT_SEARCH_SETTINGS,
  ) {
    this.taskChanges = new ChangeHub(views, 'tasks', (task) => {
      const open = openProcessOf(task);
      return {
        users: [task.assignee, ...task.candidateUsers],
        groups: task.candidateGroups,
        processes: open === null ? [] : [open],
      };
    });
    this.dataEntryChanges = new ChangeHub(views, 'data-entries', (entry) => ({
      users: entry.authorizedUsers,
      groups: entry.authorizedGroups,
    }));
  }

  onModuleDestroy(): void {
    this.taskChanges.close();
    this.dataEntryChanges.close();
  }

  private get limits(): LiveListLimits {
    return {
      pageSize: this.options.snapshotPageSize,
      maxSnapshotItems: this.options.maxSnapshotItems,
      maxQueuedChanges: this.options.maxQueuedChanges,
    };
  }

  async tasks(
    viewer: Viewer,
    filter: TaskFilter | null | undefined,
    request: LiveListRequest = {},
  ): Promise<LiveList<TaskView>> {
    const includeDeferred = filter?.includeDeferred === true;
    // Deferred tasks are read too: when their follow-up date comes they join the list by time alone.
    const wide: TaskFilter = { ...(filter ?? {}), includeDeferred: true };
    let matchesWide: (task: TaskView) => boolean;
    try {
      matchesWide = compileTaskFilter(wide, viewer, new Date(), { search: this.search });
    } catch (error) {
      mapQueryError(error);
    }
    const sort = compileTaskSort(null);
    return LiveList.open<TaskView>(
      {
        view: 'tasks',
        changes: this.taskChanges.sourceFor(viewer),
        readPage: (first, after) =>
          this.views.findTasks({ viewer, filter: wide, first, after }).catch(mapQueryError),
        readMany: (ids) => this.views.getTasks(ids, viewer),
        matches: (task, now) =>
          matchesWide(task) && (includeDeferred || !isTaskDeferred(task, new Date(now))),
        matchesFrom: (task, now) =>
          !includeDeferred &&
          task.followUpDate !== null &&
          isTaskDeferred(task, new Date(now)) &&
          matchesWide(task)
            ? Date.parse(task.followUpDate)
            : null,
        compare: (a, b) => sort.compare(sort.key(a), a.id, sort.key(b), b.id),
      },
      this.limits,
      request,
    );
  }

  async dataEntries(
    viewer: Viewer,
    filter: DataEntryFilter | null | undefined,
  ): Promise<LiveList<DataEntryView>> {
    let matches: (entry: DataEntryView) => boolean;
    try {
      matches = compileDataEntryFilter(filter, viewer, { search: this.search });
    } catch (error) {
      mapQueryError(error);
    }
    const sort = compileDataEntrySort(null);
    return LiveList.open<DataEntryView>(
      {
        view: 'data-entries',
        changes: this.dataEntryChanges.sourceFor(viewer),
        readPage: (first, after) =>
          this.views.findDataEntries({ viewer, filter, first, after }).catch(mapQueryError),
        readMany: (ids) => this.views.getDataEntries(ids, viewer),
        matches: (entry) => matches(entry),
        compare: (a, b) => sort.compare(sort.key(a), a.id, sort.key(b), b.id),
      },
      this.limits,
    );
  }
}
