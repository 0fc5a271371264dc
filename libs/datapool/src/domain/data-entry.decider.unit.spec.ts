import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  foldEvents,
  type CreateOrUpdateDataEntryData,
  type DataEntryCommand,
  type DataEntryCreated,
  type DataEntryEvent,
  type DataEntryUpdated,
  type ProtocolEntry,
} from '@eddy/contracts';
import { DeciderSpecification, defaultTestMetadata, testMetadata } from '@eddy/testing';
import { dataEntryDecider } from './data-entry.decider';

const key = { entryType: 'order', entryId: '17' };
const basic: CreateOrUpdateDataEntryData = {
  ...key,
  type: 'Order',
  name: 'Order 17',
  applicationName: 'shop',
};
const time = defaultTestMetadata.timestamp;
const line = (fields: Partial<ProtocolEntry>): ProtocolEntry => ({
  time,
  processingType: 'UNDEFINED',
  state: null,
  username: 'tester',
  logMessage: null,
  logDetails: null,
  ...fields,
});
const noAuthorizationChanges = { addedUsers: [], removedUsers: [], addedGroups: [], removedGroups: [] };

const created: DataEntryCreated = {
  type: 'DataEntryCreated',
  data: {
    ...basic,
    description: null,
    formKey: null,
    state: { processingType: 'IN_PROGRESS', state: 'submitted' },
    payload: { amount: 10 },
    correlations: [],
    authorizedUsers: ['anna'],
    authorizedGroups: ['clerks'],
    protocolEntry: line({
      processingType: 'IN_PROGRESS',
      state: 'submitted',
      username: 'anna',
      logMessage: 'created',
    }),
  },
};
const { authorizedUsers: _u, authorizedGroups: _g, protocolEntry: _p, ...createdAttributes } = created.data;
const updated = (data: Partial<DataEntryUpdated['data']>): DataEntryUpdated => ({
  type: 'DataEntryUpdated',
  data: { ...createdAttributes, authorizations: noAuthorizationChanges, protocolEntry: null, ...data },
});
const update = (data: Partial<CreateOrUpdateDataEntryData> = {}): DataEntryCommand => ({
  type: 'CreateOrUpdateDataEntry',
  data: { ...basic, ...data },
});
const deleted: DataEntryEvent = {
  type: 'DataEntryDeleted',
  data: { ...key, protocolEntry: line({ processingType: 'DELETED', state: 'submitted' }) },
};

const spec = DeciderSpecification.for(dataEntryDecider);

