import {
  assertNever,
  jsonEquals,
  type DataEntryEvent,
  type ProtocolEntry,
  type TaskEvent,
} from '@eddy/contracts';
import type { StoredEvent } from '@eddy/eventstore';
import { dataEntriesProjection } from '../data-entries/data-entries.projection';
import { type Projection, storedVersion } from '../projection';
import { tasksProjection } from '../tasks/tasks.projection';
import type { StoredViewDocument } from '../view-store.port';
import {
  type DataEntryView,
  type HistoryChange,
  type HistoryEntry,
  historyId,
  type HistoryView,
  type TaskView,
  type ViewDocuments,
} from '../view.types';

type Stored = StoredViewDocument<'history'>;

/** Fields of a view document that are bookkeeping, not part of the subject. */
const NOT_CHANGES: ReadonlySet<string> = new Set([
  'id',
  'version',
  'position',
  'protocol',
  'lastModified',
  'applicationName',
  'processName',
  'processDefinitionKey',
  'processInstanceId',
  'tenantId',
]);

/**
 * The top-level fields whose values differ between two documents, with the new values: the fields
 * of `previous` first, then those only `next` has. The projections carry unchanged values over, so
 * most fields are the same object and need no deep comparison.
 */
function changedFields(previous: object, next: object): HistoryChange[] {
  const before = previous as Record<string, unknown>;
  const after = next as Record<string, unknown>;
  const changes: HistoryChange[] = [];
  for (const field of Object.keys(before)) addIfChanged(changes, field, before, after);
  for (const field of Object.keys(after)) {
    if (!Object.hasOwn(before, field)) addIfChanged(changes, field, before, after);
  }
  return changes;
}

function addIfChanged(
  changes: HistoryChange[],
  field: string,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): void {
  if (NOT_CHANGES.has(field)) return;
  const old = before[field] ?? null;
  const now = after[field] ?? null;
  if (old !== now && !jsonEquals(old, now)) changes.push({ field, value: now });
}

/** What a task event adds to the history beside the fields of the task it changed. */
function taskEventDetails(event: TaskEvent): { extra: HistoryChange[]; comment: HistoryEntry['comment'] } {
  const none = { extra: [], comment: null };
  switch (event.type) {
    case 'TaskCompleted':
      return { extra: [{ field: 'assignee', value: event.data.assignee }], comment: null };
    case 'TaskDeleted':
      return { extra: [{ field: 'deleteReason', value: event.data.deleteReason }], comment: null };
    case 'TaskToBeCompleted':
      return { extra: [{ field: 'variables', value: event.data.variables }], comment: null };
    case 'TaskCommentAdded':
      return { extra: [], comment: { author: event.data.author, text: event.data.text } };
    case 'TaskCreated':
    case 'TaskAssigned':
    case 'TaskAttributesUpdated':
    case 'TaskCandidateUsersChanged':
    case 'TaskCandidateGroupsChanged':
    case 'TaskClaimed':
    case 'TaskUnclaimed':
    case 'TaskDeferred':
    case 'TaskUndeferred':
    case 'TaskDelegated':
    case 'TaskEdited':
      return none;
    default:
      return assertNever(event, 'task event');
  }
}

/** The protocol line a data entry event wrote, if any. */
function protocolEntryOf(event: DataEntryEvent): ProtocolEntry | null {
  switch (event.type) {
    case 'DataEntryCreated':
    case 'DataEntryUpdated':
    case 'DataEntryDeleted':
      return event.data.protocolEntry ?? null;
    case 'DataEntryAnonymized':
      return null;
    default:
      return assertNever(event, 'data entry event');
  }
}

const entryOf = (
  stored: StoredEvent,
  changes: HistoryChange[],
  comment: HistoryEntry['comment'],
  protocolEntry: ProtocolEntry | null,
): HistoryEntry => ({
  revision: stored.revision,
  position: stored.position,
  time: stored.metadata.timestamp,
  type: stored.type,
  userId: stored.metadata.userId ?? null,
  commandId: stored.metadata.commandId,
  changes,
  comment,
  protocolEntry,
});

