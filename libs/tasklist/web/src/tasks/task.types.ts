import type { HistoryPage, TaskComment } from '../history/history.types';
import type { ChangeKind } from '../live/live-set';

/** The task fields the lists show (a selection of the contract's `Task`). */
export interface TaskRow {
  id: string;
  name: string;
  description: string | null;
  processName: string | null;
  processDefinitionKey: string | null;
  priority: number | null;
  createTime: string;
  dueDate: string | null;
  followUpDate: string | null;
  deferred: boolean;
  assignee: string | null;
  candidateUsers: string[];
  candidateGroups: string[];
  formKey: string | null;
  version: number;
}

export interface ProtocolEntry {
  time: string;
  processingType: string;
  state: string | null;
  username: string | null;
  logMessage: string | null;
}

export interface DataEntrySummary {
  id: string;
  name: string;
  type: string;
  state: { processingType: string; state: string | null };
  protocol: ProtocolEntry[];
}

/** Everything the task detail shows. */
export interface TaskDetail extends TaskRow {
  taskDefinitionKey: string;
  businessKey: string | null;
  applicationName: string;
  processInstanceId: string | null;
  owner: string | null;
  payload: Record<string, unknown>;
  dataEntries: DataEntrySummary[];
  /** The first page of its changes, oldest first. */
  history: HistoryPage;
  comments: TaskComment[];
}

/** One message of the contract's `taskChanges` subscription. */
export interface TaskChange<T extends { id: string }> {
  kind: ChangeKind;
  tasks: T[];
  removedIds: string[];
  position: string;
}

export type TaskSortField = 'CREATE_TIME' | 'DUE_DATE' | 'FOLLOW_UP_DATE' | 'PRIORITY' | 'NAME';
export type SortDirection = 'ASC' | 'DESC';
export interface TaskSort {
  field: TaskSortField;
  direction: SortDirection;
}

export type FilterOperator = 'EQ' | 'NE' | 'LT' | 'LTE' | 'GT' | 'GTE' | 'IN' | 'LIKE';

/** The contract's `TaskFilter`, as far as the page sets it. */
export interface TaskFilter {
  assignedToMe?: boolean;
  unassigned?: boolean;
  includeDeferred?: boolean;
  /** Free text, ranked by relevance when no sort is given (added beside the contract). */
  search?: string;
  text?: string;
  processDefinitionKey?: string;
  priorityMin?: number;
  priorityMax?: number;
  dueBefore?: string;
  dueAfter?: string;
  followUpBefore?: string;
  followUpAfter?: string;
  payload?: { path: string; op: FilterOperator; value: unknown }[];
}

/** A filter the user saved, or one an admin shared with one of the user's groups (beside the contract). */
export interface SavedFilter {
  id: string;
  name: string;
  filter: TaskFilter;
  sort: TaskSort[];
  owner: string;
  sharedWithGroups: string[];
}
