import {
  assertNever,
  DomainError,
  jsonEquals,
  type AnonymizeDataEntryData,
  type AuthorizationChange,
  type CommandMetadata,
  type CreateOrUpdateDataEntryData,
  type DataEntryAttributes,
  type DataEntryCommand,
  type DataEntryEvent,
  type Decider,
  type DeleteDataEntryData,
  type Modification,
  type ProtocolEntry,
} from '@eddy/contracts';

/** What the data pool knows of one entry, protocol included. */
export interface DataEntryRecord {
  entry: DataEntryAttributes;
  authorizedUsers: string[];
  authorizedGroups: string[];
  /** The entry's history, oldest first. */
  protocol: ProtocolEntry[];
}

/** The state of one data entry stream. A deleted entry keeps its record: an update revives it. */
export type DataEntryDeciderState =
  | { status: 'not-created' }
  | ({ status: 'active' } & DataEntryRecord)
  | ({ status: 'deleted' } & DataEntryRecord);

/** Codes with which the data entry decider refuses commands. */
export const DataEntryErrorCodes = {
  DATA_ENTRY_NOT_FOUND: 'DATA_ENTRY_NOT_FOUND',
} as const;

/** The state of an entry that never said what state it is in. */
export const defaultDataEntryState: DataEntryAttributes['state'] = Object.freeze({
  processingType: 'UNDEFINED',
  state: null,
});

interface Authorizations {
  users: string[];
  groups: string[];
}

/** Applies the changes in order: adding then removing a principal leaves it out. */
export function applyAuthorizationChanges(
  current: Authorizations,
  changes: readonly AuthorizationChange[],
): Authorizations {
  const users = [...current.users];
  const groups = [...current.groups];
  for (const { kind, principal } of changes) {
    const list = kind === 'ADD_USER' || kind === 'REMOVE_USER' ? users : groups;
    const at = list.indexOf(principal);
    if ((kind === 'ADD_USER' || kind === 'ADD_GROUP') && at < 0) list.push(principal);
    if ((kind === 'REMOVE_USER' || kind === 'REMOVE_GROUP') && at >= 0) list.splice(at, 1);
  }
  return { users, groups };
}

function protocolEntry(
  modification: Modification | undefined,
  state: DataEntryAttributes['state'],
  metadata: CommandMetadata,
): ProtocolEntry {
  return {
    time: modification?.time ?? metadata.timestamp,
    processingType: state.processingType,
    state: state.state,
    username: modification?.username ?? metadata.userId ?? null,
    logMessage: modification?.log ?? null,
    logDetails: modification?.logNotes ?? null,
  };
}

/**
 * The attributes after the command. On an update, optional fields the command leaves out keep
 * their value (a process application that reports a new state does not wipe the payload); a
 * revived entry without a state starts again from the default state.
 */
function attributesAfter(
  data: CreateOrUpdateDataEntryData,
  before: DataEntryAttributes | null,
  revived: boolean,
): DataEntryAttributes {
  const state = data.state
    ? { processingType: data.state.processingType, state: data.state.state ?? null }
    : before && !revived
      ? before.state
      : defaultDataEntryState;
  return {
    entryType: data.entryType,
    entryId: data.entryId,
    type: data.type,
    name: data.name,
    applicationName: data.applicationName,
    description: data.description ?? before?.description ?? null,
    formKey: data.formKey ?? before?.formKey ?? null,
    state: { ...state },
    payload: data.payload ?? before?.payload ?? {},
    correlations: data.correlations ?? before?.correlations ?? [],
  };
}

const hasLog = (m: Modification | undefined): boolean => m?.log !== undefined || m?.logNotes !== undefined;

function createOrUpdate(
  data: CreateOrUpdateDataEntryData,
  state: DataEntryDeciderState,
  metadata: CommandMetadata,
): DataEntryEvent[] {
  const changes = data.authorizations ?? [];
  if (state.status === 'not-created') {
    const entry = attributesAfter(data, null, false);
    const { users, groups } = applyAuthorizationChanges({ users: [], groups: [] }, changes);
    const protocol =
      data.modification || data.state ? protocolEntry(data.modification, entry.state, metadata) : null;
    return [
      {
        type: 'DataEntryCreated',
        data: { ...entry, authorizedUsers: users, authorizedGroups: groups, protocolEntry: protocol },
      },
    ];
  }

  const revived = state.status === 'deleted';
  const entry = attributesAfter(data, state.entry, revived);
  const after = applyAuthorizationChanges(
    { users: state.authorizedUsers, groups: state.authorizedGroups },
    changes,
  );
  const authorizations = {
    addedUsers: after.users.filter((u) => !state.authorizedUsers.includes(u)),
    removedUsers: state.authorizedUsers.filter((u) => !after.users.includes(u)),
    addedGroups: after.groups.filter((g) => !state.authorizedGroups.includes(g)),
    removedGroups: state.authorizedGroups.filter((g) => !after.groups.includes(g)),
  };
  const stateChanged = !jsonEquals(entry.state, state.entry.state);
  const changed =
    revived ||
    !jsonEquals(entry, state.entry) ||
    Object.values(authorizations).some((list) => list.length > 0) ||
    // A log line is a change of its own: the application wants it in the history.
    hasLog(data.modification);
  if (!changed) return [];
  const protocol =
    data.modification || stateChanged ? protocolEntry(data.modification, entry.state, metadata) : null;
  return [{ type: 'DataEntryUpdated', data: { ...entry, authorizations, protocolEntry: protocol } }];
}

