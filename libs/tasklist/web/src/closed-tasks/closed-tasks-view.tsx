import { useEffect, useState } from 'preact/hooks';
import { CLOSED_TASKS } from '../api/documents';
import type { TasklistApi } from '../api/graphql-client';
import { formatDateTime } from '../format';
import { HistoryList } from '../history/history-list';
import type { ClosedTask, ClosedTaskPage } from './closed-task.types';

/** Closed tasks read at a time; each brings its history, which the query's cost limit counts. */
const CLOSED_PAGE_SIZE = 20;

type Scope = 'mine' | 'all';

const SCOPES: Record<Scope, { label: string; filter: Record<string, unknown> }> = {
  mine: { label: 'Done by me', filter: { completedByMe: true } },
  all: { label: 'All closed tasks I could see', filter: {} },
};

function closing(closed: ClosedTask): string {
  const when = formatDateTime(closed.closedAt);
  if (closed.closedAs === 'DELETED') {
    return `Deleted ${when}${closed.deleteReason ? ` (${closed.deleteReason})` : ''}`;
  }
  return `Completed ${when} by ${closed.completedBy ?? closed.closedBy ?? 'the engine'}`;
}

/** Completed and deleted tasks ("done by me" first), the latest first, each with its history. */
export function ClosedTasksView({ api }: { api: TasklistApi }) {
  const [scope, setScope] = useState<Scope>('mine');
  const [closed, setClosed] = useState<ClosedTask[]>([]);
  const [page, setPage] = useState<ClosedTaskPage | null>(null);
  const [error, setError] = useState<string | null>(null);

  const read = async (after: string | null) => {
    try {
      const answer = await api.request<{ closedTasks: ClosedTaskPage }>(CLOSED_TASKS, {
        filter: SCOPES[scope].filter,
        first: CLOSED_PAGE_SIZE,
        after,
      });
      setClosed((held) => [...(after ? held : []), ...answer.closedTasks.nodes]);
      setPage(answer.closedTasks);
      setError(null);
    } catch (e) {
      setError(`The closed tasks could not be read: ${(e as Error).message}`);
    }
  };
  useEffect(() => {
    setPage(null);
    void read(null);
  }, [api, scope]);

  return (
    <section class="closed-tasks" aria-labelledby="closed-title">
      <h2 id="closed-title">
        Done{' '}
        <span class="count" data-testid="count-done">
          {page ? page.totalCount : '…'}
        </span>
      </h2>
      <div class="inline-form">
        <label for="closed-scope">Show</label>
        <select id="closed-scope" value={scope} onChange={(e) => setScope(e.currentTarget.value as Scope)}>
          {Object.entries(SCOPES).map(([id, s]) => (
            <option key={id} value={id}>
              {s.label}
            </option>
          ))}
        </select>
        <button type="button" class="secondary" onClick={() => void read(null)}>
          Refresh
        </button>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!page && !error && <p class="muted">Loading closed tasks…</p>}
      {page && closed.length === 0 && <p class="muted">No closed tasks here.</p>}
      <ul class="closed-list" aria-label={SCOPES[scope].label}>
        {closed.map((c) => (
          <li key={c.task.id}>
            <article class="closed-task" aria-label={c.task.name}>
              <h3>{c.task.name}</h3>
              <p class="task-meta">
                {c.task.processName ?? c.task.processDefinitionKey ?? 'no process'} · {closing(c)}
              </p>
              <details>
                <summary>History of {c.task.name}</summary>
                <HistoryList name={c.task.name} page={c.task.history} />
              </details>
            </article>
          </li>
        ))}
      </ul>
      {page?.pageInfo.hasNextPage && (
        <button type="button" class="secondary" onClick={() => void read(page.pageInfo.endCursor)}>
          Show more closed tasks ({closed.length} of {page.totalCount})
        </button>
      )}
    </section>
  );
}
