import {
  type DataEntryAttributes,
  type DataEntryEvent,
  dataEntryId,
  type ProtocolEntry,
} from '@eddy/contracts';
import type { StoredEvent } from '@eddy/eventstore';
import { assertNever, type Projection, ProjectionApplyError, storedVersion } from '../projection';
import type { StoredViewDocument } from '../view-store.port';
import type { DataEntryView } from '../view.types';

const DATA_ENTRY_EVENT_TYPES: ReadonlySet<string> = new Set<DataEntryEvent['type']>([
  'DataEntryCreated',
  'DataEntryUpdated',
  'DataEntryDeleted',
  'DataEntryAnonymized',
]);

type Stored = StoredViewDocument<'data-entries'>;

function attributesOf(
  a: DataEntryAttributes,
): Omit<
  DataEntryView,
  'id' | 'protocol' | 'authorizedUsers' | 'authorizedGroups' | 'lastModified' | 'version' | 'position'
> {
  return {
    entryType: a.entryType,
    entryId: a.entryId,
    type: a.type,
    name: a.name,
    description: a.description,
    applicationName: a.applicationName,
    formKey: a.formKey,
    state: { processingType: a.state.processingType, state: a.state.state },
    payload: a.payload,
    correlations: a.correlations,
  };
}

function withoutAll(list: readonly string[], removed: readonly string[]): string[] {
  return list.filter((x) => !removed.includes(x));
}

function withAll(list: readonly string[], added: readonly string[]): string[] {
  return [...list, ...added.filter((x, i) => !list.includes(x) && added.indexOf(x) === i)];
}

/**
 * The data entries with their protocol and who may see them. A deleted entry leaves the view.
 * `lastModified` is the time of the change's protocol entry, or the event's timestamp.
 */
export const dataEntriesProjection: Projection<'data-entries'> = {
  name: 'data-entries',

  documentId(event: StoredEvent): string | null {
    if (!DATA_ENTRY_EVENT_TYPES.has(event.type)) return null;
    const data = event.data as { entryType: string; entryId: string };
    return dataEntryId(data.entryType, data.entryId);
  },

  apply(current: Stored | undefined, stored: StoredEvent): Stored | undefined {
    if (storedVersion(current) >= stored.revision) return current;
    const event = stored as unknown as DataEntryEvent;
    const id = dataEntryId(event.data.entryType, event.data.entryId);
    const at = { version: stored.revision, position: stored.position };
    const modifiedAt = (entry: ProtocolEntry | null) => entry?.time ?? stored.metadata.timestamp;
    if (event.type === 'DataEntryCreated') {
      const d = event.data;
      return {
        id,
        removed: false,
        document: {
          id,
          ...attributesOf(d),
          protocol: d.protocolEntry ? [d.protocolEntry] : [],
          authorizedUsers: [...new Set(d.authorizedUsers)],
          authorizedGroups: [...new Set(d.authorizedGroups)],
          lastModified: modifiedAt(d.protocolEntry),
          ...at,
        },
      };
    }
    if (!current)
      throw new ProjectionApplyError('data-entries', stored, `data entry ${id} was never created`);
    if (current.removed) return current;
    const entry = current.document;
    switch (event.type) {
      case 'DataEntryUpdated': {
        const d = event.data;
        const auth = d.authorizations;
        return {
          id,
          removed: false,
          document: {
            ...entry,
            ...attributesOf(d),
            protocol: d.protocolEntry ? [...entry.protocol, d.protocolEntry] : entry.protocol,
            authorizedUsers: withAll(withoutAll(entry.authorizedUsers, auth.removedUsers), auth.addedUsers),
            authorizedGroups: withAll(
              withoutAll(entry.authorizedGroups, auth.removedGroups),
              auth.addedGroups,
            ),
            lastModified: modifiedAt(d.protocolEntry),
            ...at,
          },
        };
      }
      case 'DataEntryDeleted':
        return { id, removed: true, ...at };
      case 'DataEntryAnonymized': {
        const d = event.data;
        const anonymize = (name: string | null) =>
          name === null || d.excludedUsernames.includes(name) ? name : d.anonymizedUsername;
        return {
          id,
          removed: false,
          document: {
            ...entry,
            protocol: entry.protocol.map((p) => ({ ...p, username: anonymize(p.username) })),
            authorizedUsers: withoutAll(entry.authorizedUsers, d.removedUsers),
            ...at,
          },
        };
      }
      default:
        return assertNever(event, 'data entry event');
    }
  },
};
