import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@eddy/testing/wait-for';
import { PROCESS_ENGINE } from '@eddy/collector';
import { COMMAND_DISPATCHER } from '@eddy/contracts';
import { MemoryEventStore } from '@eddy/eventstore';
import { MemoryViewStore, ProjectionRunner, VIEW_STORE } from '@eddy/projections';
import { aCreateTaskCommand } from '@eddy/testing';
import { AppModule } from '../src/app.module';
import { loadConfig } from '../src/config/eddy.config';
import { get, post, serviceHeaders, type HttpAnswer } from './helpers/http';

interface Stores {
  events: MemoryEventStore;
  views: MemoryViewStore;
  dataDir: string;
  apps: INestApplication[];
}

function sharedStores(): Stores {
  return {
    events: new MemoryEventStore(),
    views: new MemoryViewStore(),
    dataDir: mkdtempSync(join(tmpdir(), 'eddy-roles-')),
    apps: [],
  };
}

async function closeAll(stores: Stores): Promise<void> {
  for (const app of stores.apps.reverse()) await app.close();
  rmSync(stores.dataDir, { recursive: true, force: true });
}

/**
 * A process with these roles. The settings name PostgreSQL and MongoDB, as processes that share
 * their stores must; the stores given here stand in for those servers.
 */
async function start(roles: string, stores: Stores): Promise<{ app: INestApplication; url: string }> {
  const config = loadConfig({
    EDDY_ROLES: roles,
    EDDY_AUTH_MODE: 'dev',
    EDDY_EVENT_STORE: 'postgres',
    EDDY_POSTGRES_URL: 'postgres://eddy@postgres.invalid/eddy',
    EDDY_VIEW_STORE: 'mongodb',
    EDDY_MONGODB_URL: 'mongodb://mongodb.invalid/',
    EDDY_DATA_DIR: join(stores.dataDir, roles),
    EDDY_BPMN_DIR: resolve(__dirname, '../bpmn'),
    EDDY_LOG_LEVEL: 'warn',
  });
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forRoot(config, { eventStore: stores.events })],
  })
    .overrideProvider(VIEW_STORE)
    .useValue(stores.views)
    .compile();
  const app = moduleRef.createNestApplication({ logger: false });
  stores.apps.push(app);
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

type GraphqlAnswer = HttpAnswer<{
  data?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  errors?: { message: string; extensions: Record<string, unknown> }[];
}>;

const graphqlAs =
  (user: string, groups: string) =>
  (url: string, query: string, variables: Record<string, unknown> = {}): Promise<GraphqlAnswer> =>
    post(url, '/graphql', { query, variables }, { 'x-user': user, 'x-groups': groups });

/**
 * Three processes of the distributed layout in one test process: `collector,core`, `projector` and
 * `api`. They share one event store and one view store, as PostgreSQL and MongoDB are shared between
 * processes (the settings name those servers; the stores given here stand in for them).
 */
