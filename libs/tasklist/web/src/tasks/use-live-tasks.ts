import { useEffect, useRef, useState } from 'preact/hooks';
import type { TasklistApi } from '../api/graphql-client';
import { INITIAL_TASK_PAGE, LiveTaskPage, type TaskPageState } from './live-task-page';
import type { TaskFilter, TaskSort } from './task.types';

export interface LiveTasks extends TaskPageState {
  next(): void;
  previous(): void;
  /** The newest version the list has seen of a task (for a detail pane to read it again). */
  versionOf(id: string): number | undefined;
}

/**
 * One tab's live list, one page at a time ({@link LiveTaskPage}): a new filter starts a new list, a
 * new sort shows its first page.
 */
export function useLiveTasks(
  api: TasklistApi,
  filter: TaskFilter | null,
  /** null: no sort, so that a search ranks by relevance. */
  sort: TaskSort | null,
  pageSize: number,
): LiveTasks {
  const [state, setState] = useState<TaskPageState>(INITIAL_TASK_PAGE);
  const list = useRef<LiveTaskPage | null>(null);
  const key = JSON.stringify(filter);
  const sortKey = JSON.stringify(sort);
  useEffect(() => {
    if (filter === null) return undefined;
    setState(INITIAL_TASK_PAGE);
    const page = new LiveTaskPage(api, filter, sort ? [sort] : [], pageSize, setState);
    list.current = page;
    return () => {
      page.close();
      list.current = null;
    };
    // The filter is compared by its JSON: a new object with the same conditions keeps the subscription.
  }, [api, key, pageSize]);
  useEffect(() => list.current?.sortBy(sort ? [sort] : []), [sortKey]);
  return {
    ...state,
    next: () => list.current?.next(),
    previous: () => list.current?.previous(),
    versionOf: (id) => list.current?.versionOf(id),
  };
}
