/** One field a change set, with its new value (the schema's `HistoryChange`). */
export interface HistoryChange {
  field: string;
  value: unknown;
}

/** One change of a task or data entry: one event of its stream (the schema's `HistoryEntry`). */
export interface HistoryEntry {
  revision: number;
  time: string;
  /** The event, e.g. `TaskClaimed`. */
  type: string;
  /** Null when an engine or a process application reported the change on its own. */
  userId: string | null;
  commandId: string;
  changes: HistoryChange[];
  comment: { text: string } | null;
}

/** A page of a history, oldest first (the schema's `HistoryEntryConnection`). */
export interface HistoryPage {
  nodes: HistoryEntry[];
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** A comment on a task (the schema's `TaskComment`). */
export interface TaskComment {
  id: string;
  author: string;
  time: string;
  text: string;
}
