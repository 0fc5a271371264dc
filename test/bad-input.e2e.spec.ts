import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryEventStore } from '@eddy/eventstore';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config/eddy.config';
import { post, serviceHeaders } from './helpers/http';

/** Attacks on the command API with input that once got through: each must be refused or kept apart. */

interface Result {
  commandId: string | null;
  status: string;
  streamId: string | null;
  error?: { code: string; message: string; path?: string };
}

const reference = (applicationName: string, instanceId: string) => ({
  type: 'process',
  instanceId,
  definitionId: 'claims:1',
  definitionKey: 'claims',
  name: 'Claims',
  applicationName,
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
      loadConfig({ EDDY_AUTH_MODE: 'dev', EDDY_ENGINE: 'none', EDDY_LOG_LEVEL: 'fatal' }),
      {
        eventStore: store,
      },
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
});
