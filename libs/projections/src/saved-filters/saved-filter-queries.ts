import type { SavedFilterView } from './saved-filter.view';

/**
 * The saved filters: the part of the view store's reading face that the saved-filters view answers.
 * Both adapters pass the contract suite `libs/testing/src/saved-filters-view-store.contract.ts`.
 */
export interface SavedFilterQueries {
  /**
   * The saved filters the viewer may read: their own and those shared with one of their groups,
   * sorted by name, then id.
   */
  savedFilters(viewer: { userId: string; groups: readonly string[] }): Promise<SavedFilterView[]>;

  /** One saved filter, whoever asks (the tasklist authorises changes to it), or null when there is none. */
  getSavedFilter(id: string): Promise<SavedFilterView | null>;
}
