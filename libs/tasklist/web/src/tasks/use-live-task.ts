import { useEffect, useState } from 'preact/hooks';
import { TASK_VERSIONS } from '../api/documents';
import type { TasklistApi } from '../api/graphql-client';
import type { TaskChange, TaskDetail, TaskFilter } from './task.types';

/** Where the detail's task stands in its own live subscription. */
export interface LiveTaskVersion {
  /** The version last pushed; null until the subscription's SNAPSHOT. */
  version: number | null;
  /** True once the task left what the user may see (completed, deleted, handed away). */
  gone: boolean;
}

/** The contract's `TaskFilter` conditions that single out one task's process instance. */
type OneTaskFilter = TaskFilter & {
  taskDefinitionKey: string;
  processInstanceId?: string;
  applicationName?: string;
};

/**
 * The narrowest filter of the contract that holds the task: its process instance and task
 * definition, or (for tasks of no process instance) its name within its application.
 */
function filterOf(task: TaskDetail): OneTaskFilter {
  const base = { includeDeferred: true, taskDefinitionKey: task.taskDefinitionKey };
  return task.processInstanceId
    ? { ...base, processInstanceId: task.processInstanceId }
    : { ...base, applicationName: task.applicationName, text: task.name };
}

/**
 * Follows one task live, whatever list the page shows: a `taskChanges` subscription narrowed to
 * the task (see {@link filterOf}) that reports its version, so that the detail reads it again when
 * someone else changes it or comments on it.
 */
export function useLiveTask(api: TasklistApi, task: TaskDetail | null): LiveTaskVersion {
  const [state, setState] = useState<LiveTaskVersion>({ version: null, gone: false });
  const filter = task ? filterOf(task) : null;
  const key = task ? `${task.id}|${JSON.stringify(filter)}` : null;
  useEffect(() => {
    if (!task || !filter) return undefined;
    const id = task.id;
    setState({ version: null, gone: false });
    return api.subscribe<{ taskChanges: TaskChange<{ id: string; version: number }> }>(
      TASK_VERSIONS,
      { filter },
      ({ taskChanges }) => {
        const pushed = taskChanges.tasks.find((t) => t.id === id);
        if (pushed) setState({ version: pushed.version, gone: false });
        else if (taskChanges.kind === 'SNAPSHOT' || taskChanges.removedIds.includes(id)) {
          setState((s) => ({ version: s.version, gone: true }));
        }
      },
      // The lists say when the live connection fails; the detail keeps what it shows.
      () => undefined,
    );
    // The filter is compared by its JSON, with the task's id.
  }, [api, key]);
  return state;
}
