import { useEffect, useState } from 'preact/hooks';
import { TASK_CHANGES } from '../api/documents';
import type { GraphqlError, TasklistApi } from '../api/graphql-client';
import { applyLiveChange } from '../live/live-set';
import type { TaskChange, TaskFilter, TaskRow } from './task.types';

export interface LiveTasks {
  tasks: ReadonlyMap<string, TaskRow>;
  /** False until the first SNAPSHOT arrived. */
  ready: boolean;
  error: GraphqlError | null;
}

/** One live list: a `taskChanges` subscription with `filter`, held as a map of tasks by id. */
export function useLiveTasks(api: TasklistApi, filter: TaskFilter | null): LiveTasks {
  const [state, setState] = useState<LiveTasks>({ tasks: new Map(), ready: false, error: null });
  const key = JSON.stringify(filter);
  useEffect(() => {
    if (filter === null) return undefined;
    setState({ tasks: new Map(), ready: false, error: null });
    return api.subscribe<{ taskChanges: TaskChange<TaskRow> }>(
      TASK_CHANGES,
      { filter },
      ({ taskChanges }) =>
        setState((s) => ({
          tasks: applyLiveChange(s.tasks, { ...taskChanges, items: taskChanges.tasks }),
          ready: true,
          error: null,
        })),
      (error) => setState((s) => ({ ...s, error })),
    );
    // The filter is compared by its JSON: a new object with the same conditions keeps the subscription.
  }, [api, key]);
  return state;
}
