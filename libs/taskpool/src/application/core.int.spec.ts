import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
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

describe('commands on a corrupt event store file', () => {
  it('are rejected with EVENT_STORE_UNAVAILABLE once the store has met the corruption, never accepted', async () => {
    const corruptDir = mkdtempSync(join(tmpdir(), 'eddy-core-corrupt-'));
    const file = join(corruptDir, 'events.sqlite');
    const filler = openSqliteEventStore({ filename: file });
    for (let i = 0; i < 40; i++) {
      await filler.appendToStream(
        `filler-${i}`,
        Array.from({ length: 100 }, (_, j) => ({
          id: `filler-${i}-${j}`,
          type: 'Filled',
          schemaVersion: 1,
          data: { text: 'x'.repeat(1_000) },
          metadata: { commandId: `filler-${i}-${j}`, correlationId: 'k', timestamp: '2026-12-01T00:00:00Z' },
        })),
      );
    }
    await filler.close();
    const store = openSqliteEventStore({ filename: file });
    (store as unknown as { db: import('better-sqlite3').Database }).db.pragma('cache_size = 1');
    const moduleRef = await Test.createTestingModule({
      imports: [EventStoreModule.forStore(store), CoreModule.forRoot({ maxRetries: 3 })],
    }).compile();
    await moduleRef.init();
    const dispatcher = moduleRef.get<CommandDispatcher>(COMMAND_DISPATCHER);
    const offset = Math.floor(statSync(file).size / 2 / 4096) * 4096;
    const fd = openSync(file, 'r+');
    writeSync(fd, randomBytes(8 * 1024), 0, 8 * 1024, offset);
    closeSync(fd);

    // A projection's read of the log meets the damaged pages first.
    await expect(store.readAll()).rejects.toThrow(/EVENTSTORE-007/);
    const results = await Promise.all(
      ['a', 'b'].map((id) =>
        dispatcher.dispatch({
          ...command,
          data: { ...command.data, id: `corrupt-${id}` },
          metadata: { ...command.metadata, commandId: `corrupt-${id}` },
        } as CommandWithMetadata),
      ),
    );
    for (const result of results) {
      expect(result).toMatchObject({ status: 'rejected', error: { code: 'EVENT_STORE_UNAVAILABLE' } });
      expect(result.status === 'rejected' && result.error.message).toContain(file);
    }
    await moduleRef.close();
    rmSync(corruptDir, { recursive: true, force: true });
  });
});
