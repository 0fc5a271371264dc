import { Pager } from '../components/pager';
import { formatDate } from '../format';
import type { TaskRow } from './task.types';
import type { LiveTasks } from './use-live-tasks';

export const PAGE_SIZE = 25;

interface Props {
  label: string;
  live: LiveTasks;
  /** The tab's live count, when it has arrived. */
  count: number | null;
  selectedId: string | null;
  onSelect: (task: TaskRow) => void;
}

/** One tab's page of tasks, as the server sorted it; rows are buttons named by the task's name. */
export function TaskList({ label, live, count, selectedId, onSelect }: Props) {
  const total = count ?? live.totalCount ?? 0;
  // The live count may run ahead of the last read: the pager trusts the read about the next page.
  const pages = Math.max(live.page + (live.hasNextPage ? 2 : 1), Math.ceil(total / PAGE_SIZE));
  return (
    <div class="task-list">
      {live.error && (
        <p class="error" role="alert">
          {live.error.message}
        </p>
      )}
      {!live.ready && !live.error && <p class="muted">Loading tasks…</p>}
      {live.ready && live.rows.length === 0 && <p class="muted">No tasks here.</p>}
      <ul aria-label={label}>
        {live.rows.map((task) => (
          <li key={task.id}>
            <button
              type="button"
              class={`task-row${task.id === selectedId ? ' selected' : ''}`}
              aria-current={task.id === selectedId ? 'true' : undefined}
              onClick={() => onSelect(task)}
            >
              <span class="task-name">{task.name}</span>
              <span class="task-meta">
                {task.processName ?? task.processDefinitionKey ?? 'no process'}
                {' · '}
                {task.assignee ? `assigned to ${task.assignee}` : 'unassigned'}
                {task.dueDate && ` · due ${formatDate(task.dueDate)}`}
                {task.priority !== null && ` · priority ${task.priority}`}
                {task.deferred && ' · deferred'}
              </span>
            </button>
          </li>
        ))}
      </ul>
      <Pager
        label={`${label} pages`}
        page={live.page}
        pages={pages}
        hasNext={live.hasNextPage}
        onPage={(p) => (p > live.page ? live.next() : live.previous())}
      />
    </div>
  );
}
