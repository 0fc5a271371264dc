import type { SavedFilterSort } from './saved-filter.commands';

/** A user saved a task filter under a name. The time is the event's metadata timestamp. */
export type FilterSaved = {
  type: 'FilterSaved';
  data: {
    id: string;
    owner: string;
    name: string;
    filter: Record<string, unknown>;
    sort: SavedFilterSort;
  };
};

/** The fields that changed, and only those. */
export type FilterUpdated = {
  type: 'FilterUpdated';
  data: { id: string; name?: string; filter?: Record<string, unknown>; sort?: SavedFilterSort };
};

/** The groups the filter is shared with now (replacing the previous ones). */
export type FilterShared = { type: 'FilterShared'; data: { id: string; groups: string[] } };

export type FilterDeleted = { type: 'FilterDeleted'; data: { id: string } };

export type SavedFilterEvent = FilterSaved | FilterUpdated | FilterShared | FilterDeleted;
