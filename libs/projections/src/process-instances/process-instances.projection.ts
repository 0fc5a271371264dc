import type { ProcessInstanceEvent, SourceReference } from '@eddy/contracts';
import type { StoredEvent } from '@eddy/eventstore';
import { assertNever, type Projection, storedVersion } from '../projection';
import type { StoredViewDocument } from '../view-store.port';
import type { ProcessInstanceView } from '../view.types';

const PROCESS_INSTANCE_EVENT_TYPES: ReadonlySet<string> = new Set<ProcessInstanceEvent['type']>([
  'ProcessInstanceStarted',
  'ProcessInstanceFinished',
  'ProcessInstanceCancelled',
  'ProcessInstanceSuspended',
  'ProcessInstanceResumed',
  'ProcessVariablesChanged',
  'ProcessInstanceCancellationRequested',
]);

type Stored = StoredViewDocument<'process-instances'>;

/** The id of a process instance in the view: instance ids are unique per application only. */
export const processInstanceViewId = (
  source: Pick<SourceReference, 'applicationName' | 'instanceId'>,
): string => `${source.applicationName}/${source.instanceId}`;

function fresh(
  source: SourceReference,
  businessKey: string | null,
): Omit<ProcessInstanceView, 'version' | 'position'> {
  return {
    id: processInstanceViewId(source),
    processInstanceId: source.instanceId,
    processDefinitionId: source.definitionId,
    processDefinitionKey: source.definitionKey,
    processName: source.name,
    applicationName: source.applicationName,
    tenantId: source.tenantId ?? null,
    businessKey,
    state: 'RUNNING',
    startUserId: null,
    startTime: null,
    endTime: null,
    reason: null,
    cancellationRequested: false,
  };
}

/**
 * Process instances: state, business key, start and end. An instance whose start Eddy never saw
 * (the collector joined late) appears at its first event, without a start time.
 */
export const processInstancesProjection: Projection<'process-instances'> = {
  name: 'process-instances',

  documentId(event: StoredEvent): string | null {
    if (!PROCESS_INSTANCE_EVENT_TYPES.has(event.type)) return null;
    return processInstanceViewId((event.data as { sourceReference: SourceReference }).sourceReference);
  },

  apply(current: Stored | undefined, stored: StoredEvent): Stored | undefined {
    if (storedVersion(current) >= stored.revision) return current;
    const event = stored as unknown as ProcessInstanceEvent;
    const at = { version: stored.revision, position: stored.position };
    const base = (): ProcessInstanceView => {
      const d = event.data;
      const businessKey = 'businessKey' in d ? d.businessKey : null;
      if (current && !current.removed) {
        return { ...current.document, businessKey: businessKey ?? current.document.businessKey, ...at };
      }
      return { ...fresh(d.sourceReference, businessKey), ...at };
    };
    const write = (doc: ProcessInstanceView): Stored => ({ id: doc.id, removed: false, document: doc });
    switch (event.type) {
      case 'ProcessInstanceStarted':
        return write({
          ...base(),
          state: 'RUNNING',
          startTime: event.data.time,
          startUserId: event.data.startUserId,
          ...(event.data.parentInstanceId ? { parentInstanceId: event.data.parentInstanceId } : {}),
        });
      case 'ProcessInstanceFinished':
        return write({
          ...base(),
          state: 'FINISHED',
          endTime: event.data.time,
          cancellationRequested: false,
        });
      case 'ProcessInstanceCancelled':
        return write({
          ...base(),
          state: 'CANCELLED',
          endTime: event.data.time,
          reason: event.data.reason,
          cancellationRequested: false,
        });
      case 'ProcessInstanceSuspended':
        return write({ ...base(), state: 'SUSPENDED', reason: event.data.reason });
      case 'ProcessInstanceResumed':
        return write({ ...base(), state: 'RUNNING', reason: null });
      case 'ProcessInstanceCancellationRequested':
        return write({ ...base(), cancellationRequested: true });
      case 'ProcessVariablesChanged':
        // Variables are not part of this view; the revision still moves so the guard stays exact.
        return write(base());
      default:
        return assertNever(event, 'process instance event');
    }
  },
};