function remove(
  data: DeleteDataEntryData,
  state: DataEntryDeciderState,
  metadata: CommandMetadata,
): DataEntryEvent[] {
  if (state.status === 'not-created') throw notFound(data);
  if (state.status === 'deleted') return [];
  const deleted = { processingType: 'DELETED' as const, state: state.entry.state.state };
  return [
    {
      type: 'DataEntryDeleted',
      data: {
        entryType: data.entryType,
        entryId: data.entryId,
        protocolEntry: protocolEntry(data.modification, deleted, metadata),
      },
    },
  ];
}

function anonymizedProtocol(
  protocol: readonly ProtocolEntry[],
  anonymizedUsername: string,
  excludedUsernames: readonly string[],
): ProtocolEntry[] {
  return protocol.map((line) =>
    line.username === null || excludedUsernames.includes(line.username)
      ? line
      : { ...line, username: anonymizedUsername },
  );
}

function anonymize(data: AnonymizeDataEntryData, state: DataEntryDeciderState): DataEntryEvent[] {
  if (state.status === 'not-created') throw notFound(data);
  const excludedUsernames = data.excludedUsernames ?? [];
  const removedUsers = state.authorizedUsers.filter((u) => !excludedUsernames.includes(u));
  const protocol = anonymizedProtocol(state.protocol, data.anonymizedUsername, excludedUsernames);
  if (removedUsers.length === 0 && jsonEquals(protocol, state.protocol)) return [];
  return [
    {
      type: 'DataEntryAnonymized',
      data: {
        entryType: data.entryType,
        entryId: data.entryId,
        anonymizedUsername: data.anonymizedUsername,
        excludedUsernames,
        removedUsers,
      },
    },
  ];
}

const notFound = (data: { entryType: string; entryId: string }): DomainError =>
  new DomainError(
    DataEntryErrorCodes.DATA_ENTRY_NOT_FOUND,
    `data entry ${data.entryType}#${data.entryId} does not exist`,
    'data.entryId',
  );

function decide(
  command: DataEntryCommand,
  state: DataEntryDeciderState,
  metadata: CommandMetadata,
): DataEntryEvent[] {
  switch (command.type) {
    case 'CreateOrUpdateDataEntry':
      return createOrUpdate(command.data, state, metadata);
    case 'DeleteDataEntry':
      return remove(command.data, state, metadata);
    case 'AnonymizeDataEntry':
      return anonymize(command.data, state);
    default:
      return assertNever(command, 'data entry command');
  }
}

const withLine = (protocol: ProtocolEntry[], line: ProtocolEntry | null): ProtocolEntry[] =>
  line ? [...protocol, line] : protocol;

function evolve(state: DataEntryDeciderState, event: DataEntryEvent): DataEntryDeciderState {
  switch (event.type) {
    case 'DataEntryCreated': {
      const { authorizedUsers, authorizedGroups, protocolEntry: line, ...entry } = event.data;
      return { status: 'active', entry, authorizedUsers, authorizedGroups, protocol: withLine([], line) };
    }
    case 'DataEntryUpdated': {
      if (state.status === 'not-created') return state;
      const { authorizations: a, protocolEntry: line, ...entry } = event.data;
      return {
        status: 'active',
        entry,
        authorizedUsers: [
          ...state.authorizedUsers.filter((u) => !a.removedUsers.includes(u)),
          ...a.addedUsers.filter((u) => !state.authorizedUsers.includes(u)),
        ],
        authorizedGroups: [
          ...state.authorizedGroups.filter((g) => !a.removedGroups.includes(g)),
          ...a.addedGroups.filter((g) => !state.authorizedGroups.includes(g)),
        ],
        protocol: withLine(state.protocol, line),
      };
    }
    case 'DataEntryDeleted': {
      if (state.status === 'not-created') return state;
      const line = event.data.protocolEntry;
      return {
        ...state,
        status: 'deleted',
        entry: { ...state.entry, state: { processingType: line.processingType, state: line.state } },
        protocol: withLine(state.protocol, line),
      };
    }
    case 'DataEntryAnonymized': {
      if (state.status === 'not-created') return state;
      const { anonymizedUsername, excludedUsernames, removedUsers } = event.data;
      return {
        ...state,
        authorizedUsers: state.authorizedUsers.filter((u) => !removedUsers.includes(u)),
        protocol: anonymizedProtocol(state.protocol, anonymizedUsername, excludedUsernames),
      };
    }
    default:
      return assertNever(event, 'data entry event');
  }
}

/**
 * The business rules of a data entry. Deletion is lax: a later `CreateOrUpdateDataEntry` revives
 * the entry with a `DataEntryUpdated` (not a `DataEntryCreated`, so that a view keeps its
 * protocol and authorizations, which the update's changes apply to).
 */
export const dataEntryDecider: Decider<DataEntryCommand, DataEntryEvent, DataEntryDeciderState> = {
  decide,
  evolve,
  initialState: () => ({ status: 'not-created' }),
};
