import { aCreateTaskCommand } from '@eddy/testing/command.fixtures';
import { mongoTestDatabases } from '@eddy/testing/mongo-test-databases';
import { requireServer } from '@eddy/testing/servers';
import { waitFor } from '@eddy/testing/wait-for';
import { MongoClient } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { gql } from './helpers/graphql';
import { EddyProcess } from './support/eddy-process';

// Replay in the distributed layout, as separate processes on PostgreSQL, Kafka and the
// MongoDB-compatible server: `core,relay` takes commands and publishes the event store to the
// event topic, `projector` writes the views from the topic, two `api` replicas serve them. The
// admin API of an api replica rebuilds a view from the event store while commands flow.
const mongo = mongoTestDatabases('eddy_dist_replay');
const postgres = requireServer('postgres');
const kafka = requireServer('kafka');
const clerk = { id: 'carl', groups: ['claims'] };
const service = {
  'content-type': 'application/json',
  'x-user': 'claims-app',
  'x-groups': 'process-applications',
};
const root = { 'content-type': 'application/json', 'x-user': 'root', 'x-groups': 'admins' };
/** Generous: the machine is shared and slow. */
const WAIT = { timeout: 120_000, interval: 250 };

async function submit(process: EddyProcess, commands: unknown[]): Promise<void> {
  const answer = await fetch(`${process.url}/api/commands`, {
    method: 'POST',
    headers: service,
    body: JSON.stringify({ commands }),
  });
  expect(answer.status).toBe(200);
  const { results } = (await answer.json()) as { results: { status: string }[] };
  expect(results.map((r) => r.status)).toEqual(commands.map(() => 'accepted'));
}

async function taskCount(process: EddyProcess): Promise<number> {
  const answer = await gql<{ tasks: { totalCount: number } }>(process.url, clerk, '{ tasks { totalCount } }');
  expect(answer.errors).toBeUndefined();
  return answer.data!.tasks.totalCount;
}

describe('replay of a view in the distributed layout', () => {
  jest.setTimeout(600_000);

  const id = randomUUID().slice(0, 8);
  const database = `eddy_dist_replay_${id}`;
  const admin = new Client({ connectionString: postgres.url });
  const dir = mkdtempSync(join(tmpdir(), 'eddy-dist-replay-'));
  const mongoDatabase = mongo.fresh();
  const views = new MongoClient(requireServer('mongo').url);
  let core: EddyProcess;
  let projector: EddyProcess;
  let api1: EddyProcess;
  let api2: EddyProcess;

  const settings = (name: string, roles: string) => {
    const url = new URL(postgres.url);
    url.pathname = `/${database}`;
    return {
      EDDY_AUTH_MODE: 'dev',
      EDDY_ROLES: roles,
      EDDY_EVENT_STORE: 'postgres',
      EDDY_POSTGRES_URL: url.toString(),
      EDDY_VIEW_STORE: 'mongodb',
      EDDY_MONGODB_URL: requireServer('mongo').url,
      EDDY_MONGODB_DATABASE: mongoDatabase,
      EDDY_KAFKA_BROKERS: kafka.brokers.join(','),
      EDDY_KAFKA_EVENTS_TOPIC: `eddy.events.replay-${id}`,
      EDDY_KAFKA_PROJECTOR_GROUP: `eddy-projectors-replay-${id}`,
      EDDY_ENGINE: 'none',
      EDDY_READ_YOUR_WRITES_TIMEOUT_MS: '60000',
      EDDY_DATA_DIR: join(dir, `${name}-data`),
      EDDY_BPMN_DIR: join(dir, 'bpmn'),
    };
  };

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await views.connect();
    // The core first: it creates the event store's tables.
    core = await new EddyProcess('core', settings('core', 'core,relay')).start();
    projector = new EddyProcess('projector', settings('projector', 'projector'));
    api1 = new EddyProcess('api-1', settings('api-1', 'api'));
    api2 = new EddyProcess('api-2', settings('api-2', 'api'));
    await Promise.all([projector.start(), api1.start(), api2.start()]);
  });

  afterAll(async () => {
    await Promise.all([api1?.stop(), api2?.stop(), projector?.stop()]);
    await core?.stop();
    await views.close();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rebuilds from the event store while commands flow, switches every replica, loses nothing at the seam', async () => {
    const created: string[] = [];
    const create = async (count: number) => {
      const batch = Array.from({ length: count }, () => `task-${created.length}-${randomUUID().slice(0, 6)}`);
      created.push(...batch);
      await submit(
        core,
        batch.map((task) => aCreateTaskCommand(`c-${task}`, task, { candidateGroups: ['claims'] })),
      );
    };
    for (let i = 0; i < 10; i++) await create(50);
    await waitFor(async () => expect(await taskCount(api1)).toBe(created.length), WAIT);
    const pointer = async () =>
      (
        await views
          .db(mongoDatabase)
          .collection<{ _id: string; collection: string }>('view_pointers')
          .findOne({ _id: 'tasks' })
      )?.collection;
    const before = await pointer();

    // Commands keep coming while the replay runs and switches.
    let flowing = true;
    const flow = (async () => {
      while (flowing) await create(5);
    })();
    const started = await fetch(`${api1.url}/admin/projections/tasks/replay`, {
      method: 'POST',
      headers: root,
      body: '{}',
    });
    expect(started.status).toBe(202);
    const { replayId } = (await started.json()) as { replayId: string };
    const createdWhenStarted = created.length;
    const finished = await waitFor(async () => {
      const status = (await (
        await fetch(`${api1.url}/admin/projections/tasks`, { headers: root })
      ).json()) as {
        replay?: { replayId: string; status: string; error?: string };
      };
      expect(status.replay?.replayId).toBe(replayId);
      expect(status.replay?.status).not.toBe('running');
      return status.replay!;
    }, WAIT);
    expect(finished).toEqual(expect.objectContaining({ status: 'completed' }));
    // A few more after the switch, then the flow stops.
    const createdWhenSwitched = created.length;
    await create(5);
    flowing = false;
    await flow;
    expect(createdWhenSwitched).toBeGreaterThan(createdWhenStarted);

    // The pointer names the fresh copy; the copy it replaced is gone.
    const after = await pointer();
    expect(after).toMatch(/^tasks\.copy-[0-9a-f]{8}$/);
    expect(after).not.toBe(before);
    // Every replica answers from the new copy, with every accepted command's task, none doubled.
    for (const api of [api1, api2]) {
      await waitFor(async () => expect(await taskCount(api)).toBe(created.length), WAIT);
    }
    const live = await views.db(mongoDatabase).collection(after!).countDocuments({ _r: false });
    expect(live).toBe(created.length);

    // Verify on the other replica finds the live copy equal to a fresh rebuild.
    const verified = await fetch(`${api2.url}/admin/projections/tasks/verify`, {
      method: 'POST',
      headers: root,
      body: '{}',
    });
    expect(verified.status).toBe(200);
    expect(await verified.json()).toEqual(
      expect.objectContaining({ consistent: true, checked: created.length, differences: [] }),
    );
    // Nothing the projector could not write was skipped: it went on past the switch.
    expect(projector.log.some((line) => line.includes('VIEWSTORE-012 view tasks: follows the switch'))).toBe(
      true,
    );
  });
});
