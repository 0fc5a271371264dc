import { useEffect, useState } from 'preact/hooks';
import { START_PROCESS, STARTABLE_PROCESSES } from '../api/documents';
import type { TasklistApi } from '../api/graphql-client';
import { CamundaFormView } from '../forms/camunda-form-view';
import { useForm } from '../forms/use-form';
import { parseVariables } from '../format';

interface ProcessDefinition {
  id: string;
  key: string;
  name: string;
  description: string | null;
  formKey: string | null;
}

/** The processes the user may start, each with a variables editor to start it with. */
export function StartProcess({ api }: { api: TasklistApi }) {
  const [processes, setProcesses] = useState<ProcessDefinition[] | null>(null);
  const [chosen, setChosen] = useState('');
  const [variables, setVariables] = useState('{}');
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api
      .request<{ startableProcesses: ProcessDefinition[] }>(STARTABLE_PROCESSES)
      .then(({ startableProcesses }) => {
        setProcesses(startableProcesses);
        setChosen((c) => c || (startableProcesses[0]?.key ?? ''));
      })
      .catch((error: Error) =>
        setMessage({ error: true, text: `Loading the processes failed: ${error.message}` }),
      );
  }, [api]);

  const process = processes?.find((p) => p.key === chosen);
  const form = useForm(api, process?.formKey);

  const start = async (values: () => Record<string, unknown>) => {
    setBusy(true);
    setMessage(null);
    try {
      const answer = await api.request<{ startProcess: { processInstanceId: string } }>(START_PROCESS, {
        key: chosen,
        variables: values(),
      });
      const name = processes?.find((p) => p.key === chosen)?.name ?? chosen;
      setMessage({
        error: false,
        text: `Started ${name} (instance ${answer.startProcess.processInstanceId}).`,
      });
    } catch (error) {
      setMessage({ error: true, text: `Starting failed: ${(error as Error).message}` });
    } finally {
      setBusy(false);
    }
  };

  if (processes !== null && processes.length === 0) {
    return <p class="muted">There is no process you may start.</p>;
  }
  return (
    <section class="start-process" aria-labelledby="start-title">
      <h2 id="start-title">Start a process</h2>
      <label for="start-process">Process</label>
      <select id="start-process" value={chosen} onChange={(e) => setChosen(e.currentTarget.value)}>
        {(processes ?? []).map((p) => (
          <option key={p.key} value={p.key}>
            {p.name}
          </option>
        ))}
      </select>
      {process?.description && <p class="muted">{process.description}</p>}
      {form.state === 'loading' && <p class="muted">Loading the start form…</p>}
      {form.state === 'found' && (
        <CamundaFormView
          key={chosen}
          schema={form.schema}
          data={{}}
          submitLabel="Start process"
          busy={busy}
          onSubmit={(values) => void start(() => values)}
        />
      )}
      {(form.state === 'none' || form.state === 'error') && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void start(() => parseVariables(variables, 'variables'));
          }}
        >
          <label for="start-variables">Variables (JSON object)</label>
          <textarea
            id="start-variables"
            rows={4}
            value={variables}
            onInput={(e) => setVariables(e.currentTarget.value)}
          />
          <button type="submit" disabled={busy || !chosen}>
            Start process
          </button>
        </form>
      )}
      {message && (
        <p class={message.error ? 'error' : 'done'} role={message.error ? 'alert' : 'status'}>
          {message.text}
        </p>
      )}
    </section>
  );
}
