import type { INestApplication } from '@nestjs/common';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MemoryEventStore } from '@eddy/eventstore';
import { aCreateTaskCommand, aSourceReference } from '@eddy/testing';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config/eddy.config';
import { get, post, serviceHeaders } from './helpers/http';

const sourceReference = aSourceReference();
const createTask = aCreateTaskCommand;

let okCount = 0;

describe('command API (development identity mode)', () => {
  let app: INestApplication;
  let url: string;
  const store = new MemoryEventStore();

  beforeAll(async () => {
    app = await createApp(
      loadConfig({ EDDY_AUTH_MODE: 'dev', EDDY_ENGINE: 'none', EDDY_LOG_LEVEL: 'warn' }),
      {
        eventStore: store,
      },
    );
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => app?.close());

  it('accepts commands and answers each with its stream, revision and position', async () => {
    const answer = await post<{ results: unknown[] }>(
      url,
      '/api/commands',
      {
        commands: [
          createTask('c-1', 'task-1', { candidateGroups: ['claims'], priority: 50 }),
          { type: 'AssignTask', commandId: 'c-2', data: { id: 'task-1', assignee: 'alice' } },
          {
            type: 'CreateOrUpdateDataEntry',
            commandId: 'c-3',
            data: {
              entryType: 'claim',
              entryId: 'CL-1',
              type: 'Claim',
              name: 'Claim 1',
              applicationName: 'claims-app',
            },
          },
        ],
      },
      serviceHeaders,
    );
    expect(answer.status).toBe(200);
    expect(answer.body.results).toEqual([
      {
        commandId: 'c-1',
        status: 'accepted',
        streamId: 'task-task-1',
        revision: 0,
        position: expect.any(Number),
      },
      {
        commandId: 'c-2',
        status: 'accepted',
        streamId: 'task-task-1',
        revision: 1,
        position: expect.any(Number),
      },
      {
        commandId: 'c-3',
        status: 'accepted',
        streamId: 'data-entry-claim#CL-1',
        revision: 0,
        position: expect.any(Number),
      },
    ]);
  });

  it('answers a repeated command id as a duplicate, also within one request, and appends nothing', async () => {
    const before = await store.headPosition();
    const command = createTask('dup-1', 'task-dup');
    const answer = await post<{ results: { status: string }[] }>(
      url,
      '/api/commands',
      { commands: [command, command] },
      serviceHeaders,
    );
    expect(answer.body.results.map((r) => r.status)).toEqual(['accepted', 'duplicate']);
    const again = await post<{ results: { status: string }[] }>(
      url,
      '/api/commands',
      { commands: [command] },
      serviceHeaders,
    );
    expect(again.body.results[0].status).toBe('duplicate');
    expect(await store.headPosition()).toBe(before + 1);
  });

  it.each([
    [
      'an unknown command type',
      { type: 'LaunchRocket', commandId: 'b-1', data: {} },
      'UNKNOWN_COMMAND_TYPE',
      'type',
    ],
    [
      'a missing field',
      { type: 'AssignTask', commandId: 'b-2', data: { assignee: 'x' } },
      'INVALID_COMMAND',
      'data.id',
    ],
    [
      'a mistyped field',
      { type: 'CreateTask', commandId: 'b-3', data: { ...createTask('x', 't').data, priority: 'high' } },
      'INVALID_COMMAND',
      'data.priority',
    ],
    ['an id with odd characters', createTask('b-4', 'task <script>'), 'INVALID_COMMAND', 'data.id'],
    [
      'a date that is not a date',
      createTask('b-5', 'task-5', { dueDate: 'next tuesday' }),
      'INVALID_COMMAND',
      'data.dueDate',
    ],
    [
      'a nested bad field',
      {
        ...createTask('b-6', 'task-6'),
        data: { ...createTask('b-6', 'task-6').data, sourceReference: { ...sourceReference, type: 'robot' } },
      },
      'INVALID_COMMAND',
      'data.sourceReference.type',
    ],
    ['a missing command id', { type: 'DeleteTask', data: { id: 'x' } }, 'INVALID_COMMAND', 'commandId'],
    [
      'a command on an unknown task',
      { type: 'CompleteTask', commandId: 'b-8', data: { id: 'ghost' } },
      'TASK_NOT_FOUND',
      'data.id',
    ],
  ])('rejects %s with a clear error and appends nothing', async (_, command, code, path) => {
    const before = await store.headPosition();
    const answer = await post<{
      results: { status: string; error: { code: string; path?: string; message: string } }[];
    }>(
      url,
      '/api/commands',
      {
        commands: [command, createTask(`ok-${++okCount}`, `ok-${okCount}`)],
      },
      serviceHeaders,
    );
    expect(answer.status).toBe(200);
    const [rejected, accepted] = answer.body.results;
    expect(rejected.status).toBe('rejected');
    expect(rejected.error.code).toBe(code);
    expect(rejected.error.path).toBe(path);
    if (code === 'INVALID_COMMAND') expect(rejected.error.message).toContain(path);
    // The other command of the request still goes through.
    expect(accepted.status).toBe('accepted');
    expect(await store.headPosition()).toBe(before + 1);
  });

  it('refuses a body that is not JSON, has no commands array or too many commands with 400', async () => {
    const notJson = await post<{ message: string }>(url, '/api/commands', '{"commands": [', serviceHeaders);
    expect(notJson.status).toBe(400);
    expect(notJson.body.message).toMatch(/not valid JSON/);
    const noArray = await post<{ message: string }>(url, '/api/commands', { command: [] }, serviceHeaders);
    expect(noArray.status).toBe(400);
    expect(noArray.body.message).toMatch(/commands/);
    const tooMany = await post<{ message: string }>(
      url,
      '/api/commands',
      { commands: Array.from({ length: 1001 }, (_, i) => createTask(`m-${i}`, `m-${i}`)) },
      serviceHeaders,
    );
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.message).toMatch(/at most 1000/);
  });

  it('tells a request without a JSON content type so, with 415', async () => {
    const body = JSON.stringify({ commands: [createTask('ct-1', 'ct-1')] });
    const send = async (headers: Record<string, string>) => {
      const response = await fetch(`${url}/api/commands`, { method: 'POST', headers, body });
      return { status: response.status, body: (await response.json()) as { message: string } };
    };
    const plain = await send({ ...serviceHeaders, 'content-type': 'text/plain' });
    expect(plain.status).toBe(415);
    expect(plain.body.message).toBe(
      'the body must be JSON with content-type: application/json (got text/plain)',
    );
    const form = await send({ ...serviceHeaders, 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    const charset = await send({ ...serviceHeaders, 'content-type': 'application/json; charset=utf-8' });
    expect(charset.status).toBe(200);
  });

  it('refuses a body over the size limit with 413 and keeps serving', async () => {
    const big = createTask('big-1', 'big-1', { payload: { blob: 'x'.repeat(1024 * 1024 + 10) } });
    const answer = await post<{ statusCode: number }>(
      url,
      '/api/commands',
      { commands: [big] },
      serviceHeaders,
    );
    expect(answer.status).toBe(413);
    const live = await get(url, '/health/live');
    expect(live.status).toBe(200);
  });

  it('answers 401 without an identity and 403 without the commands:write permission', async () => {
    expect((await post(url, '/api/commands', { commands: [] })).status).toBe(401);
    const forbidden = await post(
      url,
      '/api/commands',
      { commands: [] },
      { 'x-user': 'alice', 'x-groups': 'sales' },
    );
    expect(forbidden.status).toBe(403);
  });

  it('counts handled and rejected commands in /metrics', async () => {
    const metrics = await get<string>(url, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/eddy_commands_handled_total\{type="CreateTask",status="accepted"\} \d+/);
    expect(metrics.body).toMatch(
      /eddy_commands_rejected_total\{type="CompleteTask",code="TASK_NOT_FOUND"\} \d+/,
    );
  });
});

describe('command API (JWT)', () => {
  const secret = 'a-shared-secret-for-the-e2e-tests-only';
  let app: INestApplication;
  let url: string;
  const token = (groups: string[], user = 'svc-billing') =>
    new SignJWT({ sub: user, groups })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://idp.example.test')
      .setAudience('eddy')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(secret));

  beforeAll(async () => {
    app = await createApp(
      loadConfig({
        EDDY_AUTH_MODE: 'jwt',
        EDDY_JWT_SECRET: secret,
        EDDY_JWT_ISSUER: 'https://idp.example.test',
        EDDY_JWT_AUDIENCE: 'eddy',
        EDDY_ENGINE: 'none',
        EDDY_LOG_LEVEL: 'warn',
      }),
      { eventStore: new MemoryEventStore() },
    );
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => app?.close());

  it('accepts a valid token of a command group and refuses dev headers', async () => {
    const ok = await post<{ results: { status: string }[] }>(
      url,
      '/api/commands',
      { commands: [createTask('j-1', 'j-1')] },
      { authorization: `Bearer ${await token(['process-applications'])}` },
    );
    expect(ok.status).toBe(200);
    expect(ok.body.results[0].status).toBe('accepted');
    expect((await post(url, '/api/commands', { commands: [] }, serviceHeaders)).status).toBe(401);
    const noPermission = await post(
      url,
      '/api/commands',
      { commands: [] },
      { authorization: `Bearer ${await token(['sales'])}` },
    );
    expect(noPermission.status).toBe(403);
    expect(
      (await post(url, '/api/commands', { commands: [] }, { authorization: 'Bearer not-a-jwt' })).status,
    ).toBe(401);
  });
});
