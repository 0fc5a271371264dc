import { useCallback, useEffect, useState } from 'preact/hooks';
import { TASK, TASK_HISTORY } from '../api/documents';
import type { TasklistApi } from '../api/graphql-client';
import { ProtocolList } from '../components/protocol-list';
import { HistoryList } from '../history/history-list';
import type { HistoryPage } from '../history/history.types';
import { TaskActions } from './task-actions';
import { TaskComments } from './task-comments';
import { TaskCompletion } from './task-completion';
import { TaskDelegation } from './task-delegation';
import { TaskEditForm } from './task-edit-form';
import { TaskFacts } from './task-facts';
import type { TaskDetail as Task } from './task.types';
import { useLiveTask } from './use-live-task';

interface Props {
  api: TasklistApi;
  taskId: string;
  /** Version of the task in the live lists: a newer one reloads the detail. */
  liveVersion: number | undefined;
  me: string;
  onClose: () => void;
}

/** What the server tells the detail beside the task: the user's permissions and the comment limit. */
interface Loaded {
  task: Task | null;
  permissions: string[];
  commentMaxLength: number;
}

interface TaskAnswer {
  me: { permissions: string[] };
  commentMaxLength: number;
  task: Task | null;
}

/**
 * The task's fields, its data entries, history and comments, and the actions its user may take on
 * it. It follows the task live on its own (see `useLiveTask`), so another user's change or comment
 * shows without a reload.
 */
export function TaskDetail({ api, taskId, liveVersion, me, onClose }: Props) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [closedMessage, setClosedMessage] = useState<string | null>(null);
  const [reloads, setReloads] = useState(0);
  const task = loaded?.task ?? null;
  const live = useLiveTask(api, task);

  useEffect(() => {
    let current = true;
    api
      .request<TaskAnswer>(TASK, { id: taskId })
      .then((answer) => {
        if (!current) return;
        setLoaded({
          task: answer.task,
          permissions: answer.me.permissions,
          commentMaxLength: answer.commentMaxLength,
        });
        setLoadError(null);
      })
      .catch((error: Error) => current && setLoadError(error.message));
    return () => {
      current = false;
    };
  }, [api, taskId, reloads]);

  // A newer version pushed (to the detail's own subscription or to a list), or the task gone from
  // the user's sight: read it again.
  const newer = (version: number | null | undefined) =>
    task !== null && version !== null && version !== undefined && version > task.version;
  useEffect(() => {
    if (task && (live.gone || newer(live.version) || newer(liveVersion))) setReloads((n) => n + 1);
  }, [live.version, live.gone, liveVersion]);

  /** A mutation's answer is the task as it is now: shown unless a newer version arrived meanwhile. */
  const changed = useCallback(
    (next: Task) =>
      setLoaded((l) => (l && (!l.task || l.task.version <= next.version) ? { ...l, task: next } : l)),
    [],
  );
  const loadMoreHistory = useCallback(
    async (after: string): Promise<HistoryPage> => {
      const answer = await api.request<{ task: { history: HistoryPage } | null }>(TASK_HISTORY, {
        id: taskId,
        after,
      });
      if (!answer.task) throw new Error('the task is no longer there for you');
      return answer.task.history;
    },
    [api, taskId],
  );

  if (loaded && !task) {
    return (
      <section class="task-detail" aria-label="Task">
        <p class={closedMessage ? 'done' : 'muted'} role="status">
          {closedMessage ?? 'This task is no longer there for you (completed, or no longer visible).'}
        </p>
        <button type="button" onClick={onClose}>
          Close task
        </button>
      </section>
    );
  }
  if (!task || !loaded) {
    return (
      <section class="task-detail" aria-label="Task">
        {loadError ? (
          <p class="error" role="alert">
            {loadError}
          </p>
        ) : (
          <p class="muted">Loading task…</p>
        )}
      </section>
    );
  }

  const mine = task.assignee === me;
  const manager = loaded.permissions.includes('tasks:manage');
  const completed = (message: string) => {
    setClosedMessage(message);
    setReloads((n) => n + 1);
  };

  return (
    <section class="task-detail" aria-labelledby="task-title">
      <div class="detail-head">
        <h2 id="task-title">{task.name}</h2>
        <button type="button" class="secondary" onClick={onClose}>
          Close task
        </button>
      </div>
      {task.description && <p class="description">{task.description}</p>}
      <TaskFacts task={task} />
      {loadError && (
        <p class="error" role="alert">
          The task could not be read again: {loadError}
        </p>
      )}

      <TaskActions api={api} task={task} me={me} onChanged={changed} />
      {(mine || manager) && <TaskDelegation api={api} task={task} onChanged={changed} />}
      {manager && (
        <details class="edit">
          <summary>Edit priority and dates</summary>
          <TaskEditForm api={api} task={task} onChanged={changed} />
        </details>
      )}
      {mine && <TaskCompletion key={task.id} api={api} task={task} onCompleted={completed} />}

      <h3>Payload</h3>
      <pre class="payload">{JSON.stringify(task.payload, null, 2)}</pre>

      <TaskComments api={api} task={task} maxLength={loaded.commentMaxLength} onChanged={changed} />

      <h3>History</h3>
      <HistoryList name={task.name} page={task.history} loadMore={loadMoreHistory} />

      <h3>Data entries</h3>
      {task.dataEntries.length === 0 && <p class="muted">None.</p>}
      {task.dataEntries.map((entry) => (
        <article key={entry.id} class="data-entry" aria-label={entry.name}>
          <h4>
            {entry.name} <span class="muted">({entry.type})</span>
          </h4>
          <p>
            State: {entry.state.processingType}
            {entry.state.state && ` · ${entry.state.state}`}
          </p>
          <ProtocolList name={entry.name} protocol={entry.protocol} />
        </article>
      ))}
    </section>
  );
}
