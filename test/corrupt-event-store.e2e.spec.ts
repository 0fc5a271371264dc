import type { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@eddy/testing/wait-for';
import { openSqliteEventStore, type SqliteEventStore } from '@eddy/eventstore';
import { aCreateTaskCommand } from '@eddy/testing';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config/eddy.config';
import { gql } from './helpers/graphql';
import { adminHeaders, get, post, serviceHeaders } from './helpers/http';

const createTask = (id: string) =>
  aCreateTaskCommand(`create-${id}`, id, {
    candidateGroups: ['claims'],
    payload: { notes: 'x'.repeat(1_000) },
  });

describe('a SQLite event store file damaged while the platform runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eddy-corrupt-e2e-'));
  const filename = join(dir, 'events.sqlite');
  let store: SqliteEventStore;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    store = openSqliteEventStore({ filename });
    app = await createApp(
      loadConfig({ EDDY_AUTH_MODE: 'dev', EDDY_ENGINE: 'none', EDDY_LOG_LEVEL: 'fatal', EDDY_DATA_DIR: dir }),
      { eventStore: store },
    );
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    // About 5 MiB of events, so that the middle of the file lies in their pages.
    for (let batch = 0; batch < 10; batch++) {
      const commands = Array.from({ length: 400 }, (_, i) => createTask(`t-${batch}-${i}`));
      const answer = await post<{ results: { status: string }[] }>(
        url,
        '/api/commands',
        { commands },
        serviceHeaders,
      );
      expect(answer.body.results?.every((r) => r.status === 'accepted')).toBe(true);
    }
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses commands, keeps readiness down and answers task queries with an error instead of a short count', async () => {
    // No page stays cached, so that reads meet what is on disk; then 8 KiB of garbage in the middle.
    (store as unknown as { db: import('better-sqlite3').Database }).db.pragma('cache_size = 1');
    const offset = Math.floor(statSync(filename).size / 2 / 4096) * 4096;
    const fd = openSync(filename, 'r+');
    writeSync(fd, randomBytes(8 * 1024), 0, 8 * 1024, offset);
    closeSync(fd);

    // An admin's verify reads the whole log and meets the damage.
    const verify = await post(url, '/admin/projections/tasks/verify', {}, adminHeaders);
    expect(verify.status).toBeGreaterThanOrEqual(500);

    const answer = await post<{ results: { status: string; error?: { code: string; message: string } }[] }>(
      url,
      '/api/commands',
      { commands: [createTask('after-1'), createTask('after-2')] },
      serviceHeaders,
    );
    expect(answer.status).toBe(200);
    for (const result of answer.body.results) {
      expect(result).toMatchObject({ status: 'rejected', error: { code: 'EVENT_STORE_UNAVAILABLE' } });
      expect(result.error?.message).toContain(filename);
    }

    // The projections' subscriptions meet the refusal and fail.
    await waitFor(
      async () => {
        const ready = await get<{ checks: { name: string; ready: boolean; detail?: unknown }[] }>(
          url,
          '/health/ready',
        );
        expect(ready.status).toBe(503);
        expect(JSON.stringify(ready.body)).toContain('EVENTSTORE-007');
        const tasks = await gql<{ tasks: { totalCount: number } }>(
          url,
          { id: 'carol', groups: ['claims'] },
          '{ tasks { totalCount } }',
        );
        expect(tasks.data?.tasks ?? null).toBeNull();
        expect(tasks.errors?.[0]).toMatchObject({ extensions: { code: 'UNAVAILABLE' } });
        expect(tasks.errors?.[0].message).toContain('tasks view is incomplete');
      },
      { timeout: 20_000, interval: 100 },
    );
  });
});
