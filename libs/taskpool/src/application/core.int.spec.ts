import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMAND_DISPATCHER, type CommandDispatcher, type CommandWithMetadata } from '@eddy/contracts';
import { openSqliteEventStore } from '@eddy/eventstore';
import { EventStoreModule } from '@eddy/eventstore/event-store.module';
import { CoreModule } from './core.module';

const dir = mkdtempSync(join(tmpdir(), 'eddy-core-'));
const filename = join(dir, 'events.sqlite');

async function openCore() {
  const store = openSqliteEventStore({ filename });
  const moduleRef = await Test.createTestingModule({
    imports: [EventStoreModule.forStore(store), CoreModule.forRoot({ maxRetries: 3 })],
  }).compile();
  await moduleRef.init();
  return { moduleRef, store, dispatcher: moduleRef.get<CommandDispatcher>(COMMAND_DISPATCHER) };
}

const command = {
  type: 'CreateTask',
  data: {
    id: 'restart-1',
    name: 'Check',
    taskDefinitionKey: 'check',
    sourceReference: {
      type: 'generic',
      instanceId: 'c-1',
      definitionId: 'd:1',
      definitionKey: 'd',
      name: 'D',
      applicationName: 'app',
    },
  },
  metadata: {
    commandId: 'create-restart-1',
    correlationId: 'c',
    userId: 'svc',
    timestamp: '2026-11-22T10:00:00Z',
  },
} as CommandWithMetadata;

describe('command ids across a restart (SQLite event store)', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers a command id accepted before the restart as a duplicate and appends nothing', async () => {
    const first = await openCore();
    expect((await first.dispatcher.dispatch(command)).status).toBe('accepted');
    await first.moduleRef.close();

    const second = await openCore();
    const again = await second.dispatcher.dispatch(command);
    expect(again).toMatchObject({
      status: 'duplicate',
      streamId: 'task-restart-1',
      revision: 0,
      position: 1,
    });
    expect(await second.store.headPosition()).toBe(1);
    await second.moduleRef.close();
  });
});