describe('data entry decider: CreateOrUpdateDataEntry', () => {
  it('creates an entry with the default state and no protocol entry when nothing asks for one', () => {
    spec
      .given([])
      .when(update())
      .then([
        {
          type: 'DataEntryCreated',
          data: {
            ...basic,
            description: null,
            formKey: null,
            state: { processingType: 'UNDEFINED', state: null },
            payload: {},
            correlations: [],
            authorizedUsers: [],
            authorizedGroups: [],
            protocolEntry: null,
          },
        },
      ]);
  });

  it('creates with a protocol entry from the modification and the authorizations applied in order', () => {
    spec
      .given([])
      .when(
        update({
          state: { processingType: 'IN_PROGRESS', state: 'submitted' },
          payload: { amount: 10 },
          authorizations: [
            { kind: 'ADD_USER', principal: 'anna' },
            { kind: 'ADD_USER', principal: 'bert' },
            { kind: 'ADD_GROUP', principal: 'clerks' },
            { kind: 'REMOVE_USER', principal: 'bert' },
          ],
          modification: { username: 'anna', log: 'created' },
        }),
      )
      .then([created]);
  });

  it('takes the protocol time and user from the modification, else from the metadata', () => {
    spec
      .given([])
      .when(
        update({ modification: { time: '2025-12-24T18:00:00Z', username: 'olga', log: 'l', logNotes: 'n' } }),
      )
      .thenState((state) =>
        expect(state).toMatchObject({
          protocol: [
            line({ time: '2025-12-24T18:00:00Z', username: 'olga', logMessage: 'l', logDetails: 'n' }),
          ],
        }),
      );
    spec
      .given([])
      .when(update({ state: { processingType: 'PRELIMINARY' } }), {
        userId: 'svc',
        timestamp: '2026-06-01T00:00:00Z',
      })
      .thenState((state) =>
        expect(state).toMatchObject({
          protocol: [line({ time: '2026-06-01T00:00:00Z', username: 'svc', processingType: 'PRELIMINARY' })],
        }),
      );
    spec
      .given([])
      .when(update({ state: { processingType: 'PRELIMINARY' } }), { userId: undefined })
      .thenState((state) => expect(state).toMatchObject({ protocol: [{ username: null }] }));
  });

  it('updates with the full attributes, the authorization changes and a protocol entry for a state change', () => {
    spec
      .given([created])
      .when(
        update({
          state: { processingType: 'COMPLETED', state: 'approved' },
          authorizations: [
            { kind: 'REMOVE_USER', principal: 'anna' },
            { kind: 'ADD_USER', principal: 'bert' },
            { kind: 'ADD_GROUP', principal: 'managers' },
            { kind: 'REMOVE_GROUP', principal: 'clerks' },
          ],
        }),
      )
      .then([
        {
          type: 'DataEntryUpdated',
          data: {
            ...basic,
            description: null,
            formKey: null,
            state: { processingType: 'COMPLETED', state: 'approved' },
            payload: { amount: 10 },
            correlations: [],
            authorizations: {
              addedUsers: ['bert'],
              removedUsers: ['anna'],
              addedGroups: ['managers'],
              removedGroups: ['clerks'],
            },
            protocolEntry: line({ processingType: 'COMPLETED', state: 'approved' }),
          },
        },
      ]);
  });

  it('keeps the optional attributes an update leaves out, and writes no protocol entry without state change', () => {
    spec
      .given([created])
      .when(update({ name: 'Order 17 (rush)' }))
      .then([updated({ name: 'Order 17 (rush)' })]);
  });

  it('emits nothing when nothing changes', () => {
    spec.given([created]).when(update()).thenNothing();
    spec
      .given([created])
      .when(
        update({
          state: { processingType: 'IN_PROGRESS', state: 'submitted' },
          payload: { amount: 10 },
          authorizations: [
            { kind: 'ADD_USER', principal: 'anna' },
            { kind: 'ADD_USER', principal: 'zoe' },
            { kind: 'REMOVE_USER', principal: 'zoe' },
          ],
          // A modification without a log line does not make an update a change.
          modification: { username: 'anna' },
        }),
      )
      .thenNothing();
  });

  it('records a log line even when the attributes stay the same', () => {
    spec
      .given([created])
      .when(update({ modification: { username: 'bert', log: 'looked at it' } }))
      .then([
        {
          type: 'DataEntryUpdated',
          data: {
            ...basic,
            description: null,
            formKey: null,
            state: created.data.state,
            payload: { amount: 10 },
            correlations: [],
            authorizations: noAuthorizationChanges,
            protocolEntry: line({
              processingType: 'IN_PROGRESS',
              state: 'submitted',
              username: 'bert',
              logMessage: 'looked at it',
            }),
          },
        },
      ]);
  });
});

describe('data entry decider: DeleteDataEntry', () => {
  it('deletes with a DELETED protocol entry', () => {
    spec
      .given([created])
      .when({ type: 'DeleteDataEntry', data: { ...key } })
      .then([deleted]);
    spec
      .given([created])
      .when({
        type: 'DeleteDataEntry',
        data: { ...key, modification: { username: 'olga', log: 'obsolete' } },
      })
      .thenState((state) => {
        expect(state.status).toBe('deleted');
        expect(state).toMatchObject({
          entry: { state: { processingType: 'DELETED', state: 'submitted' } },
          protocol: [
            created.data.protocolEntry,
            line({ processingType: 'DELETED', state: 'submitted', username: 'olga', logMessage: 'obsolete' }),
          ],
        });
      });
  });

  it('refuses an unknown entry with DATA_ENTRY_NOT_FOUND', () => {
    spec.given([]).when({ type: 'DeleteDataEntry', data: key }).thenThrows('DATA_ENTRY_NOT_FOUND');
  });

  it('emits nothing for an entry already deleted', () => {
    spec.given([created, deleted]).when({ type: 'DeleteDataEntry', data: key }).thenNothing();
  });

  it('revives a deleted entry on update (lax deletion), keeping authorizations and protocol', () => {
    spec
      .given([created, deleted])
      .when(update())
      .then([
        {
          type: 'DataEntryUpdated',
          data: {
            ...basic,
            description: null,
            formKey: null,
            state: { processingType: 'UNDEFINED', state: null },
            payload: { amount: 10 },
            correlations: [],
            authorizations: noAuthorizationChanges,
            protocolEntry: line({}),
          },
        },
      ]);
    spec
      .given([created, deleted])
      .when(update({ state: { processingType: 'IN_PROGRESS', state: 'reopened' } }))
      .thenState((state) => {
        expect(state).toMatchObject({
          status: 'active',
          authorizedUsers: ['anna'],
          entry: { state: { processingType: 'IN_PROGRESS', state: 'reopened' } },
        });
        expect(state.status !== 'not-created' && state.protocol).toHaveLength(3);
      });
  });
});

