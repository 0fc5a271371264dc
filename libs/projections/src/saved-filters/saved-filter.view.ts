/**
 * A saved task filter of the tasklist: its owner's, readable by the owner and by the members of the
 * groups it is shared with. `filter` and `sort` are a `TaskFilter` and `TaskSort`s as the tasklist
 * validated them, so that they can be given to `tasks` as they are.
 */
export interface SavedFilterView {
  id: string;
  name: string;
  owner: string;
  filter: Record<string, unknown>;
  sort: { field: string; direction?: 'ASC' | 'DESC' }[];
  sharedWithGroups: string[];
  /** Time of the command that saved it. */
  createdAt: string;
  /** Time of the command that changed it last. */
  updatedAt: string;
  version: number;
  position: number;
}

/** Who may read a saved filter, as principal keys: its owner and the groups it is shared with. */
export function savedFilterPrincipals(filter: Pick<SavedFilterView, 'owner' | 'sharedWithGroups'>): string[] {
  return [...new Set([`u:${filter.owner}`, ...filter.sharedWithGroups.map((g) => `g:${g}`)])];
}

/** The viewer owns the filter or belongs to a group it is shared with. */
export function canReadSavedFilter(
  filter: Pick<SavedFilterView, 'owner' | 'sharedWithGroups'>,
  viewer: { userId: string; groups: readonly string[] },
): boolean {
  return filter.owner === viewer.userId || filter.sharedWithGroups.some((g) => viewer.groups.includes(g));
}

/** The order of a list of saved filters: by name, then id. */
export function compareSavedFilters(a: SavedFilterView, b: SavedFilterView): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
