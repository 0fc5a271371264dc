import { requireServer } from '@eddy/testing';
import { mongoTestDatabases } from '@eddy/testing/mongo-test-databases';
import { aCreateTaskCommand } from '@eddy/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

/**
 * The roles as separate processes (src/main.ts, as an operator starts them) on the real PostgreSQL
 * and MongoDB-compatible servers: `collector,core`, `projector` and `api`, sharing the event store
 * and the views.
 */
const root = resolve(__dirname, '../..');
const postgres = requireServer('postgres');
const { fresh } = mongoTestDatabases('eddy_roles');

interface EddyProcess {
  url: string;
  child: ChildProcess;
  log: string[];
}

function startEddy(env: Record<string, string>): Promise<EddyProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      EDDY_AUTH_MODE: 'dev',
      EDDY_HTTP_HOST: '127.0.0.1',
      EDDY_HTTP_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => log.push(line));
  return new Promise((resolveProcess, reject) => {
    child.once('exit', (code) =>
      reject(new Error(`EDDY_ROLES=${env.EDDY_ROLES} exited with ${code}:\n${log.join('\n')}`)),
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      log.push(line);
      const match = /MAIN-000 Eddy is listening on (http:\/\/[^\s:]+:\d+)/.exec(line);
      if (match) resolveProcess({ url: match[1].replace('localhost', '127.0.0.1'), child, log });
    });
  });
}

async function stop(process: EddyProcess | undefined): Promise<void> {
  if (!process || process.child.exitCode !== null) return;
  const exited = new Promise((r) => process.child.once('exit', r));
  process.child.kill('SIGTERM');
  await exited;
}

/** Asks until `ready` holds of the answer (the views are written by another process), at most 90 s. */
async function eventually<T>(ask: () => Promise<T>, ready: (answer: T) => boolean): Promise<T> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const answer = await ask();
    if (ready(answer) || Date.now() > deadline) return answer;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const clerk = { 'content-type': 'application/json', 'x-user': 'carol', 'x-groups': 'clerks' };
const service = {
  'content-type': 'application/json',
  'x-user': 'billing-app',
  'x-groups': 'process-applications',
};

async function graphql(url: string, query: string) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: clerk,
    body: JSON.stringify({ query }),
  });
  return {
    status: response.status,
    body: (await response.json().catch(() => null)) as {
      data?: Record<string, unknown>;
      errors?: { message: string; extensions: Record<string, unknown> }[];
    } | null,
  };
}

const status = async (url: string, path: string, method = 'GET') =>
  (await fetch(`${url}${path}`, { method, headers: service, ...(method === 'POST' ? { body: '{}' } : {}) }))
    .status;

describe('roles as processes on the real servers', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'eddy-roles-'));
  const database = `eddy_roles_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = new Client({ connectionString: postgres.url });
  let collector: EddyProcess | undefined;
  let projector: EddyProcess | undefined;
  let api: EddyProcess | undefined;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(postgres.url);
    url.pathname = `/${database}`;
    const shared = {
      EDDY_EVENT_STORE: 'postgres',
      EDDY_POSTGRES_URL: url.toString(),
      EDDY_VIEW_STORE: 'mongodb',
      EDDY_MONGODB_URL: requireServer('mongo').url,
      EDDY_MONGODB_DATABASE: fresh(),
      EDDY_BPMN_DIR: join(root, 'bpmn'),
    };
    collector = await startEddy({
      ...shared,
      EDDY_ROLES: 'collector,core',
      EDDY_DATA_DIR: join(dataDir, 'c'),
    });
    [projector, api] = await Promise.all([
      startEddy({ ...shared, EDDY_ROLES: 'projector', EDDY_DATA_DIR: join(dataDir, 'p') }),
      startEddy({ ...shared, EDDY_ROLES: 'api', EDDY_DATA_DIR: join(dataDir, 'a') }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([stop(api), stop(projector), stop(collector)]);
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a core takes commands, a projector writes the views, an api serves them without an engine', async () => {
    const answer = await fetch(`${collector!.url}/api/commands`, {
      method: 'POST',
      headers: service,
      body: JSON.stringify({
        commands: [aCreateTaskCommand('roles-c-1', 'roles-t-1', { candidateGroups: ['clerks'] })],
      }),
    });
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { results: { status: string }[] }).results[0].status).toBe('accepted');

    // The models the collector deployed through its core, and the task, as the projector wrote them.
    const seen = await eventually(
      () => graphql(api!.url, '{ tasks { nodes { id } } startableProcesses { key } }'),
      (a) =>
        JSON.stringify(a.body?.data?.tasks).includes('roles-t-1') &&
        JSON.stringify(a.body?.data?.startableProcesses).includes('invoice-approval'),
    );
    expect(seen.body?.data?.tasks).toEqual({ nodes: [{ id: 'roles-t-1' }] });
    expect(seen.body?.data?.startableProcesses).toEqual(
      expect.arrayContaining([{ key: 'invoice-approval' }]),
    );

    const started = await graphql(
      api!.url,
      'mutation { startProcess(processDefinitionKey: "invoice-approval") { processInstanceId } }',
    );
    expect(started.body?.errors?.[0].extensions.code).toBe('UNAVAILABLE');
    const claimed = await graphql(api!.url, 'mutation { claimTask(id: "roles-t-1") { assignee } }');
    expect(claimed.body?.errors?.[0].extensions).toMatchObject({
      code: 'UNAVAILABLE',
      reason: 'CORE_UNAVAILABLE',
    });
    expect(await status(api!.url, '/api/commands', 'POST')).toBe(404);

    // Each process serves only what its roles bring.
    expect((await graphql(collector!.url, '{ me { id } }')).status).toBe(404);
    expect((await graphql(projector!.url, '{ me { id } }')).status).toBe(404);
    expect(await status(projector!.url, '/api/commands', 'POST')).toBe(404);
    expect(await status(projector!.url, '/admin/projections')).toBe(404);
    expect(await status(projector!.url, '/health/ready')).toBe(200);
    const metrics = await (await fetch(`${projector!.url}/metrics`)).text();
    expect(metrics).toContain('eddy_projection_position{projection="tasks"}');
    expect(collector!.log.join('\n')).toMatch(/MAIN-000 .*\(roles collector, core\)/);
  });
});
