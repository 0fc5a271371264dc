import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MemoryEventStore } from '@eddy/eventstore';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config/eddy.config';
import { resolve } from 'node:path';
import { aCreateTaskCommand, aSourceReference } from '@eddy/testing';
import { post, serviceHeaders } from './helpers/http';

/**
 * Attacks on the public APIs with input that once got through: each must be refused with the field named,
 * or kept apart, and never fail a whole request.
 */

/** JSON text of an object nested `levels` deep, written out by hand: the client must not overflow either. */
const nestedJson = (levels: number): string => '{"a":'.repeat(levels) + '{}' + '}'.repeat(levels);

const carol = { 'x-user': 'carol', 'x-groups': 'clerks' };

interface GraphqlAnswer<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; field?: string } }[];
}

/** A GraphQL request whose variables are given as JSON text. */
async function graphqlWithRawVariables<T>(
  url: string,
  headers: Record<string, string>,
  query: string,
  variablesJson: string,
): Promise<GraphqlAnswer<T>> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: `{"query":${JSON.stringify(query)},"variables":${variablesJson}}`,
  });
  return (await response.json()) as GraphqlAnswer<T>;
}

interface Result {
  commandId: string | null;
  status: string;
  streamId: string | null;
  error?: { code: string; message: string; path?: string };
}

const reference = (applicationName: string, instanceId: string) =>
  aSourceReference({ type: 'process', applicationName, instanceId });

/** A CreateTask as JSON text, its payload given as JSON text too. */
const createTask = (id: string, payloadJson = '{}') =>
  JSON.stringify(aCreateTaskCommand(id, id, { candidateGroups: ['clerks'], payload: 'PAYLOAD' })).replace(
    '"PAYLOAD"',
    payloadJson,
  );

/** The answer of a mutation whose variables were refused: the argument and the limit are named. */
const expectVariablesRefused = (answer: GraphqlAnswer<unknown>) =>
  expect(answer.errors?.[0]).toMatchObject({
    extensions: { code: 'BAD_USER_INPUT', field: 'variables' },
    message: expect.stringMatching(/^variables: .*64 levels/),
  });

