import { useState } from 'preact/hooks';
import { ASSIGN } from '../api/documents';
import type { TasklistApi } from '../api/graphql-client';
import type { TaskDetail } from './task.types';
import { ActionStatusView, useAction } from './use-action';

interface Props {
  api: TasklistApi;
  task: TaskDetail;
  onChanged: (task: TaskDetail) => void;
}

/** "Assign to...": hands the task to another user, by user id (`assignTask`). */
export function TaskDelegation({ api, task, onChanged }: Props) {
  const [assignee, setAssignee] = useState('');
  const action = useAction();

  const submit = async (event: Event) => {
    event.preventDefault();
    const to = assignee.trim();
    const answer = await action.run(
      'Assign',
      () => api.request<{ assignTask: TaskDetail }>(ASSIGN, { id: task.id, assignee: to }),
      `Assigned ${task.name} to ${to}.`,
    );
    if (answer) {
      setAssignee('');
      onChanged(answer.assignTask);
    }
  };

  return (
    <>
      <form class="inline-form" aria-label="Assign to another user" onSubmit={(e) => void submit(e)}>
        <label for="assign-to">Assign to (user id)</label>
        <input
          id="assign-to"
          value={assignee}
          autocomplete="off"
          required
          onInput={(e) => setAssignee(e.currentTarget.value)}
        />
        <button type="submit" disabled={action.busy}>
          Assign
        </button>
      </form>
      <ActionStatusView status={action.status} />
    </>
  );
}
