import { Form } from '@bpmn-io/form-js-viewer';
import '@bpmn-io/form-js-viewer/dist/assets/form-js.css';

/** A Camunda Form rendered by form-js into a container of the page. */
export interface MountedForm {
  /** The form's values and, when a field does not validate, its errors (form-js marks the fields). */
  submit(): { data: Record<string, unknown>; errors: Record<string, unknown> };
  destroy(): void;
}

/**
 * Renders `schema` (the JSON of @bpmn-io/form-js) filled with `data`. Loaded on demand as a chunk of
 * its own: only a task or a process with a form needs form-js.
 */
export async function mountForm(
  container: HTMLElement,
  schema: Record<string, unknown>,
  data: Record<string, unknown>,
): Promise<MountedForm> {
  // Without debouncing, a value typed just before the submit button is pressed is in the submit.
  // form-js reads `debounce` from its configuration; its type declarations do not list it.
  const options = { container, debounce: false };
  const form = new Form(options);
  await form.importSchema(schema, data);
  return {
    submit: () => {
      const { data: values, errors } = form.submit();
      return { data: values as Record<string, unknown>, errors: errors as Record<string, unknown> };
    },
    destroy: () => form.destroy(),
  };
}
