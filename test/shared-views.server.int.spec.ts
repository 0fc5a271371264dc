import { aCreateTaskCommand } from '@eddy/testing/command.fixtures';
import { mongoTestDatabases } from '@eddy/testing/mongo-test-databases';
import { requireServer } from '@eddy/testing/servers';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { gql, SubscriptionRecorder, wsClient } from './helpers/graphql';
import { EddyProcess } from './support/eddy-process';

// The distributed views end to end: one process projecting into MongoDB and two API processes that
// do not project (EDDY_PROJECTIONS=off), all with EDDY_ENGINE=none on one PostgreSQL event store
// (a database of this spec) and one MongoDB database.
const mongo = mongoTestDatabases('eddy_shared_views');
const postgres = requireServer('postgres');
const carl = { id: 'carl', groups: ['claims'] };
const dora = { id: 'dora', groups: ['claims'] };
const service = { 'x-user': 'claims-app', 'x-groups': 'process-applications' };

interface TaskChange {
  taskChanges: {
    kind: string;
    position: string;
    removedIds: string[];
    tasks: { id: string; assignee: string | null }[];
  };
}
/** How long a subscriber waits for a change: generous, the machine may be shared and slow. */
const WAIT = 90_000;
const TASK_CHANGES = 'subscription { taskChanges { kind position removedIds tasks { id assignee } } }';
const has =
  (id: string, assignee: string | null = null) =>
  (m: TaskChange) =>
    m.taskChanges.tasks.some((t) => t.id === id && t.assignee === assignee);

async function submit(process: EddyProcess, commands: unknown[]) {
  const answer = await fetch(`${process.url}/api/commands`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...service },
    body: JSON.stringify({ commands }),
  });
  expect(answer.status).toBe(200);
  const { results } = (await answer.json()) as { results: { status: string; error?: unknown }[] };
  expect(results.map((r) => r.status)).toEqual(commands.map(() => 'accepted'));
}

describe('views shared by a projecting process and two API processes', () => {
  jest.setTimeout(600_000);

  const database = `eddy_shared_views_${randomUUID().slice(0, 8)}`;
  const admin = new Client({ connectionString: postgres.url });
  const dir = mkdtempSync(join(tmpdir(), 'eddy-shared-views-'));
  const subscriptions: SubscriptionRecorder<TaskChange>[] = [];
  const clients: ReturnType<typeof wsClient>[] = [];
  let projector: EddyProcess;
  let api1: EddyProcess;
  let api2: EddyProcess;
  const mongoDatabase = mongo.fresh();

  const settings = (name: string, projections: 'on' | 'off') => {
    const url = new URL(postgres.url);
    url.pathname = `/${database}`;
    return {
      EDDY_AUTH_MODE: 'dev',
      EDDY_EVENT_STORE: 'postgres',
      EDDY_POSTGRES_URL: url.toString(),
      EDDY_VIEW_STORE: 'mongodb',
      EDDY_MONGODB_URL: requireServer('mongo').url,
      EDDY_MONGODB_DATABASE: mongoDatabase,
      EDDY_ENGINE: 'none',
      EDDY_PROJECTIONS: projections,
      // Generous: a claim must not time out on a slow, shared machine.
      EDDY_READ_YOUR_WRITES_TIMEOUT_MS: '60000',
      EDDY_DATA_DIR: join(dir, `${name}-data`),
      EDDY_BPMN_DIR: join(dir, 'bpmn'),
    };
  };
  const subscribe = (process: EddyProcess, user: { id: string; groups: string[] }) => {
    const client = wsClient(process.url, user);
    clients.push(client);
    const recorder = new SubscriptionRecorder<TaskChange>(client, TASK_CHANGES);
    subscriptions.push(recorder);
    return recorder;
  };

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    projector = new EddyProcess('projector', settings('projector', 'on'));
    api1 = new EddyProcess('api-1', settings('api-1', 'off'));
    api2 = new EddyProcess('api-2', settings('api-2', 'off'));
    // The projector first: it creates the event store's tables.
    await projector.start();
    await Promise.all([api1.start(), api2.start()]);
  });

  afterAll(async () => {
    for (const s of subscriptions) s.dispose();
    await Promise.all(clients.map((c) => c.dispose()));
    await Promise.all([projector, api1, api2].map((p) => p?.stop()));
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves live lists, read-your-writes claims and every view across restarts of any process', async () => {
    const onApi1 = subscribe(api1, carl);
    const onApi2 = subscribe(api2, dora);
    await onApi1.next((m) => m.taskChanges.kind === 'SNAPSHOT', WAIT);
    await onApi2.next((m) => m.taskChanges.kind === 'SNAPSHOT', WAIT);

    // A task created through the command API reaches a live subscription on each API process.
    await submit(projector, [aCreateTaskCommand('c-1', 'task-1', { candidateGroups: ['claims'] })]);
    await onApi1.next(has('task-1'), WAIT);
    await onApi2.next(has('task-1'), WAIT);

    // A claim on one API process answers with its own change (read your writes) and reaches the
    // other's subscriber.
    const claimed = await gql<{ claimTask: { id: string; assignee: string } }>(
      api1.url,
      carl,
      'mutation($id: ID!) { claimTask(id: $id) { id assignee } }',
      { id: 'task-1' },
    );
    expect(claimed.errors).toBeUndefined();
    expect(claimed.data?.claimTask).toEqual({ id: 'task-1', assignee: 'carl' });
    await onApi2.next(has('task-1', 'carl'), WAIT);
    await onApi1.next(has('task-1', 'carl'), WAIT);

    // The API processes run no projections: their admin calls say so; the projector answers.
    const refused = await fetch(`${api1.url}/admin/projections`, {
      headers: { 'x-user': 'root', 'x-groups': 'admins' },
    });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { message: string }).message).toMatch(
      /^PROJECTION-020 .*EDDY_PROJECTIONS=off/,
    );

    // The projector restarts from its stored checkpoint; what came meanwhile reaches both lists.
    await projector.stop();
    await submit(api1, [aCreateTaskCommand('c-2', 'task-2', { candidateGroups: ['claims'] })]);
    const startsBefore = projector.log.filter((l) =>
      l.includes('PROJECTION-001 projection tasks starts'),
    ).length;
    await projector.start();
    const restartLine = projector.log.filter((l) => l.includes('PROJECTION-001 projection tasks starts'))[
      startsBefore
    ];
    expect(restartLine).toMatch(/starts at position [1-9]\d*/);
    await onApi1.next(has('task-2'), WAIT);
    await onApi2.next(has('task-2'), WAIT);

    // An API process restarts: its new subscription shows every view as it was. (Its old
    // subscriber leaves first: the restart is not about how a client sees its connection end.)
    onApi2.dispose();
    await clients[1].dispose();
    await api2.restart();
    const again = subscribe(api2, dora);
    const snapshot = await again.next((m) => m.taskChanges.kind === 'SNAPSHOT', WAIT);
    expect(snapshot.taskChanges.tasks.map((t) => [t.id, t.assignee]).sort()).toEqual([
      ['task-1', 'carl'],
      ['task-2', null],
    ]);

    // And the lists go on live on both API processes.
    await submit(api2, [aCreateTaskCommand('c-3', 'task-3', { candidateGroups: ['claims'] })]);
    await onApi1.next(has('task-3'), WAIT);
    await again.next(has('task-3'), WAIT);
    const tasks = await gql<{ tasks: { totalCount: number } }>(api2.url, dora, '{ tasks { totalCount } }');
    expect(tasks.data?.tasks.totalCount).toBe(3);
  });
});
