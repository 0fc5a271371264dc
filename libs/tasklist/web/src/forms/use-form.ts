import { useEffect, useState } from 'preact/hooks';
import { FORM } from '../api/documents';
import type { TasklistApi } from '../api/graphql-client';

export type FormLookup =
  | { state: 'loading' }
  | { state: 'none' }
  | { state: 'found'; schema: Record<string, unknown> }
  | { state: 'error'; message: string };

/** The Camunda Form a formKey names (`form(key)`), or none when the key is empty or names no form. */
export function useForm(api: TasklistApi, formKey: string | null | undefined): FormLookup {
  const [lookup, setLookup] = useState<FormLookup>(formKey ? { state: 'loading' } : { state: 'none' });
  useEffect(() => {
    if (!formKey) {
      setLookup({ state: 'none' });
      return undefined;
    }
    let current = true;
    setLookup({ state: 'loading' });
    api
      .request<{ form: { schema: Record<string, unknown> } | null }>(FORM, { key: formKey })
      .then(
        ({ form }) =>
          current && setLookup(form ? { state: 'found', schema: form.schema } : { state: 'none' }),
      )
      .catch((error: Error) => current && setLookup({ state: 'error', message: error.message }));
    return () => {
      current = false;
    };
  }, [api, formKey]);
  return lookup;
}
