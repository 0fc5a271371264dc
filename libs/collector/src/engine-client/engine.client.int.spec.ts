import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryEventStore, type EventStore } from '@eddy/eventstore';
import { EngineError } from '../engine/engine.errors';
import type { ProcessEngine } from '../engine/engine.port';
import { MemoryCheckpointStore, SqliteCheckpointStore, type CheckpointStore } from './checkpoint.store';
import { EngineClient } from './engine.client';

let eventSeq = 0;
async function append(store: EventStore, taskId: string, type: string, data: Record<string, unknown>) {
  await store.appendToStream(`task-${taskId}`, [
    {
      id: `event-${++eventSeq}`,
      type,
      schemaVersion: 1,
      data: { id: taskId, ...data },
      metadata: { commandId: `c-${eventSeq}`, correlationId: 'test', timestamp: '2026-03-01T10:00:00Z' },
    },
  ]);
}

const created = (application: string) => ({ sourceReference: { applicationName: application } });

function fakeEngine(overrides: Partial<ProcessEngine> = {}) {
  return {
    assignTask: vi.fn(async () => undefined),
    completeTask: vi.fn(async () => undefined),
    setTaskFollowUpDate: vi.fn(async () => undefined),
    ...overrides,
  } as unknown as ProcessEngine & {
    assignTask: ReturnType<typeof vi.fn>;
    completeTask: ReturnType<typeof vi.fn>;
    setTaskFollowUpDate: ReturnType<typeof vi.fn>;
  };
}

describe('EngineClient', () => {
  const clients: EngineClient[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.stop();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function start(
    store: EventStore,
    engine: ProcessEngine,
    checkpoints: CheckpointStore = new MemoryCheckpointStore(),
  ) {
    const client = new EngineClient(store, engine, checkpoints, {
      applicationName: 'eddy',
      maxAttempts: 3,
      initialDelayMs: 1,
      maxDelayMs: 2,
    });
    clients.push(client);
    return client.start().then(() => client);
  }

  it('tells the engine about each interaction of its own application, and of no other', async () => {
    const store = new MemoryEventStore();
    const engine = fakeEngine();
    await append(store, 't1', 'TaskCreated', created('eddy'));
    await append(store, 't2', 'TaskCreated', created('other-app'));
    await start(store, engine);

    await append(store, 't2', 'TaskClaimed', { assignee: 'ann' });
    await append(store, 't1', 'TaskClaimed', { assignee: 'ann' });
    await append(store, 't1', 'TaskUnclaimed', { previousAssignee: 'ann' });
    await append(store, 't1', 'TaskDeferred', { followUpDate: '2030-01-01T00:00:00Z' });
    await append(store, 't1', 'TaskUndeferred', {});
    await append(store, 't1', 'TaskToBeCompleted', { assignee: 'ann', variables: { ok: true } });

    await vi.waitFor(() => expect(engine.completeTask).toHaveBeenCalledWith('t1', { ok: true }));
    expect(engine.assignTask.mock.calls).toEqual([
      ['t1', 'ann'],
      ['t1', null],
    ]);
    expect(engine.setTaskFollowUpDate.mock.calls).toEqual([
      ['t1', '2030-01-01T00:00:00Z'],
      ['t1', null],
    ]);
  });

  it('retries a failing call a bounded number of times, then gives up and goes on', async () => {
    const store = new MemoryEventStore();
    const engine = fakeEngine({
      completeTask: vi.fn(async () => {
        throw new Error('engine busy');
      }),
    });
    await append(store, 't1', 'TaskCreated', created('eddy'));
    await append(store, 't1', 'TaskToBeCompleted', { assignee: 'ann', variables: {} });
    await append(store, 't2', 'TaskCreated', created('eddy'));
    await append(store, 't2', 'TaskClaimed', { assignee: 'bob' });
    await start(store, engine);

    await vi.waitFor(() => expect(engine.assignTask).toHaveBeenCalledWith('t2', 'bob'));
    expect(engine.completeTask).toHaveBeenCalledTimes(3);
  });

  it('skips a task the engine no longer has without retrying', async () => {
    const store = new MemoryEventStore();
    const engine = fakeEngine({
      completeTask: vi.fn(async () => {
        throw new EngineError('UNKNOWN_TASK', 'taskId: no open task t1');
      }),
    });
    await append(store, 't1', 'TaskCreated', created('eddy'));
    await append(store, 't1', 'TaskToBeCompleted', { assignee: 'ann', variables: {} });
    await append(store, 't1', 'TaskClaimed', { assignee: 'bob' });
    await start(store, engine);

    await vi.waitFor(() => expect(engine.assignTask).toHaveBeenCalledWith('t1', 'bob'));
    expect(engine.completeTask).toHaveBeenCalledTimes(1);
  });

  it('goes on after a restart from its durable checkpoint, finding the application of older tasks in their stream', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eddy-engine-client-'));
    dirs.push(dir);
    const store = new MemoryEventStore();
    const engine = fakeEngine();
    await append(store, 't1', 'TaskCreated', created('eddy'));
    await append(store, 't1', 'TaskClaimed', { assignee: 'ann' });
    const first = await start(store, engine, SqliteCheckpointStore.inFolder(dir));
    await vi.waitFor(() => expect(engine.assignTask).toHaveBeenCalledTimes(1));
    const probe = SqliteCheckpointStore.inFolder(dir);
    await vi.waitFor(async () => expect(await probe.load('engine-client:eddy')).toBe(2));
    await probe.close();
    await first.stop();

    await append(store, 't1', 'TaskToBeCompleted', { assignee: 'ann', variables: {} });
    const again = fakeEngine();
    await start(store, again, SqliteCheckpointStore.inFolder(dir));
    await vi.waitFor(() => expect(again.completeTask).toHaveBeenCalledWith('t1', {}));
    expect(again.assignTask).not.toHaveBeenCalled();
  });
});
