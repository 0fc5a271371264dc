import { useEffect, useState } from 'preact/hooks';
import { UPDATE } from '../api/documents';
import type { TasklistApi } from '../api/graphql-client';
import { fromLocalInput, toLocalInput } from './date-input';
import type { TaskDetail } from './task.types';
import { ActionStatusView, useAction } from './use-action';

interface Props {
  api: TasklistApi;
  task: TaskDetail;
  onChanged: (task: TaskDetail) => void;
}

interface Fields {
  priority: string;
  dueDate: string;
  followUpDate: string;
}

const fieldsOf = (task: TaskDetail): Fields => ({
  priority: task.priority === null ? '' : String(task.priority),
  dueDate: toLocalInput(task.dueDate),
  followUpDate: toLocalInput(task.followUpDate),
});

/** The fields that differ from the task, as `updateTask` takes them; an emptied date removes it. */
function changesOf(fields: Fields, task: TaskDetail): Record<string, number | string | null> {
  const before = fieldsOf(task);
  const changes: Record<string, number | string | null> = {};
  if (fields.priority !== before.priority) {
    const priority = Number(fields.priority);
    if (fields.priority.trim() === '' || !Number.isInteger(priority)) {
      throw new Error('priority: a whole number from 0 to 100');
    }
    changes.priority = priority;
  }
  if (fields.dueDate !== before.dueDate) changes.dueDate = fromLocalInput(fields.dueDate, 'dueDate');
  if (fields.followUpDate !== before.followUpDate) {
    changes.followUpDate = fromLocalInput(fields.followUpDate, 'followUpDate');
  }
  if (Object.keys(changes).length === 0) throw new Error('change the priority or a date first');
  return changes;
}

/** Priority, due and follow-up date of a task (`updateTask`, for holders of tasks:manage). */
export function TaskEditForm({ api, task, onChanged }: Props) {
  const [fields, setFields] = useState<Fields>(() => fieldsOf(task));
  const action = useAction();
  // A change of the task (here or by someone else) shows its new values.
  useEffect(() => setFields(fieldsOf(task)), [task.id, task.version]);
  const set = (field: keyof Fields) => (e: { currentTarget: HTMLInputElement }) =>
    setFields({ ...fields, [field]: e.currentTarget.value });

  const submit = async (event: Event) => {
    event.preventDefault();
    const answer = await action.run(
      'Edit',
      () =>
        api.request<{ updateTask: TaskDetail }>(UPDATE, { id: task.id, changes: changesOf(fields, task) }),
      `Saved the changes of ${task.name}.`,
    );
    if (answer) onChanged(answer.updateTask);
  };

  return (
    <form class="edit-form" aria-label="Edit priority and dates" onSubmit={(e) => void submit(e)}>
      <div class="filter-grid">
        <div>
          <label for="edit-priority">Priority (0 to 100)</label>
          <input
            id="edit-priority"
            type="number"
            min={0}
            max={100}
            step={1}
            value={fields.priority}
            onInput={set('priority')}
          />
        </div>
        <div>
          <label for="edit-due">Due date</label>
          <input id="edit-due" type="datetime-local" value={fields.dueDate} onInput={set('dueDate')} />
        </div>
        <div>
          <label for="edit-follow-up">Follow-up date</label>
          <input
            id="edit-follow-up"
            type="datetime-local"
            value={fields.followUpDate}
            onInput={set('followUpDate')}
          />
        </div>
      </div>
      <button type="submit" disabled={action.busy}>
        Save changes
      </button>
      <ActionStatusView status={action.status} />
    </form>
  );
}
