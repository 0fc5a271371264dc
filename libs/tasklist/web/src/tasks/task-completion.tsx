import { useState } from 'preact/hooks';
import { COMPLETE } from '../api/documents';
import type { TasklistApi } from '../api/graphql-client';
import { CamundaFormView } from '../forms/camunda-form-view';
import { useForm } from '../forms/use-form';
import { parseVariables } from '../format';
import type { TaskDetail } from './task.types';
import { ActionStatusView, useAction } from './use-action';

interface Props {
  api: TasklistApi;
  task: TaskDetail;
  /** Called with the message to show once the task is completed. */
  onCompleted: (message: string) => void;
}

/** Completes the user's task: through its Camunda Form, or with variables typed as JSON. */
export function TaskCompletion({ api, task, onCompleted }: Props) {
  const [variables, setVariables] = useState('{}');
  const form = useForm(api, task.formKey);
  const action = useAction();

  const completeWith = async (values: () => Record<string, unknown>) => {
    const message = `Completed ${task.name}.`;
    const done = await action.run(
      'Complete',
      async () => {
        await api.request(COMPLETE, { id: task.id, variables: values() });
        return true;
      },
      message,
    );
    if (done) onCompleted(message);
  };
  const complete = (event: Event) => {
    event.preventDefault();
    void completeWith(() => parseVariables(variables, 'variables'));
  };

  return (
    <>
      {form.state === 'loading' && <p class="muted">Loading the form…</p>}
      {form.state === 'error' && (
        <p class="error" role="alert">
          The form {task.formKey} cannot be loaded: {form.message}
        </p>
      )}
      {form.state === 'found' && (
        <section class="complete-form" aria-label="Form">
          <CamundaFormView
            schema={form.schema}
            data={task.payload}
            submitLabel="Complete"
            busy={action.busy}
            onSubmit={(values) => void completeWith(() => values)}
          />
        </section>
      )}
      {(form.state === 'none' || form.state === 'error') && (
        <form class="complete-form" onSubmit={complete}>
          <label for="complete-variables">Variables to complete with (JSON object)</label>
          <textarea
            id="complete-variables"
            rows={4}
            value={variables}
            onInput={(e) => setVariables(e.currentTarget.value)}
          />
          <button type="submit" disabled={action.busy}>
            Complete
          </button>
        </form>
      )}
      <ActionStatusView status={action.status} />
    </>
  );
}
