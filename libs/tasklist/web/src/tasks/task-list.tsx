import { useMemo } from 'preact/hooks';
import { Pager } from '../components/pager';
import { formatDate } from '../format';
import { pageOf, taskComparator } from './task-order';
import type { TaskRow, TaskSort } from './task.types';
import type { LiveTasks } from './use-live-tasks';

export const PAGE_SIZE = 25;

interface Props {
  label: string;
  live: LiveTasks;
  sort: TaskSort;
  page: number;
  onPage: (page: number) => void;
  selectedId: string | null;
  onSelect: (task: TaskRow) => void;
}

/** One tab's tasks, sorted and cut into pages; rows are buttons named by the task's name. */
export function TaskList({ label, live, sort, page, onPage, selectedId, onSelect }: Props) {
  const sorted = useMemo(() => [...live.tasks.values()].sort(taskComparator([sort])), [live.tasks, sort]);
  const current = pageOf(sorted, page, PAGE_SIZE);
  return (
    <div class="task-list">
      {live.error && (
        <p class="error" role="alert">
          {live.error.message}
        </p>
      )}
      {!live.ready && !live.error && <p class="muted">Loading tasks…</p>}
      {live.ready && sorted.length === 0 && <p class="muted">No tasks here.</p>}
      <ul aria-label={label}>
        {current.rows.map((task) => (
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
      <Pager label={`${label} pages`} page={current.page} pages={current.pages} onPage={onPage} />
    </div>
  );
}
