import type { IndexDescription } from 'mongodb';
import type { ViewName } from '../view.types';

/**
 * The indexes of each view collection, created when the collection is (at start for the live
 * ones, with every replay copy). Listed in the adapter's README. Authorisation (`_p`) leads every
 * query index, since every tasklist query carries it; the sort key follows, then `_id` (the
 * tie-break), so that a page is read in index order. `position` serves the change feed's backlog.
 * `_q` (search terms) stands alone: MongoDB cannot index two arrays (`_p`, `_q`) in one index.
 */
export const VIEW_INDEXES: Record<ViewName, IndexDescription[]> = {
  tasks: [
    { key: { _p: 1, '_s.createTime': 1, _id: 1 }, name: 'visible_createTime' },
    { key: { _p: 1, '_s.dueDate': 1, _id: 1 }, name: 'visible_dueDate' },
    { key: { _p: 1, '_s.followUpDate': 1, _id: 1 }, name: 'visible_followUpDate' },
    { key: { _p: 1, priority: 1, _id: 1 }, name: 'visible_priority' },
    { key: { _p: 1, name: 1, _id: 1 }, name: 'visible_name' },
    { key: { _c: 1 }, name: 'correlations' },
    { key: { _q: 1 }, name: 'search_terms' },
    { key: { position: 1 }, name: 'position' },
  ],
  'data-entries': [
    { key: { _p: 1, '_s.lastModified': -1, _id: 1 }, name: 'visible_lastModified' },
    { key: { _p: 1, name: 1, _id: 1 }, name: 'visible_name' },
    { key: { _p: 1, entryType: 1, _id: 1 }, name: 'visible_entryType' },
    { key: { _q: 1 }, name: 'search_terms' },
    { key: { position: 1 }, name: 'position' },
  ],
  'process-definitions': [{ key: { position: 1 }, name: 'position' }],
  'process-instances': [
    { key: { startUserId: 1, startTime: -1, _id: 1 }, name: 'startUser_startTime' },
    { key: { position: 1 }, name: 'position' },
  ],
  // An open task is kept without principals (`_p: []`): no query of a viewer reaches it.
  'closed-tasks': [
    { key: { _p: 1, '_s.closedAt': -1, _id: 1 }, name: 'visible_closedAt' },
    { key: { _p: 1, completedBy: 1, '_s.closedAt': -1, _id: 1 }, name: 'visible_completedBy_closedAt' },
    { key: { _q: 1 }, name: 'search_terms' },
    { key: { position: 1 }, name: 'position' },
  ],
  history: [{ key: { position: 1 }, name: 'position' }],
  'saved-filters': [
    { key: { _p: 1, name: 1, _id: 1 }, name: 'visible_name' },
    { key: { position: 1 }, name: 'position' },
  ],
};
