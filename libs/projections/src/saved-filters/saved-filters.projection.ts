import type { SavedFilterEvent } from '@eddy/contracts';
import type { StoredEvent } from '@eddy/eventstore';
import { assertNever, type Projection, ProjectionApplyError, storedVersion } from '../projection';
import type { StoredViewDocument } from '../view-store.port';
import type { SavedFilterView } from './saved-filter.view';

type Stored = StoredViewDocument<'saved-filters'>;

const SAVED_FILTER_EVENT_TYPES: ReadonlySet<string> = new Set<SavedFilterEvent['type']>([
  'FilterSaved',
  'FilterUpdated',
  'FilterShared',
  'FilterDeleted',
]);

/**
 * The saved filters of the tasklist's users, one document per filter stream. A deleted filter leaves
 * the view (its tombstone keeps the revision, so a late event cannot bring it back).
 */
export const savedFiltersProjection: Projection<'saved-filters'> = {
  name: 'saved-filters',

  documentId(event: StoredEvent): string | null {
    return SAVED_FILTER_EVENT_TYPES.has(event.type) ? (event.data as { id: string }).id : null;
  },

  apply(current: Stored | undefined, stored: StoredEvent): Stored | undefined {
    if (storedVersion(current) >= stored.revision) return current;
    const event = stored as unknown as SavedFilterEvent;
    const at = { version: stored.revision, position: stored.position, updatedAt: stored.metadata.timestamp };
    if (event.type === 'FilterSaved') {
      const { id, owner, name, filter, sort } = event.data;
      const document: SavedFilterView = {
        id,
        name,
        owner,
        filter,
        sort: sort.map((s) => ({ ...s })),
        sharedWithGroups: [],
        createdAt: stored.metadata.timestamp,
        ...at,
      };
      return { id, removed: false, document };
    }
    if (!current) {
      throw new ProjectionApplyError(
        'saved-filters',
        stored,
        `saved filter ${event.data.id} was never saved`,
      );
    }
    if (current.removed) return current;
    const update = (changes: Partial<SavedFilterView>): Stored => ({
      id: current.id,
      removed: false,
      document: { ...current.document, ...changes, ...at },
    });
    switch (event.type) {
      case 'FilterUpdated': {
        const { id: _id, ...changes } = event.data;
        return update(changes);
      }
      case 'FilterShared':
        return update({ sharedWithGroups: [...event.data.groups] });
      case 'FilterDeleted':
        return { id: current.id, removed: true, version: stored.revision, position: stored.position };
      default:
        return assertNever(event, 'saved filter event');
    }
  },
};
