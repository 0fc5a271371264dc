import type { DataEntryRef, SourceReference } from './common.schema';

/** Everything a task is, as the engine (or a generic source) reported it. */
export interface TaskAttributes {
  id: string;
  name: string;
  taskDefinitionKey: string;
  sourceReference: SourceReference;
  description: string | null;
  formKey: string | null;
  priority: number | null;
  createTime: string;
  dueDate: string | null;
  followUpDate: string | null;
  assignee: string | null;
  owner: string | null;
  candidateUsers: string[];
  candidateGroups: string[];
  businessKey: string | null;
  payload: Record<string, unknown>;
  correlations: DataEntryRef[];
}

/** The attributes that `UpdateTaskAttributes` may change. */
export type TaskAttributeChanges = Partial<
  Pick<
    TaskAttributes,
    'name' | 'description' | 'priority' | 'dueDate' | 'followUpDate' | 'owner' | 'payload' | 'correlations'
  >
>;

export type TaskCreated = { type: 'TaskCreated'; data: TaskAttributes };
export type TaskAssigned = { type: 'TaskAssigned'; data: { id: string; assignee: string | null } };
export type TaskAttributesUpdated = {
  type: 'TaskAttributesUpdated';
  data: { id: string; changes: TaskAttributeChanges };
};
export type TaskCandidateUsersChanged = {
  type: 'TaskCandidateUsersChanged';
  data: { id: string; added: string[]; removed: string[]; candidateUsers: string[] };
};
export type TaskCandidateGroupsChanged = {
  type: 'TaskCandidateGroupsChanged';
  data: { id: string; added: string[]; removed: string[]; candidateGroups: string[] };
};
export type TaskCompleted = { type: 'TaskCompleted'; data: { id: string; assignee: string | null } };
export type TaskDeleted = { type: 'TaskDeleted'; data: { id: string; deleteReason: string | null } };
export type TaskClaimed = { type: 'TaskClaimed'; data: { id: string; assignee: string } };
export type TaskUnclaimed = { type: 'TaskUnclaimed'; data: { id: string; previousAssignee: string } };
export type TaskToBeCompleted = {
  type: 'TaskToBeCompleted';
  data: { id: string; assignee: string; variables: Record<string, unknown> };
};
export type TaskDeferred = { type: 'TaskDeferred'; data: { id: string; followUpDate: string } };
export type TaskUndeferred = { type: 'TaskUndeferred'; data: { id: string } };
/** A user handed the task to `assignee` (the user is in the event's metadata). */
export type TaskDelegated = {
  type: 'TaskDelegated';
  data: { id: string; assignee: string; previousAssignee: string | null };
};
/** The engine attributes a user may edit, as changed: only the ones that differ; null removes a date. */
export type TaskEditChanges = Partial<Pick<TaskAttributes, 'dueDate' | 'followUpDate'>> & {
  priority?: number;
};
/** A user changed the task's priority, due date or follow-up date. */
export type TaskEdited = { type: 'TaskEdited'; data: { id: string; changes: TaskEditChanges } };
/** A user commented on the task; the time is the event's. Comments are not engine attributes. */
export type TaskCommentAdded = {
  type: 'TaskCommentAdded';
  data: { id: string; author: string; text: string };
};

/** Every event of a task stream. */
export type TaskEvent =
  | TaskCreated
  | TaskAssigned
  | TaskAttributesUpdated
  | TaskCandidateUsersChanged
  | TaskCandidateGroupsChanged
  | TaskCompleted
  | TaskDeleted
  | TaskClaimed
  | TaskUnclaimed
  | TaskToBeCompleted
  | TaskDeferred
  | TaskUndeferred
  | TaskDelegated
  | TaskEdited
  | TaskCommentAdded;

/** The interaction events that the engine client turns into engine calls. */
export type TaskInteractionEvent =
  | TaskClaimed
  | TaskUnclaimed
  | TaskToBeCompleted
  | TaskDeferred
  | TaskUndeferred
  | TaskDelegated
  | TaskEdited;
