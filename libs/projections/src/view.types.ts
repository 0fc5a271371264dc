import type { DataEntryRef, ProcessingType, ProtocolEntry, SourceReference } from '@eddy/contracts';
import type { SavedFilterView } from './saved-filters/saved-filter.view';

/**
 * The documents of Eddy's views. Every document remembers the stream revision it reflects
 * (`version`) and the global position of the last event that changed it (`position`), so that a
 * projection can ignore events it has already applied and a live subscriber can drop changes that
 * its snapshot already holds.
 */

/** An open task as the tasklist shows it: every field of the GraphQL `Task` except the computed ones. */
export interface TaskView {
  id: string;
  name: string;
  description: string | null;
  taskDefinitionKey: string;
  formKey: string | null;
  priority: number | null;
  createTime: string;
  dueDate: string | null;
  /** `deferred` is not stored: it is `followUpDate > now`, computed at query time ({@link isTaskDeferred}). */
  followUpDate: string | null;
  assignee: string | null;
  owner: string | null;
  candidateUsers: string[];
  candidateGroups: string[];
  businessKey: string | null;
  applicationName: string;
  processName: string | null;
  processDefinitionKey: string | null;
  processInstanceId: string | null;
  tenantId: string | null;
  sourceReference: SourceReference;
  payload: Record<string, unknown>;
  correlations: DataEntryRef[];
  /** The assignee asked to complete it; the engine has not confirmed yet. */
  toBeCompleted: boolean;
  /** Stream revision of the task: grows with every change. */
  version: number;
  /** Global position of the last event applied to this document. */
  position: number;
}

/** A data entry with its protocol and who may see it. */
export interface DataEntryView {
  /** `entryType#entryId` */
  id: string;
  entryType: string;
  entryId: string;
  type: string;
  name: string;
  description: string | null;
  applicationName: string;
  formKey: string | null;
  state: { processingType: ProcessingType; state: string | null };
  payload: Record<string, unknown>;
  correlations: DataEntryRef[];
  protocol: ProtocolEntry[];
  authorizedUsers: string[];
  authorizedGroups: string[];
  /** ISO time of the last change (the event's timestamp); sort field `LAST_MODIFIED`. */
  lastModified: string;
  version: number;
  position: number;
}

/** The latest version of a process definition key and who may start it. */
export interface ProcessDefinitionView {
  /** The process definition key: one document per key. */
  key: string;
  /** Id of the latest definition (the engine's id of that version). */
  id: string;
  version: number;
  versionTag: string | null;
  name: string;
  description: string | null;
  applicationName: string;
  formKey: string | null;
  startableFromTasklist: boolean;
  candidateStarterUsers: string[];
  candidateStarterGroups: string[];
  /** Revision of the latest definition's stream. */
  streamRevision: number;
  position: number;
}

export type ProcessInstanceState = 'RUNNING' | 'SUSPENDED' | 'FINISHED' | 'CANCELLED';

/** One process instance: state, business key, start and end. */
export interface ProcessInstanceView {
  /** `applicationName/processInstanceId`: instance ids are unique per engine only. */
  id: string;
  processInstanceId: string;
  processDefinitionId: string;
  processDefinitionKey: string;
  processName: string;
  applicationName: string;
  tenantId: string | null;
  businessKey: string | null;
  state: ProcessInstanceState;
  startUserId: string | null;
  /** The instance (of the same application) whose call activity started it; absent when none did. */
  parentInstanceId?: string;
  startTime: string | null;
  endTime: string | null;
  /** Why it was cancelled or suspended, when the engine said. */
  reason: string | null;
  /** A user asked to cancel it and the engine has not reported its end yet. */
  cancellationRequested: boolean;
  version: number;
  position: number;
}

/** How a task left the open tasks. */
export type TaskClosing = 'COMPLETED' | 'DELETED';

/**
 * A task of the closed-tasks view: the task as it was when it closed, and who closed it when. The
 * view follows every task from its creation (it cannot learn a closed task's fields otherwise);
 * while the task is open, `closedAs` is null and no query shows it.
 */
export interface ClosedTaskView extends TaskView {
  closedAs: TaskClosing | null;
  /** Time of the command that closed the task. */
  closedAt: string | null;
  /** Completed: the assignee the engine reported, else the user the command ran for. Null when deleted. */
  completedBy: string | null;
  /** The user the closing command ran for; null when the engine reported it on its own. */
  closedBy: string | null;
  deleteReason: string | null;
}

/** One field a change set, with its new value (null when cleared). */
export interface HistoryChange {
  field: string;
  value: unknown;
}

/** One event of a task or data entry stream, as its history shows it. */
export interface HistoryEntry {
  /** The event's revision in its stream. */
  revision: number;
  position: number;
  /** The time of the command that caused it. */
  time: string;
  /** The event type (`TaskClaimed`, `DataEntryUpdated` ...). */
  type: string;
  /** The user the command ran for; null when an engine or a source reported it on its own. */
  userId: string | null;
  commandId: string;
  /** The fields whose values the event changed, with their new values. */
  changes: HistoryChange[];
  /** The comment of a `TaskCommentAdded`. */
  comment: { author: string; text: string } | null;
  /** The protocol line of a data entry event, when it wrote one. */
  protocolEntry: ProtocolEntry | null;
}

/**
 * The history of one task or data entry: every event of its stream. Readable by whoever may see
 * its subject as of its last event (a closed task: who could see it when it closed; a deleted data
 * entry: who was authorised last).
 */
export interface HistoryView {
  /** `task:<taskId>` or `data-entry:<entryType#entryId>` ({@link historyId}). */
  id: string;
  subject: 'TASK' | 'DATA_ENTRY';
  /** The task id or `entryType#entryId`. */
  subjectId: string;
  /** Users who may read it: a task's assignee and candidate users, an entry's authorised users. */
  authorizedUsers: string[];
  /** Groups whose members may read it. */
  authorizedGroups: string[];
  /** The subject after the last event, to tell which fields the next one changes. */
  last: Record<string, unknown>;
  entries: HistoryEntry[];
  version: number;
  position: number;
}

/** The id of the history of a task or of a data entry. */
export function historyId(subject: HistoryView['subject'], subjectId: string): string {
  return `${subject === 'TASK' ? 'task' : 'data-entry'}:${subjectId}`;
}

/** The views by name. The name is also the projection's name in the admin API. */
export interface ViewDocuments {
  tasks: TaskView;
  'data-entries': DataEntryView;
  'process-definitions': ProcessDefinitionView;
  'process-instances': ProcessInstanceView;
  'closed-tasks': ClosedTaskView;
  history: HistoryView;
  'saved-filters': SavedFilterView;
}

export type ViewName = keyof ViewDocuments;

export const VIEW_NAMES: readonly ViewName[] = [
  'tasks',
  'data-entries',
  'process-definitions',
  'process-instances',
  'closed-tasks',
  'history',
  'saved-filters',
];

/** The id of any view document (`key` for process definitions). */
export function viewDocumentId<V extends ViewName>(view: V, document: ViewDocuments[V]): string {
  return view === 'process-definitions'
    ? (document as ProcessDefinitionView).key
    : (document as TaskView | DataEntryView | ProcessInstanceView).id;
}

/** True while the task's followUpDate lies after `now`. */
export function isTaskDeferred(task: Pick<TaskView, 'followUpDate'>, now: Date = new Date()): boolean {
  return task.followUpDate !== null && Date.parse(task.followUpDate) > now.getTime();
}
