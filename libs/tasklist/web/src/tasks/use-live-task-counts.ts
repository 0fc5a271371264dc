import { useEffect, useState } from 'preact/hooks';
import { TASK_COUNT_CHANGES } from '../api/documents';
import type { GraphqlError, TasklistApi } from '../api/graphql-client';
import type { TaskFilter } from './task.types';

export interface LiveTaskCounts {
  /** One count per filter, in their order; null until the first counts arrived. */
  counts: readonly number[] | null;
  error: GraphqlError | null;
}

/** The counts of the tabs, kept current by one `taskCountChanges` subscription. */
export function useLiveTaskCounts(api: TasklistApi, filters: readonly TaskFilter[] | null): LiveTaskCounts {
  const [state, setState] = useState<LiveTaskCounts>({ counts: null, error: null });
  const key = JSON.stringify(filters);
  useEffect(() => {
    if (filters === null) return undefined;
    setState({ counts: null, error: null });
    return api.subscribe<{ taskCountChanges: { counts: number[] } }>(
      TASK_COUNT_CHANGES,
      { filters },
      ({ taskCountChanges }) => setState({ counts: taskCountChanges.counts, error: null }),
      (error) => setState((s) => ({ ...s, error })),
    );
    // The filters are compared by their JSON, as the lists' are.
  }, [api, key]);
  return state;
}
