import { describe, expect, it } from '@jest/globals';
import type { FilterSaved, SaveFilterData } from '@eddy/contracts';
import { DeciderSpecification } from '@eddy/testing';
import { savedFilterDecider } from './saved-filter.decider';

const save: SaveFilterData = {
  id: 'f-1',
  owner: 'anna',
  name: 'Urgent orders',
  filter: { processDefinitionKey: 'order', priorityMin: 80 },
  sort: [{ field: 'DUE_DATE', direction: 'ASC' }],
};
const saved: FilterSaved = { type: 'FilterSaved', data: { ...save, sort: save.sort! } };
const spec = DeciderSpecification.for(savedFilterDecider);

describe('saved filter decider', () => {
  it('saves a filter, with no sort when none is given', () => {
    spec.given([]).when({ type: 'SaveFilter', data: save }).then([saved]);
    spec
      .given([])
      .when({ type: 'SaveFilter', data: { ...save, sort: undefined } })
      .then([{ type: 'FilterSaved', data: { ...saved.data, sort: [] } }]);
  });

  it('refuses a second save under the same id with FILTER_EXISTS, also after deletion', () => {
    expect(
      spec.given([saved]).when({ type: 'SaveFilter', data: save }).thenThrows('FILTER_EXISTS').path,
    ).toBe('data.id');
    spec
      .given([saved, { type: 'FilterDeleted', data: { id: 'f-1' } }])
      .when({ type: 'SaveFilter', data: save })
      .thenThrows('FILTER_EXISTS');
  });

  it('updates only the fields that change, and nothing when none does', () => {
    spec
      .given([saved])
      .when({ type: 'UpdateFilter', data: { id: 'f-1', name: 'Very urgent', filter: save.filter } })
      .then([{ type: 'FilterUpdated', data: { id: 'f-1', name: 'Very urgent' } }]);
    spec
      .given([saved])
      .when({
        type: 'UpdateFilter',
        data: { id: 'f-1', filter: { priorityMin: 80, processDefinitionKey: 'order' } },
      })
      .thenNothing();
    spec
      .given([saved])
      .when({ type: 'UpdateFilter', data: { id: 'f-1', sort: [] } })
      .thenState((state) => expect(state).toMatchObject({ status: 'saved', filter: { sort: [] } }));
  });

  it('shares with the distinct groups given, replacing the previous ones', () => {
    const shared = { type: 'FilterShared' as const, data: { id: 'f-1', groups: ['clerks', 'leads'] } };
    spec
      .given([saved])
      .when({ type: 'ShareFilter', data: { id: 'f-1', groups: ['clerks', 'leads', 'clerks'] } })
      .then([shared]);
    spec
      .given([saved, shared])
      .when({ type: 'ShareFilter', data: { id: 'f-1', groups: ['clerks', 'leads'] } })
      .thenNothing();
    spec
      .given([saved, shared])
      .when({ type: 'ShareFilter', data: { id: 'f-1', groups: [] } })
      .then([{ type: 'FilterShared', data: { id: 'f-1', groups: [] } }]);
  });

  it('deletes a filter; a missing or deleted one is FILTER_NOT_FOUND for every change', () => {
    const deleted = { type: 'FilterDeleted' as const, data: { id: 'f-1' } };
    spec
      .given([saved])
      .when({ type: 'DeleteFilter', data: { id: 'f-1' } })
      .then([deleted]);
    for (const history of [[], [saved, deleted]]) {
      spec
        .given(history)
        .when({ type: 'DeleteFilter', data: { id: 'f-1' } })
        .thenThrows('FILTER_NOT_FOUND');
      spec
        .given(history)
        .when({ type: 'UpdateFilter', data: { id: 'f-1', name: 'x' } })
        .thenThrows('FILTER_NOT_FOUND');
      spec
        .given(history)
        .when({ type: 'ShareFilter', data: { id: 'f-1', groups: ['clerks'] } })
        .thenThrows('FILTER_NOT_FOUND');
    }
  });
});
