import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TasklistHarness } from './support/tasklist-harness';

const FORM = `query($key: String!) { form(key: $key) { key schema } }`;

describe('form(key)', () => {
  let harness: TasklistHarness;
  beforeAll(async () => {
    harness = await TasklistHarness.start({ tasklist: { formsDir: resolve(__dirname, '..', 'bpmn') } });
  });
  afterAll(() => harness?.close());

  it('answers the Camunda Form a formKey names, and null for a key without a form', async () => {
    const alice = await harness.as('alice', ['accounting']);
    const found = await harness.graphql<{
      form: { key: string; schema: { components: { key?: string }[] } };
    }>(FORM, { key: 'forms/invoice-review' }, alice);
    expect(found.errors).toBeUndefined();
    expect(found.data?.form.key).toBe('forms/invoice-review');
    expect(found.data?.form.schema.components.map((c) => c.key)).toContain('approved');
    const missing = await harness.graphql<{ form: null }>(FORM, { key: 'forms/nothing' }, alice);
    expect(missing.data).toEqual({ form: null });
  });

  it('needs an identity', async () => {
    const anonymous = await harness.graphql(FORM, { key: 'forms/invoice-review' });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