/** Who may read a task's history: who may see the task. */
function taskReaders(task: TaskView): Pick<HistoryView, 'authorizedUsers' | 'authorizedGroups'> {
  const users = task.assignee === null ? task.candidateUsers : [...task.candidateUsers, task.assignee];
  return { authorizedUsers: [...new Set(users)], authorizedGroups: [...task.candidateGroups] };
}

/**
 * The subject after the event, as the tasks or data entries view would hold it; a closing event
 * (a tombstone there) leaves it as it was, so its readers stay.
 */
function subjectAfter<V extends 'tasks' | 'data-entries'>(
  projection: Projection<V>,
  before: ViewDocuments[V] | undefined,
  stored: StoredEvent,
): ViewDocuments[V] {
  const current = before ? { id: before.id, removed: false as const, document: before } : undefined;
  const next = projection.apply(current, stored);
  return next && !next.removed ? next.document : before!;
}

function taskHistory(current: HistoryView | undefined, stored: StoredEvent): HistoryView {
  const event = stored as unknown as TaskEvent;
  const before = current?.last as TaskView | undefined;
  const after = subjectAfter(tasksProjection, before, stored);
  const { extra, comment } = taskEventDetails(event);
  const changes = event.type === 'TaskCommentAdded' ? [] : changedFields(before ?? {}, after);
  for (const e of extra) if (!changes.some((c) => c.field === e.field)) changes.push(e);
  const id = historyId('TASK', event.data.id);
  return {
    id,
    subject: 'TASK',
    subjectId: event.data.id,
    ...taskReaders(after),
    last: after as unknown as Record<string, unknown>,
    entries: [...(current?.entries ?? []), entryOf(stored, changes, comment, null)],
    version: stored.revision,
    position: stored.position,
  };
}

function dataEntryHistory(current: HistoryView | undefined, stored: StoredEvent): HistoryView {
  const event = stored as unknown as DataEntryEvent;
  const before = current?.last as DataEntryView | undefined;
  const after = subjectAfter(dataEntriesProjection, before, stored);
  const subjectId = after.id;
  let entries = [...(current?.entries ?? [])];
  if (event.type === 'DataEntryAnonymized') {
    // The history names people the data entry's protocol no longer names.
    const { anonymizedUsername, excludedUsernames } = event.data;
    const anonymize = (name: string | null) =>
      name === null || excludedUsernames.includes(name) ? name : anonymizedUsername;
    entries = entries.map((e) => ({
      ...e,
      userId: anonymize(e.userId),
      protocolEntry: e.protocolEntry && { ...e.protocolEntry, username: anonymize(e.protocolEntry.username) },
    }));
  }
  const changes = event.type === 'DataEntryDeleted' ? [] : changedFields(before ?? {}, after);
  entries.push(entryOf(stored, changes, null, protocolEntryOf(event)));
  return {
    id: historyId('DATA_ENTRY', subjectId),
    subject: 'DATA_ENTRY',
    subjectId,
    authorizedUsers: [...after.authorizedUsers],
    authorizedGroups: [...after.authorizedGroups],
    last: after as unknown as Record<string, unknown>,
    entries,
    version: stored.revision,
    position: stored.position,
  };
}

/**
 * The history of every task and data entry: one entry per event of its stream, with the time, the
 * user, the command id and the fields it changed. Which fields changed is found by applying the
 * event with the tasks or data entries projection to the subject as the previous event left it, so
 * the history and the views never disagree.
 */
export const historyProjection: Projection<'history'> = {
  name: 'history',

  documentId(event: StoredEvent): string | null {
    const taskId = tasksProjection.documentId(event);
    if (taskId !== null) return historyId('TASK', taskId);
    const entryId = dataEntriesProjection.documentId(event);
    return entryId === null ? null : historyId('DATA_ENTRY', entryId);
  },

  apply(current: Stored | undefined, stored: StoredEvent): Stored | undefined {
    if (storedVersion(current) >= stored.revision) return current;
    const previous = current && !current.removed ? current.document : undefined;
    const document =
      tasksProjection.documentId(stored) !== null
        ? taskHistory(previous, stored)
        : dataEntryHistory(previous, stored);
    return { id: document.id, removed: false, document };
  },
};
