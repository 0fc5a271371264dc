import { TASK_CHANGES, TASK_PAGE } from '../api/documents';
import type { GraphqlError, TasklistApi } from '../api/graphql-client';
import { changeTouchesPage } from './task-page-window';
import type { TaskChange, TaskFilter, TaskRow, TaskSort } from './task.types';

/** What a tab shows of its list: one page, read from the server. */
export interface TaskPageState {
  rows: readonly TaskRow[];
  /** Counts from 0. */
  page: number;
  hasNextPage: boolean;
  /** `totalCount` of the last read; null before it. */
  totalCount: number | null;
  /** False until the first page was read. */
  ready: boolean;
  error: GraphqlError | null;
  /** Grows with every change the subscription brought, so that views depending on it render again. */
  changes: number;
}

export const INITIAL_TASK_PAGE: TaskPageState = {
  rows: [],
  page: 0,
  hasNextPage: false,
  totalCount: null,
  ready: false,
  error: null,
  changes: 0,
};

interface TaskConnection {
  nodes: TaskRow[];
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** How many task versions {@link LiveTaskPage.versionOf} remembers beyond the page. */
const REMEMBERED_VERSIONS = 1_000;

/**
 * One page of a live list, without holding the list: the rows come from `tasks(filter, sort, first,
 * after)`, and one `taskChanges(filter, first: 0)` subscription tells of every change of the list.
 * The page is read at once, to show it without waiting for the subscription to start, and again once
 * the subscription's (empty) SNAPSHOT is there, so that no change falls between the two; then again
 * whenever a change touches it ({@link changeTouchesPage}). Reads do not overlap: the changes that
 * arrive during one cost one more read after it. Pages after the first are read
 * after the cursor of the page before, kept for going back.
 */
export class LiveTaskPage {
  private state: TaskPageState = INITIAL_TASK_PAGE;
  /** The `after` of each page reached so far, and the last row of the page before it. */
  private readonly cursors: (string | null)[] = [null];
  private readonly befores: (TaskRow | null)[] = [null];
  private endCursor: string | null = null;
  /** The page to show; differs from `state.page` while it is read. */
  private page = 0;
  private sort: TaskSort[];
  /** Which page in which order `state` shows ({@link wanted} once read); its cursor is only good for that. */
  private shown: string | null = null;
  private reading = false;
  private again = false;
  private closed = false;
  private readonly versions = new Map<string, number>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly api: Pick<TasklistApi, 'request' | 'subscribe'>,
    private readonly filter: TaskFilter,
    sort: TaskSort[],
    private readonly pageSize: number,
    private readonly onState: (state: TaskPageState) => void,
  ) {
    this.sort = sort;
    this.unsubscribe = api.subscribe<{ taskChanges: TaskChange<TaskRow> }>(
      TASK_CHANGES,
      { filter, first: 0 },
      ({ taskChanges }) => this.onChange(taskChanges),
      (error) => this.emit({ error }),
    );
    void this.read();
  }

  /** Shows the first page in another order. */
  sortBy(sort: TaskSort[]): void {
    if (JSON.stringify(sort) === JSON.stringify(this.sort)) return;
    this.sort = sort;
    this.toPage(0);
  }

  /** To the next page; nothing while another page or order is being read. */
  next(): void {
    if (this.shown !== this.wanted() || !this.state.hasNextPage) return;
    const last = this.state.rows[this.state.rows.length - 1] ?? null;
    this.cursors[this.page + 1] = this.endCursor;
    this.befores[this.page + 1] = last;
    this.toPage(this.page + 1);
  }

  previous(): void {
    if (this.shown !== this.wanted() || this.page === 0) return;
    this.toPage(this.page - 1);
  }

  /**
   * The newest version seen of a task, on the page or in a change; undefined when not seen, or when
   * the task left the list since.
   */
  versionOf(id: string): number | undefined {
    return this.versions.get(id);
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
  }

  private wanted(): string {
    return JSON.stringify([this.page, this.sort]);
  }

  private toPage(page: number): void {
    this.page = page;
    void this.read();
  }

  private onChange(change: TaskChange<TaskRow>): void {
    for (const task of change.tasks) this.remember(task);
    // A task that left is no longer known to the list (a detail pane reads it once more).
    for (const id of change.removedIds) this.versions.delete(id);
    // A SNAPSHOT comes first, and again after the connection was lost: read the page anew.
    if (change.kind === 'SNAPSHOT') {
      void this.read();
      return;
    }
    this.emit({ changes: this.state.changes + 1 });
    const window = {
      rows: this.state.rows,
      before: this.befores[this.page] ?? null,
      hasNextPage: this.state.hasNextPage,
    };
    if (!this.state.ready || changeTouchesPage({ ...change, items: change.tasks }, window, this.sort))
      void this.read();
  }

  private async read(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    try {
      do {
        this.again = false;
        const page = this.page;
        const wanted = this.wanted();
        const { tasks } = await this.api.request<{ tasks: TaskConnection }>(TASK_PAGE, {
          filter: this.filter,
          sort: this.sort,
          first: this.pageSize,
          after: this.cursors[page],
        });
        if (this.closed) return;
        if (wanted !== this.wanted()) {
          this.again = true; // paged or sorted meanwhile: read the page now wanted
        } else if (tasks.nodes.length === 0 && page > 0) {
          this.page = page - 1; // every task of this page left: show the one before
          this.again = true;
        } else {
          this.endCursor = tasks.pageInfo.endCursor;
          this.shown = wanted;
          for (const task of tasks.nodes) this.remember(task);
          this.emit({
            rows: tasks.nodes,
            page,
            hasNextPage: tasks.pageInfo.hasNextPage,
            totalCount: tasks.totalCount,
            ready: true,
            error: null,
          });
        }
      } while (this.again && !this.closed);
    } catch (error) {
      if (!this.closed) this.emit({ error: error as GraphqlError });
    } finally {
      this.reading = false;
    }
  }

  private remember(task: TaskRow): void {
    this.versions.delete(task.id);
    this.versions.set(task.id, task.version);
    if (this.versions.size > REMEMBERED_VERSIONS) this.versions.delete(this.versions.keys().next().value!);
  }

  private emit(change: Partial<TaskPageState>): void {
    if (this.closed) return;
    this.state = { ...this.state, ...change };
    this.onState(this.state);
  }
}
