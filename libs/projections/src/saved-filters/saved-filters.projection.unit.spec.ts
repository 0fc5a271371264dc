import { describe, it } from '@jest/globals';
import { projectionSpecification } from '@eddy/testing';
import { savedFiltersProjection } from './saved-filters.projection';

const spec = projectionSpecification(savedFiltersProjection);
const saved = {
  type: 'FilterSaved',
  data: { id: 'f-1', owner: 'anna', name: 'Mine', filter: { assignedToMe: true }, sort: [] },
};

describe('saved filters projection', () => {
  it('keeps a saved filter with its owner, times and shares, changed field by field', () => {
    spec
      .given(saved)
      .when(
        { type: 'FilterUpdated', data: { id: 'f-1', name: 'Mine, urgent first' } },
        { type: 'FilterShared', data: { id: 'f-1', groups: ['clerks'] } },
        { type: 'FilterUpdated', data: { id: 'f-1', sort: [{ field: 'PRIORITY', direction: 'DESC' }] } },
      )
      .thenDocument('f-1', {
        id: 'f-1',
        owner: 'anna',
        name: 'Mine, urgent first',
        filter: { assignedToMe: true },
        sort: [{ field: 'PRIORITY', direction: 'DESC' }],
        sharedWithGroups: ['clerks'],
        createdAt: '2026-01-01T00:00:01.000Z',
        updatedAt: '2026-01-01T00:00:04.000Z',
        version: 3,
        position: 4,
      })
      .thenReplayGivesSameView();
  });

  it('removes a deleted filter, and a late change does not bring it back', () => {
    spec
      .given(saved)
      .when(
        { type: 'FilterDeleted', data: { id: 'f-1' } },
        { type: 'FilterShared', data: { id: 'f-1', groups: ['clerks'] }, revision: 1 },
      )
      .thenNoDocument('f-1')
      .thenReplayGivesSameView();
  });

  it('leaves the events of other streams alone', () => {
    spec
      .given(saved)
      .when({ type: 'TaskClaimed', data: { id: 't-1', assignee: 'anna' } })
      .thenNothingChanged();
  });
});
