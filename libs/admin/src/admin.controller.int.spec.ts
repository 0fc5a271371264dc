import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { type INestApplication, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AuthModule } from '@eddy/auth';
import { taskStreamId } from '@eddy/contracts';
import { MemoryEventStore } from '@eddy/eventstore';
import { EventStoreModule } from '@eddy/eventstore/event-store.module';
import {
  ProjectionRunner,
  ProjectionsModule,
  projectionsReadinessCheck,
  VIEW_STORE,
  type ViewStore,
} from '@eddy/projections';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AdminModule } from './admin.module';

const created = (id: string) => ({
  id: randomUUID(),
  type: 'TaskCreated',
  schemaVersion: 1,
  data: {
    id,
    name: `Task ${id}`,
    taskDefinitionKey: 'approve',
    sourceReference: {
      type: 'process',
      instanceId: 'pi',
      definitionId: 'p:1',
      definitionKey: 'p',
      name: 'P',
      applicationName: 'shop',
    },
    description: null,
    formKey: null,
    priority: null,
    createTime: '2026-01-01T00:00:00.000Z',
    dueDate: null,
    followUpDate: null,
    assignee: null,
    owner: null,
    candidateUsers: [],
    candidateGroups: ['clerks'],
    businessKey: null,
    payload: {},
    correlations: [],
  },
  metadata: { commandId: randomUUID(), correlationId: 'c', timestamp: '2026-01-01T00:00:00.000Z' },
});

describe('admin API', () => {
  let app: INestApplication;
  let base: string;
  const events = new MemoryEventStore();
  const admin = { 'x-user': 'root', 'x-groups': 'admins' };

  beforeAll(async () => {
    for (let i = 0; i < 10; i++) await events.appendToStream(taskStreamId(`t${i}`), [created(`t${i}`)]);
    @Module({
      imports: [
        EventStoreModule.forStore(events),
        AuthModule.forRoot({
          mode: 'dev',
          jwt: { userClaim: 'sub', groupsClaim: 'groups' },
          adminGroups: ['admins'],
          commandGroups: [],
        }),
        ProjectionsModule.forRoot({ runner: { retry: { attempts: 1, initialDelayMs: 1, maxDelayMs: 1 } } }),
        AdminModule,
      ],
    })
    class TestModule {}
    const moduleRef = await Test.createTestingModule({ imports: [TestModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
    await app.get<ViewStore>(VIEW_STORE).waitForPosition(10, 5_000);
  });
  afterAll(async () => {
    await app.close();
  });

  const call = (method: string, path: string, headers: Record<string, string> = admin) =>
    fetch(`${base}${path}`, { method, headers });

  it('lists every projection with position, head, lag and rate', async () => {
    const response = await call('GET', '/admin/projections');
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      name: string;
      position: number;
      headPosition: number;
      lag: number;
      status: string;
    }[];
    expect(body.map((p) => p.name)).toEqual([
      'tasks',
      'data-entries',
      'process-definitions',
      'process-instances',
      'closed-tasks',
      'history',
      'saved-filters',
    ]);
    expect(body[0]).toMatchObject({ status: 'running', position: 10, headPosition: 10, lag: 0 });
    expect(body[0]).toHaveProperty('eventsPerSecond');
    const one = await call('GET', '/admin/projections/tasks');
    expect(((await one.json()) as { name: string }).name).toBe('tasks');
  });

  it('answers 401 without identity, 403 without the admin permission, 404 for an unknown projection', async () => {
    expect((await call('GET', '/admin/projections', {})).status).toBe(401);
    expect((await call('GET', '/admin/projections', { 'x-user': 'ann', 'x-groups': 'clerks' })).status).toBe(
      403,
    );
    expect((await call('GET', '/admin/projections/nope')).status).toBe(404);
    expect((await call('POST', '/admin/projections/nope/replay')).status).toBe(404);
    expect((await call('POST', '/admin/projections/nope/verify')).status).toBe(404);
  });

  it('replays with 202 and a replay id, verifies, and reports event store statistics', async () => {
    const replay = await call('POST', '/admin/projections/tasks/replay');
    expect(replay.status).toBe(202);
    const { replayId } = (await replay.json()) as { replayId: string };
    expect(replayId).toMatch(/[0-9a-f-]{36}/);
    const finished = await app.get(ProjectionRunner).replayFinished('tasks');
    expect(finished).toMatchObject({ replayId, status: 'completed', progress: 1 });
    const verify = await call('POST', '/admin/projections/tasks/verify');
    expect(verify.status).toBe(200);
    expect(await verify.json()).toEqual({ consistent: true, checked: 10, differences: [] });
    const stats = await call('GET', '/admin/event-store');
    expect(await stats.json()).toEqual({ headPosition: 10, streams: 10, events: 10 });
    const readiness = await projectionsReadinessCheck(app.get(ProjectionRunner)).check();
    expect(readiness.ready).toBe(true);
  });

  it('replays and verifies the saved-filters view like every other', async () => {
    const replay = await call('POST', '/admin/projections/saved-filters/replay');
    expect(replay.status).toBe(202);
    const { replayId } = (await replay.json()) as { replayId: string };
    expect(await app.get(ProjectionRunner).replayFinished('saved-filters')).toMatchObject({
      replayId,
      status: 'completed',
    });
    const verify = await call('POST', '/admin/projections/saved-filters/verify');
    expect(await verify.json()).toEqual({ consistent: true, checked: 0, differences: [] });
  });

  it('is usable from the command line, which prints tables and exits non-zero on failure', async () => {
    const cli = async (args: string[], env: Record<string, string> = {}) => {
      try {
        const { stdout } = await promisify(execFile)('npx', ['tsx', 'src/admin-cli.ts', ...args], {
          env: { ...process.env, EDDY_ADMIN_URL: base, EDDY_ADMIN_TOKEN: '', ...env },
        });
        return { code: 0, stdout };
      } catch (error) {
        const e = error as { code: number; stdout: string; stderr: string };
        return { code: e.code, stdout: e.stdout + e.stderr };
      }
    };
    const list = await cli(['projections']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/projection\s+status\s+position\s+head\s+lag/);
    expect(list.stdout).toMatch(/tasks\s+running\s+10\s+10\s+0/);
    const verify = await cli(['verify', 'tasks']);
    expect(verify).toMatchObject({ code: 0 });
    expect(verify.stdout).toContain('10 documents checked, consistent');
    const replay = await cli(['replay', 'tasks', '--wait']);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/completed 100%/);
    expect((await cli(['verify', 'nope'])).code).toBe(1);
    expect((await cli(['projections'], { EDDY_ADMIN_GROUPS: 'clerks' })).stdout).toContain('403');
    expect((await cli(['frobnicate'])).code).toBe(2);
    const typo = await cli(['projections'], { EDDY_ADMIN_TOKN: 'secret' });
    expect(typo).toMatchObject({
      code: 2,
      stdout: expect.stringMatching(/EDDY_ADMIN_TOKN is not a setting/),
    });
  });
});
