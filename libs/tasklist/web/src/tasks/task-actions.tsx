import { useState } from 'preact/hooks';
import { CLAIM, DEFER, UNCLAIM, UNDEFER } from '../api/documents';
import type { TasklistApi } from '../api/graphql-client';
import type { TaskDetail } from './task.types';
import { ActionStatusView, useAction } from './use-action';

interface Props {
  api: TasklistApi;
  task: TaskDetail;
  me: string;
  onChanged: (task: TaskDetail) => void;
}

/** Tomorrow as the date input holds it, the default of "defer to". */
const tomorrow = (): string => new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

/** Claim, unclaim, defer to a date and undefer. */
export function TaskActions({ api, task, me, onChanged }: Props) {
  const [deferTo, setDeferTo] = useState(tomorrow());
  const action = useAction();
  const mine = task.assignee === me;

  const send = async (name: string, work: () => Promise<TaskDetail>) => {
    const changed = await action.run(name, work);
    if (changed) onChanged(changed);
  };
  const claim = () =>
    send(
      'Claim',
      async () => (await api.request<{ claimTask: TaskDetail }>(CLAIM, { id: task.id })).claimTask,
    );
  const unclaim = () =>
    send(
      'Unclaim',
      async () => (await api.request<{ unclaimTask: TaskDetail }>(UNCLAIM, { id: task.id })).unclaimTask,
    );
  const undefer = () =>
    send(
      'Undefer',
      async () => (await api.request<{ undeferTask: TaskDetail }>(UNDEFER, { id: task.id })).undeferTask,
    );
  const defer = (event: Event) => {
    event.preventDefault();
    void send('Defer', async () => {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(deferTo)) throw new Error('followUpDate: choose a date');
      return (
        await api.request<{ deferTask: TaskDetail }>(DEFER, {
          id: task.id,
          followUpDate: `${deferTo}T00:00:00.000Z`,
        })
      ).deferTask;
    });
  };

  return (
    <>
      <div class="actions" aria-label="Actions">
        {!mine && (
          <button type="button" disabled={action.busy} onClick={() => void claim()}>
            Claim
          </button>
        )}
        {mine && (
          <button type="button" disabled={action.busy} onClick={() => void unclaim()}>
            Unclaim
          </button>
        )}
        {task.deferred && (
          <button type="button" disabled={action.busy} onClick={() => void undefer()}>
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
        <button type="submit" disabled={action.busy}>
          Defer
        </button>
      </form>
      <ActionStatusView status={action.status} />
    </>
  );
}
