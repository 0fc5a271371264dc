import type { HistoryPage } from '../history/history.types';
import type { TaskRow } from '../tasks/task.types';

/** A completed or deleted task as it was when it closed (the schema's `ClosedTask`). */
export interface ClosedTask {
  closedAs: 'COMPLETED' | 'DELETED';
  closedAt: string;
  completedBy: string | null;
  closedBy: string | null;
  deleteReason: string | null;
  task: TaskRow & { history: HistoryPage };
}

export interface ClosedTaskPage {
  nodes: ClosedTask[];
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}