describe('roles: each process composes only the modules of its roles', () => {
  const stores = sharedStores();
  const { events, views } = stores;

  const graphql = graphqlAs('carol', 'clerks');

  let core: { app: INestApplication; url: string };
  let projector: { app: INestApplication; url: string };
  let api: { app: INestApplication; url: string };
  let created: HttpAnswer<{ results: { status: string; position: number }[] }>;

  beforeAll(async () => {
    core = await start('collector,core', stores);
    projector = await start('projector', stores);
    api = await start('api', stores);
    // The collector deployed the models through the core at start; the projector writes them.
    await views.waitForPosition(await events.headPosition(), 30_000);
    created = await post(
      core.url,
      '/api/commands',
      { commands: [aCreateTaskCommand('roles-c-1', 'roles-task-1', { candidateGroups: ['clerks'] })] },
      serviceHeaders,
    );
    if (created.status === 200) await views.waitForPosition(created.body.results[0].position, 30_000);
  });
  afterAll(() => closeAll(stores));

  it('collector,core runs the engine and takes commands, and serves no tasklist', async () => {
    expect(core.app.get(PROCESS_ENGINE, { strict: false })).toBeDefined();
    expect(created.status).toBe(200);
    expect(created.body.results).toEqual([expect.objectContaining({ status: 'accepted' })]);

    expect((await graphql(core.url, '{ me { id } }')).status).toBe(404);
    expect((await get(core.url, '/tasklist/')).status).toBe(404);
    expect(
      (await get(core.url, '/admin/projections', { 'x-user': 'ops', 'x-groups': 'admins' })).status,
    ).toBe(404);
  });

  it('api answers GraphQL from views another process writes, and has neither engine nor core', async () => {
    const startable = await graphql(api.url, '{ startableProcesses { key } }');
    expect(startable.body.data?.startableProcesses).toEqual(
      expect.arrayContaining([{ key: 'invoice-approval' }]),
    );
    const tasks = await graphql(api.url, '{ tasks { nodes { id } } }');
    expect(tasks.body.data?.tasks).toEqual({ nodes: [{ id: 'roles-task-1' }] });

    // It runs no projections: another process writes the views.
    expect(() => api.app.get(ProjectionRunner)).toThrow(/could not find ProjectionRunner/);
    expect(() => api.app.get(PROCESS_ENGINE, { strict: false })).toThrow();
    const started = await graphql(
      api.url,
      'mutation { startProcess(processDefinitionKey: "invoice-approval") { processInstanceId } }',
    );
    expect(started.body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/no process engine/),
      extensions: { code: 'UNAVAILABLE' },
    });

    // The claim is refused with the reason; nothing is appended.
    const head = await events.headPosition();
    const claimed = await graphql(api.url, 'mutation { claimTask(id: "roles-task-1") { assignee } }');
    expect(claimed.body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/this process has the roles api without core/),
      extensions: { code: 'UNAVAILABLE', reason: 'CORE_UNAVAILABLE' },
    });
    expect(await events.headPosition()).toBe(head);

    expect((await post(api.url, '/api/commands', { commands: [] }, serviceHeaders)).status).toBe(404);
    expect(
      (await post(api.url, '/api/messages', { name: 'm', correlationKey: 'k' }, serviceHeaders)).status,
    ).toBe(404);
    expect((await get(api.url, '/admin/projections', { 'x-user': 'ops', 'x-groups': 'admins' })).status).toBe(
      409,
    );
  });

  it('projector answers only health and metrics', async () => {
    expect((await get(projector.url, '/health/live')).status).toBe(200);
    const ready = await get<{ checks: { name: string }[] }>(projector.url, '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.map((c) => c.name)).toEqual(['event-store', 'projections']);
    const metrics = await get<string>(projector.url, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('eddy_projection_position{projection="tasks"}');

    for (const path of ['/graphql', '/api/commands', '/api/messages']) {
      expect((await post(projector.url, path, {}, serviceHeaders)).status).toBe(404);
    }
    for (const path of ['/tasklist/', '/admin/projections']) {
      expect((await get(projector.url, path, { 'x-user': 'ops', 'x-groups': 'admins' })).status).toBe(404);
    }
    expect(() => projector.app.get(PROCESS_ENGINE, { strict: false })).toThrow();
    expect(() => projector.app.get(COMMAND_DISPATCHER, { strict: false })).toThrow();
  });
});

describe('roles: requests cross the processes through the shared event store', () => {
  const stores = sharedStores();
  const carol = graphqlAs('carol', 'clerks');
  const alice = graphqlAs('alice', 'accounting');
  let engine: { app: INestApplication; url: string };
  let other: { app: INestApplication; url: string };

  beforeAll(async () => {
    // The engine's process serves the tasklist too (process starts); another api process has the core only.
    engine = await start('collector,core,api', stores);
    await start('projector', stores);
    other = await start('api,core', stores);
  });
  afterAll(() => closeAll(stores));

  it("a claim on an api,core process answers read your writes, and its completion drives the other process's engine", async () => {
    const started = await carol(
      engine.url,
      'mutation($v: JSON) { startProcess(processDefinitionKey: "invoice-approval", variables: $v) { processInstanceId } }',
      { v: { invoiceNumber: 'INV-9', supplier: 'ACME', amount: 900, submitter: 'carol' } },
    );
    expect(started.body.errors).toBeUndefined();
    const instance = started.body.data!.startProcess.processInstanceId as string;
    const tasksOf = async (ask: typeof carol, url: string) =>
      ((await ask(url, '{ tasks { nodes { id taskDefinitionKey assignee processInstanceId } } }')).body.data
        ?.tasks.nodes ?? []) as {
        id: string;
        taskDefinitionKey: string;
        assignee: string | null;
        processInstanceId: string;
      }[];

    await waitFor(
      async () =>
        expect(
          await (async () => (await tasksOf(alice, other.url)).map((t) => t.taskDefinitionKey))(),
        ).toEqual(['ReviewInvoice']),
      {
        timeout: 30_000,
      },
    );
    const [review] = await tasksOf(alice, other.url);
    expect(review.processInstanceId).toBe(instance);

    // Handled by the core of the api process itself; the answer already shows the view's change.
    const claimed = await alice(other.url, `mutation { claimTask(id: "${review.id}") { assignee } }`);
    expect(claimed.body).toEqual({ data: { claimTask: { assignee: 'alice' } } });

    // The completion reaches the engine of the other process, whose next task comes back to every api.
    const completed = await alice(
      other.url,
      `mutation { completeTask(id: "${review.id}", variables: { approved: false }) { id } }`,
    );
    expect(completed.body.errors).toBeUndefined();
    await waitFor(
      async () =>
        expect(
          await (async () =>
            (await tasksOf(carol, other.url)).map((t) => [t.taskDefinitionKey, t.assignee]))(),
        ).toEqual([['ClarifyInvoice', 'carol']]),
      {
        timeout: 30_000,
      },
    );
    expect((await tasksOf(carol, engine.url)).map((t) => t.taskDefinitionKey)).toEqual(['ClarifyInvoice']);
  });
});
