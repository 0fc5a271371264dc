import { useEffect, useState } from 'preact/hooks';
import { DATA_ENTRY_CHANGES } from '../api/documents';
import type { GraphqlError, TasklistApi } from '../api/graphql-client';
import { applyLiveChange } from '../live/live-set';
import type { DataEntryChange, DataEntryRow } from './data-entry.types';

export interface LiveDataEntries {
  entries: ReadonlyMap<string, DataEntryRow>;
  ready: boolean;
  error: GraphqlError | null;
}

/** The data entries the user may see, kept current by one `dataEntryChanges` subscription. */
export function useLiveDataEntries(api: TasklistApi, text: string): LiveDataEntries {
  const [state, setState] = useState<LiveDataEntries>({ entries: new Map(), ready: false, error: null });
  useEffect(() => {
    setState({ entries: new Map(), ready: false, error: null });
    const filter = text.trim() ? { text: text.trim() } : {};
    return api.subscribe<{ dataEntryChanges: DataEntryChange }>(
      DATA_ENTRY_CHANGES,
      { filter },
      ({ dataEntryChanges: change }) =>
        setState((s) => ({
          entries: applyLiveChange(s.entries, { ...change, items: change.dataEntries }),
          ready: true,
          error: null,
        })),
      (error) => setState((s) => ({ ...s, error })),
    );
  }, [api, text]);
  return state;
}
