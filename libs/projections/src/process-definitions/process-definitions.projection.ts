import type { ProcessDefinitionEvent } from '@eddy/contracts';
import type { StoredEvent } from '@eddy/eventstore';
import { assertNever, type Projection } from '../projection';
import type { StoredViewDocument } from '../view-store.port';

type Stored = StoredViewDocument<'process-definitions'>;

/**
 * The latest version of every process definition key. One document per key gathers the streams of
 * all its versions, so the guard is the version first and the stream revision second: an older
 * version registered late, or a duplicate, changes nothing.
 */
export const processDefinitionsProjection: Projection<'process-definitions'> = {
  name: 'process-definitions',

  documentId(event: StoredEvent): string | null {
    return event.type === 'ProcessDefinitionRegistered' ? (event.data as { key: string }).key : null;
  },

  apply(current: Stored | undefined, stored: StoredEvent): Stored | undefined {
    const event = stored as unknown as ProcessDefinitionEvent;
    switch (event.type) {
      case 'ProcessDefinitionRegistered': {
        const d = event.data;
        if (current && !current.removed) {
          const existing = current.document;
          if (d.version < existing.version) return current;
          if (
            d.version === existing.version &&
            d.id === existing.id &&
            stored.revision <= existing.streamRevision
          ) {
            return current;
          }
        }
        return {
          id: d.key,
          removed: false,
          document: {
            key: d.key,
            id: d.id,
            version: d.version,
            versionTag: d.versionTag,
            name: d.name,
            description: d.description,
            applicationName: d.applicationName,
            formKey: d.formKey,
            startableFromTasklist: d.startableFromTasklist,
            candidateStarterUsers: [...d.candidateStarterUsers],
            candidateStarterGroups: [...d.candidateStarterGroups],
            streamRevision: stored.revision,
            position: stored.position,
          },
        };
      }
      default:
        return assertNever(event.type, 'process definition event');
    }
  },
};
