import { useEffect, useRef, useState } from 'preact/hooks';
import type { MountedForm } from './camunda-form';

interface Props {
  schema: Record<string, unknown>;
  data: Record<string, unknown>;
  submitLabel: string;
  busy: boolean;
  /** Called with the form's values once every field validates. */
  onSubmit: (variables: Record<string, unknown>) => void;
}

/** A Camunda Form with its submit button; form-js validates the fields before anything is sent. */
export function CamundaFormView({ schema, data, submitLabel, busy, onSubmit }: Props) {
  const container = useRef<HTMLDivElement>(null);
  const mounted = useRef<MountedForm | null>(null);
  const [ready, setReady] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    let active = true;
    setReady(false);
    import('./camunda-form')
      .then(({ mountForm }) => mountForm(container.current!, schema, data))
      .then((form) => {
        if (!active) return form.destroy();
        mounted.current = form;
        setReady(true);
      })
      .catch((error: Error) => active && setProblem(`The form cannot be shown: ${error.message}`));
    return () => {
      active = false;
      mounted.current?.destroy();
      mounted.current = null;
    };
    // The form is built once per schema; later payload changes must not reset what the user typed.
  }, [schema]);

  const submit = () => {
    const form = mounted.current;
    if (!form) return;
    const { data: values, errors } = form.submit();
    const invalid = Object.keys(errors).length;
    if (invalid > 0) {
      setProblem(
        `${invalid === 1 ? 'One field does' : `${invalid} fields do`} not hold a valid value: see the form.`,
      );
      return;
    }
    setProblem(null);
    onSubmit(values);
  };

  return (
    // form-js renders a <form> of its own: this wrapper must not be one.
    <div class="camunda-form">
      <div ref={container} />
      {!ready && !problem && <p class="muted">Loading the form…</p>}
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      <button type="button" disabled={busy || !ready} onClick={submit}>
        {submitLabel}
      </button>
    </div>
  );
}
