import { describe, it } from '@jest/globals';
import { projectionSpecification } from '@eddy/testing';
import { dataEntryCreated } from '../projection.fixtures.spec';
import { dataEntriesProjection } from './data-entries.projection';

const spec = projectionSpecification(dataEntriesProjection);

const updated = (overrides: Record<string, unknown> = {}) => {
  const created = dataEntryCreated('o1').data;
  const { authorizedUsers: _u, authorizedGroups: _g, protocolEntry: _p, ...attributes } = created;
  return {
    type: 'DataEntryUpdated',
    data: {
      ...attributes,
      name: 'Order o1 (changed)',
      state: { processingType: 'COMPLETED', state: 'shipped' },
      authorizations: {
        addedUsers: ['bob'],
        removedUsers: [],
        addedGroups: ['audit'],
        removedGroups: ['sales'],
      },
      protocolEntry: {
        time: '2026-01-02T10:00:00.000Z',
        processingType: 'COMPLETED',
        state: 'shipped',
        username: 'bob',
        logMessage: 'shipped',
        logDetails: null,
      },
      ...overrides,
    },
  };
};

describe('data entries projection', () => {
  it('puts a created entry in the view with its protocol and authorisations', () => {
    spec
      .given()
      .when(dataEntryCreated('o1', { payload: { customer: { city: 'Hamburg' } } }))
      .thenDocument('order#o1', {
        id: 'order#o1',
        entryType: 'order',
        entryId: 'o1',
        name: 'Order o1',
        state: { processingType: 'IN_PROGRESS', state: 'open' },
        payload: { customer: { city: 'Hamburg' } },
        authorizedUsers: [],
        authorizedGroups: ['sales'],
        lastModified: '2026-01-01T10:00:00.000Z',
        version: 0,
      })
      .thenReplayGivesSameView();
  });

  it('an update replaces the attributes, appends to the protocol and changes authorisations', () => {
    spec
      .given(dataEntryCreated('o1'))
      .when(updated())
      .thenDocument('order#o1', {
        name: 'Order o1 (changed)',
        state: { processingType: 'COMPLETED', state: 'shipped' },
        authorizedUsers: ['bob'],
        authorizedGroups: ['audit'],
        lastModified: '2026-01-02T10:00:00.000Z',
        version: 1,
      })
      .thenReplayGivesSameView();
  });

  it('anonymizing replaces usernames except the excluded ones and removes user authorisations', () => {
    const then = spec
      .given(dataEntryCreated('o1', { authorizedUsers: ['alice'] }), updated())
      .when({
        type: 'DataEntryAnonymized',
        data: {
          entryType: 'order',
          entryId: 'o1',
          anonymizedUsername: '***',
          excludedUsernames: ['bob'],
          removedUsers: ['alice', 'bob'],
        },
      })
      .thenDocument('order#o1', { authorizedUsers: [] })
      .thenReplayGivesSameView();
    const protocol = then.documents.get('order#o1')!.protocol.map((p) => p.username);
    if (protocol.join() !== '***,bob') throw new Error(`protocol usernames: ${protocol.join()}`);
  });

  it('a deleted entry leaves the view; duplicates change nothing', () => {
    spec
      .given(dataEntryCreated('o1'))
      .when({
        type: 'DataEntryDeleted',
        data: { entryType: 'order', entryId: 'o1', protocolEntry: updated().data.protocolEntry },
      })
      .thenNoDocument('order#o1');
    spec
      .given(dataEntryCreated('o1'), updated())
      .when({ ...updated({ name: 'stale' }), streamId: 'spec-order#o1', revision: 1 })
      .thenNothingChanged();
  });
});