describe('command API: bad input', () => {
  let app: INestApplication;
  let url: string;
  const store = new MemoryEventStore();
  const submit = async (commands: unknown[]) => {
    const answer = await post<{ results: Result[] }>(url, '/api/commands', { commands }, serviceHeaders);
    expect(answer.status).toBe(200);
    return answer.body.results;
  };

  beforeAll(async () => {
    app = await createApp(
      loadConfig({
        EDDY_AUTH_MODE: 'dev',
        EDDY_EVENT_STORE: 'memory',
        EDDY_BPMN_DIR: resolve(__dirname, '../bpmn'),
        EDDY_LOG_LEVEL: 'fatal',
      }),
      { eventStore: store },
    );
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => app?.close());

  it("one application cannot finish another's process instance by moving a / between the parts", async () => {
    const [started] = await submit([
      {
        type: 'StartProcessInstance',
        commandId: 'attack-start',
        data: { sourceReference: reference('coll-X/y', '1') },
      },
    ]);
    expect(started.status).toBe('accepted');
    const [finished] = await submit([
      {
        type: 'FinishProcessInstance',
        commandId: 'attack-finish',
        data: { sourceReference: reference('coll-X', 'y/1') },
      },
    ]);
    // The other instance does not exist: its stream is not the started one's.
    expect(finished).toMatchObject({ status: 'rejected', error: { code: 'PROCESS_INSTANCE_NOT_FOUND' } });
    expect(finished.streamId).not.toBe(started.streamId);
    const events = await store.readStream(started.streamId!);
    expect(events.map((e) => e.type)).toEqual(['ProcessInstanceStarted']);
  });

  it('refuses a payload nested 6,000 levels as that command only; the others of the batch are accepted', async () => {
    const deep = createTask('deep-2', `{"x":${nestedJson(6_000)}}`);
    const body = `{"commands":[${createTask('deep-1')},${deep},${createTask('deep-3')}]}`;
    const answer = await post<{ results: Result[] }>(url, '/api/commands', body, serviceHeaders);
    expect(answer.status).toBe(200);
    expect(answer.body.results.map((r) => r.status)).toEqual(['accepted', 'rejected', 'accepted']);
    expect(answer.body.results[1]).toMatchObject({
      commandId: 'deep-2',
      streamId: null,
      error: { code: 'INVALID_COMMAND', path: 'data.payload', message: expect.stringMatching(/64 levels/) },
    });
    expect(await store.readStream('task-deep-2')).toEqual([]);
  });

  it('refuses variables nested too deep in startProcess, naming the argument', async () => {
    const answer = await graphqlWithRawVariables(
      url,
      carol,
      'mutation($v: JSON) { startProcess(processDefinitionKey: "invoice-approval", variables: $v) { processInstanceId } }',
      `{"v":${nestedJson(6_000)}}`,
    );
    expectVariablesRefused(answer);
  });

  it('refuses a variables literal nested too deep in startProcess', async () => {
    const mutation = (levels: number) =>
      `mutation { startProcess(processDefinitionKey: "invoice-approval", variables: ${'{a:'.repeat(levels)}{}${'}'.repeat(levels)}) { processInstanceId } }`;
    expectVariablesRefused(await graphqlWithRawVariables(url, carol, mutation(100), '{}'));
    // Far deeper, the GraphQL parser itself gives up: refused as a document it cannot parse, not a 500.
    const unparsable = await graphqlWithRawVariables(url, carol, mutation(6_000), '{}');
    expect(unparsable.errors?.[0].extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('refuses variables nested too deep in completeTask, naming the argument, and leaves the task open', async () => {
    const [created] = await submit([JSON.parse(createTask('to-complete'))]);
    expect(created.status).toBe('accepted');
    const claimed = await graphqlWithRawVariables<{ claimTask: { assignee: string } }>(
      url,
      carol,
      'mutation { claimTask(id: "to-complete") { assignee } }',
      '{}',
    );
    expect(claimed.data?.claimTask.assignee).toBe('carol');
    const answer = await graphqlWithRawVariables(
      url,
      carol,
      'mutation($v: JSON) { completeTask(id: "to-complete", variables: $v) { id } }',
      `{"v":${nestedJson(6_000)}}`,
    );
    expectVariablesRefused(answer);
    const events = await store.readStream('task-to-complete');
    expect(events.map((e) => e.type)).toEqual(['TaskCreated', 'TaskClaimed']);
  });

  it('refuses message variables nested too deep with 400 naming the field', async () => {
    const answer = await post<{ message: string }>(
      url,
      '/api/messages',
      `{"name":"payment-confirmed","correlationKey":"CLM-1","variables":${nestedJson(6_000)}}`,
      serviceHeaders,
    );
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/^variables: .*64 levels/);
  });

  it('refuses an impossible date in GraphQL as the command API does, in arguments, variables and filters', async () => {
    const impossible = '2026-02-31T23:00:00Z';
    const [command] = await submit([
      {
        type: 'DeferTask',
        commandId: 'defer-impossible',
        data: { id: 'to-complete', followUpDate: impossible },
      },
    ]);
    expect(command).toMatchObject({ status: 'rejected', error: { path: 'data.followUpDate' } });

    const literal = await graphqlWithRawVariables(
      url,
      carol,
      `mutation { deferTask(id: "to-complete", followUpDate: "${impossible}") { followUpDate } }`,
      '{}',
    );
    const variable = await graphqlWithRawVariables(
      url,
      carol,
      'query($before: DateTime) { tasks(filter: { dueBefore: $before }) { totalCount } }',
      JSON.stringify({ before: impossible }),
    );
    for (const answer of [literal, variable]) {
      expect(answer.data ?? null).toBeNull();
      expect(answer.errors?.[0].message).toContain(impossible);
    }
    expect(literal.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(variable.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('refuses __proto__, constructor and prototype in payloads, variables and filter paths, naming the field', async () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const [top, nested] = await submit([
        JSON.parse(createTask(`top-${key}`, `{"${key}": {"admin": true}}`)),
        JSON.parse(createTask(`nested-${key}`, `{"customer": {"${key}": {"admin": true}}}`)),
      ]);
      expect(top).toMatchObject({ status: 'rejected', error: { path: `data.payload.${key}` } });
      expect(nested).toMatchObject({ status: 'rejected', error: { path: `data.payload.customer.${key}` } });

      const started = await graphqlWithRawVariables(
        url,
        carol,
        'mutation($v: JSON) { startProcess(processDefinitionKey: "invoice-approval", variables: $v) { processInstanceId } }',
        `{"v":{"${key}":{"amount":1}}}`,
      );
      expect(started.errors?.[0]).toMatchObject({
        extensions: { code: 'BAD_USER_INPUT', field: `variables.${key}` },
      });

      const filtered = await graphqlWithRawVariables(
        url,
        carol,
        'query($path: String!) { tasks(filter: { payload: [{ path: $path, op: EQ, value: {} }] }) { totalCount } }',
        JSON.stringify({ path: `order.${key}` }),
      );
      expect(filtered.data ?? null).toBeNull();
      expect(filtered.errors?.[0]).toMatchObject({
        extensions: { code: 'BAD_USER_INPUT', field: 'filter.payload[0].path' },
      });
    }
    const message = await post<{ message: string }>(
      url,
      '/api/messages',
      '{"name":"payment-confirmed","correlationKey":"CLM-1","variables":{"__proto__":{"paid":true}}}',
      serviceHeaders,
    );
    expect(message.status).toBe(400);
    expect(message.body.message).toMatch(/^variables\.__proto__: /);
  });

  it('a filter on __proto__ no longer matches every visible task', async () => {
    const answer = await graphqlWithRawVariables(
      url,
      carol,
      'query { tasks(filter: { payload: [{ path: "__proto__", op: EQ, value: {} }] }) { totalCount } }',
      '{}',
    );
    expect(answer.data ?? null).toBeNull();
    expect(answer.errors?.[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'filter.payload[0].path',
    });
  });
});
