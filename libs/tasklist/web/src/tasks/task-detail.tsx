import { useEffect, useState } from 'preact/hooks';
import { CLAIM, COMPLETE, DEFER, TASK, UNCLAIM, UNDEFER } from '../api/documents';
import type { TasklistApi } from '../api/graphql-client';
import { ProtocolList } from '../components/protocol-list';
import { CamundaFormView } from '../forms/camunda-form-view';
import { useForm } from '../forms/use-form';
import { formatDateTime, parseVariables } from '../format';
import type { TaskDetail as Task } from './task.types';

interface Props {
  api: TasklistApi;
  taskId: string;
  /** Version of the task in the live lists: a newer one reloads the detail. */
  liveVersion: number | undefined;
  me: string;
  onClose: () => void;
}

type Status =
  | { kind: 'idle' }
  | { kind: 'busy'; action: string }
  | { kind: 'error'; message: string }
  | { kind: 'done'; message: string };

/** Tomorrow as the date input holds it, the default of "defer to". */
const tomorrow = (): string => new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

/** The task's fields, its data entries, and the actions its user may take on it. */
export function TaskDetail({ api, taskId, liveVersion, me, onClose }: Props) {
  const [task, setTask] = useState<Task | null>(null);
  const [missing, setMissing] = useState(false);
  const [status, setStatus] = useState<Status>({ kind: 'idle' });
  const [variables, setVariables] = useState('{}');
  const [deferTo, setDeferTo] = useState(tomorrow());
  const form = useForm(api, task?.formKey);

  useEffect(() => {
    let current = true;
    api
      .request<{ task: Task | null }>(TASK, { id: taskId })
      .then(({ task: loaded }) => {
        if (!current) return;
        setTask(loaded);
        setMissing(loaded === null);
      })
      .catch((error: Error) => current && setStatus({ kind: 'error', message: error.message }));
    return () => {
      current = false;
    };
  }, [api, taskId, liveVersion]);

  useEffect(() => {
    setStatus({ kind: 'idle' });
    setVariables('{}');
  }, [taskId]);

  const run = async (action: string, work: () => Promise<Task | null>, done?: string) => {
    setStatus({ kind: 'busy', action });
    try {
      const result = await work();
      if (result) setTask(result);
      setStatus(done ? { kind: 'done', message: done } : { kind: 'idle' });
    } catch (error) {
      setStatus({ kind: 'error', message: `${action} failed: ${(error as Error).message}` });
    }
  };

  if (missing) {
    return (
      <section class="task-detail" aria-label="Task">
        <p class={status.kind === 'done' ? 'done' : 'muted'} role="status">
          {status.kind === 'done'
            ? status.message
            : 'This task is no longer there for you (completed, or no longer visible).'}
        </p>
        <button type="button" onClick={onClose}>
          Close task
        </button>
      </section>
    );
  }
  if (!task) {
    return (
      <section class="task-detail" aria-label="Task">
        {status.kind === 'error' ? (
          <p class="error" role="alert">
            {status.message}
          </p>
        ) : (
          <p class="muted">Loading task…</p>
        )}
      </section>
    );
  }

  const mine = task.assignee === me;
  const busy = status.kind === 'busy';
  const claim = () =>
    run('Claim', async () => (await api.request<{ claimTask: Task }>(CLAIM, { id: task.id })).claimTask);
  const unclaim = () =>
    run(
      'Unclaim',
      async () => (await api.request<{ unclaimTask: Task }>(UNCLAIM, { id: task.id })).unclaimTask,
    );
  const completeWith = (values: () => Record<string, unknown>) =>
    run(
      'Complete',
      async () => {
        await api.request(COMPLETE, { id: task.id, variables: values() });
        return null;
      },
      `Completed ${task.name}.`,
    );
  const complete = (event: Event) => {
    event.preventDefault();
    void completeWith(() => parseVariables(variables, 'variables'));
  };
  const defer = (event: Event) => {
    event.preventDefault();
    void run('Defer', async () => {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(deferTo)) throw new Error('followUpDate: choose a date');
      return (
        await api.request<{ deferTask: Task }>(DEFER, {
          id: task.id,
          followUpDate: `${deferTo}T00:00:00.000Z`,
        })
      ).deferTask;
    });
  };
  const undefer = () =>
    run(
      'Undefer',
      async () => (await api.request<{ undeferTask: Task }>(UNDEFER, { id: task.id })).undeferTask,
    );

  return (
    <section class="task-detail" aria-labelledby="task-title">
      <div class="detail-head">
        <h2 id="task-title">{task.name}</h2>
        <button type="button" class="secondary" onClick={onClose}>
          Close task
        </button>
      </div>
      {task.description && <p class="description">{task.description}</p>}
      <dl class="facts">
        <dt>Process</dt>
        <dd>{task.processName ?? task.processDefinitionKey ?? '—'}</dd>
        <dt>Business key</dt>
        <dd>{task.businessKey ?? '—'}</dd>
        <dt>Created</dt>
        <dd>{formatDateTime(task.createTime)}</dd>
        <dt>Due</dt>
        <dd>{formatDateTime(task.dueDate)}</dd>
        <dt>Follow-up</dt>
        <dd>
          {formatDateTime(task.followUpDate)}
          {task.deferred && ' (deferred)'}
        </dd>
        <dt>Priority</dt>
        <dd>{task.priority ?? '—'}</dd>
        <dt>Assignee</dt>
        <dd data-testid="assignee">{task.assignee ?? 'nobody'}</dd>
        <dt>Candidates</dt>
        <dd>
          {[...task.candidateUsers, ...task.candidateGroups.map((g) => `group ${g}`)].join(', ') || '—'}
        </dd>
      </dl>

      <div class="actions" aria-label="Actions">
        {!mine && (
          <button type="button" disabled={busy} onClick={claim}>
            Claim
          </button>
        )}
        {mine && (
          <button type="button" disabled={busy} onClick={unclaim}>
            Unclaim
          </button>
        )}
        {task.deferred && (
          <button type="button" disabled={busy} onClick={undefer}>
            Undefer
          </button>
        )}
      </div>
      <form class="inline-form" onSubmit={defer}>
        <label for="defer-date">Defer to</label>
        <input
          id="defer-date"
          type="date"
          value={deferTo}
          onInput={(e) => setDeferTo(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy}>
          Defer
        </button>
      </form>

      <div class="status" aria-live="polite">
        {status.kind === 'busy' && <p class="muted">{status.action}…</p>}
        {status.kind === 'done' && <p class="done">{status.message}</p>}
      </div>
      {status.kind === 'error' && (
        <p class="error" role="alert">
          {status.message}
        </p>
      )}

      {mine && form.state === 'loading' && <p class="muted">Loading the form…</p>}
      {mine && form.state === 'error' && (
        <p class="error" role="alert">
          The form {task.formKey} cannot be loaded: {form.message}
        </p>
      )}
      {mine && form.state === 'found' && (
        <section class="complete-form" aria-label="Form">
          <CamundaFormView
            schema={form.schema}
            data={task.payload}
            submitLabel="Complete"
            busy={busy}
            onSubmit={(values) => void completeWith(() => values)}
          />
        </section>
      )}
      {mine && (form.state === 'none' || form.state === 'error') && (
        <form class="complete-form" onSubmit={complete}>
          <label for="complete-variables">Variables to complete with (JSON object)</label>
          <textarea
            id="complete-variables"
            rows={4}
            value={variables}
            onInput={(e) => setVariables(e.currentTarget.value)}
          />
          <button type="submit" disabled={busy}>
            Complete
          </button>
        </form>
      )}

      <h3>Payload</h3>
      <pre class="payload">{JSON.stringify(task.payload, null, 2)}</pre>

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