describe('data entry decider: AnonymizeDataEntry', () => {
  const history: DataEntryEvent[] = [
    created,
    updated({
      authorizations: { ...noAuthorizationChanges, addedUsers: ['bert', 'olga'] },
      protocolEntry: line({ username: 'bert', logMessage: 'checked' }),
    }),
    updated({ protocolEntry: line({ username: null, logMessage: 'by the system' }) }),
  ];

  it('replaces usernames in the protocol and removes user authorizations, except the excluded users', () => {
    spec
      .given(history)
      .when({
        type: 'AnonymizeDataEntry',
        data: { ...key, anonymizedUsername: 'anonymous', excludedUsernames: ['olga'] },
      })
      .then([
        {
          type: 'DataEntryAnonymized',
          data: {
            ...key,
            anonymizedUsername: 'anonymous',
            excludedUsernames: ['olga'],
            removedUsers: ['anna', 'bert'],
          },
        },
      ]);
    spec
      .given(history)
      .when({
        type: 'AnonymizeDataEntry',
        data: { ...key, anonymizedUsername: 'anonymous', excludedUsernames: ['bert'] },
      })
      .thenState((state) => {
        expect(state).toMatchObject({ authorizedUsers: ['bert'], authorizedGroups: ['clerks'] });
        expect(state.status !== 'not-created' && state.protocol.map((l) => l.username)).toEqual([
          'anonymous',
          'bert',
          null,
        ]);
      });
  });

  it('anonymizes a deleted entry too', () => {
    spec
      .given([created, deleted])
      .when({ type: 'AnonymizeDataEntry', data: { ...key, anonymizedUsername: 'anonymous' } })
      .thenState((state) => {
        expect(state).toMatchObject({ status: 'deleted', authorizedUsers: [] });
        expect(state.status !== 'not-created' && state.protocol.map((l) => l.username)).toEqual([
          'anonymous',
          'anonymous',
        ]);
      });
  });

  it('emits nothing when there is nothing left to anonymize', () => {
    const once: DataEntryEvent = {
      type: 'DataEntryAnonymized',
      data: { ...key, anonymizedUsername: 'anonymous', excludedUsernames: [], removedUsers: ['anna'] },
    };
    spec
      .given([created, once])
      .when({ type: 'AnonymizeDataEntry', data: { ...key, anonymizedUsername: 'anonymous' } })
      .thenNothing();
  });

  it('refuses an unknown entry with DATA_ENTRY_NOT_FOUND', () => {
    spec
      .given([])
      .when({ type: 'AnonymizeDataEntry', data: { ...key, anonymizedUsername: 'anonymous' } })
      .thenThrows('DATA_ENTRY_NOT_FOUND');
  });
});

describe('data entry decider: properties', () => {
  const principal = fc.constantFrom('anna', 'bert', 'clerks');
  const command: fc.Arbitrary<DataEntryCommand> = fc.oneof(
    fc
      .record(
        {
          state: fc.record({ processingType: fc.constantFrom('IN_PROGRESS', 'COMPLETED' as const) }),
          payload: fc.dictionary(fc.constantFrom('a', 'b'), fc.integer({ min: 0, max: 2 })),
          authorizations: fc.array(
            fc.record({
              kind: fc.constantFrom('ADD_USER', 'REMOVE_USER', 'ADD_GROUP', 'REMOVE_GROUP' as const),
              principal,
            }),
            { maxLength: 4 },
          ),
          modification: fc.record(
            { username: principal, log: fc.constantFrom('x', 'y') },
            { requiredKeys: [] },
          ),
        },
        { requiredKeys: [] },
      )
      .map((data) => update(data)),
    fc.constant<DataEntryCommand>({ type: 'DeleteDataEntry', data: key }),
    fc
      .record({
        anonymizedUsername: fc.constantFrom('anonymous', 'nobody'),
        excludedUsernames: fc.array(principal),
      })
      .map((data): DataEntryCommand => ({ type: 'AnonymizeDataEntry', data: { ...key, ...data } })),
  );
  const run = (commands: DataEntryCommand[]) => {
    let state = dataEntryDecider.initialState();
    const events: DataEntryEvent[] = [];
    for (const c of commands) {
      try {
        const emitted = dataEntryDecider.decide(c, state, testMetadata());
        events.push(...emitted);
        state = foldEvents(dataEntryDecider, emitted, state);
      } catch {
        // refusals are part of the run
      }
    }
    return { events, state };
  };

  it('deciding the same commands twice from the same state gives the same events and state', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 20 }), (commands) => {
        const first = run(commands);
        expect(run(commands)).toEqual(first);
        expect(foldEvents(dataEntryDecider, first.events)).toEqual(first.state);
      }),
    );
  });

  it('an update without log line repeated emits nothing the second time', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 10 }), (history) => {
        const { state } = run(history);
        const repeated = update({ state: { processingType: 'IN_PROGRESS' }, payload: { a: 1 } });
        const once = foldEvents(
          dataEntryDecider,
          dataEntryDecider.decide(repeated, state, testMetadata()),
          state,
        );
        expect(dataEntryDecider.decide(repeated, once, testMetadata())).toEqual([]);
      }),
    );
  });
});
