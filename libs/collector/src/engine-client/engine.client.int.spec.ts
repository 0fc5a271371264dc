import { copyFileSync, mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { waitFor } from '@eddy/testing/wait-for';
import {
  CheckpointMismatchError,
  type CheckpointReset,
  MemoryEventStore,
  openSqliteEventStore,
  type EventStore,
} from '@eddy/eventstore';
import Database from 'better-sqlite3';
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
    assignTask: jest.fn(async () => undefined),
    completeTask: jest.fn(async () => undefined),
    setTaskFollowUpDate: jest.fn(async () => undefined),
    updateTask: jest.fn(async () => undefined),
    cancelProcessInstance: jest.fn(async () => undefined),
    ...overrides,
  } as unknown as ProcessEngine & {
    assignTask: ReturnType<typeof jest.fn>;
    completeTask: ReturnType<typeof jest.fn>;
    setTaskFollowUpDate: ReturnType<typeof jest.fn>;
    updateTask: ReturnType<typeof jest.fn>;
    cancelProcessInstance: ReturnType<typeof jest.fn>;
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
    checkpointReset?: CheckpointReset,
  ) {
    const client = new EngineClient(store, engine, checkpoints, {
      applicationName: 'eddy',
      maxAttempts: 3,
      initialDelayMs: 1,
      maxDelayMs: 2,
      checkpointReset,
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

    await waitFor(() => expect(engine.completeTask).toHaveBeenCalledWith('t1', { ok: true }));
    expect(engine.assignTask.mock.calls).toEqual([
      ['t1', 'ann'],
      ['t1', null],
    ]);
    expect(engine.setTaskFollowUpDate.mock.calls).toEqual([
      ['t1', '2030-01-01T00:00:00Z'],
      ['t1', null],
    ]);
  });

  it('assigns a delegated task and updates an edited one', async () => {
    const store = new MemoryEventStore();
    const engine = fakeEngine();
    await append(store, 't1', 'TaskCreated', created('eddy'));
    await start(store, engine);

    await append(store, 't1', 'TaskDelegated', { assignee: 'bob', previousAssignee: null });
    await append(store, 't1', 'TaskEdited', { changes: { priority: 80, dueDate: null } });

    await waitFor(() => expect(engine.updateTask).toHaveBeenCalled());
    expect(engine.assignTask.mock.calls).toEqual([['t1', 'bob']]);
    expect(engine.updateTask.mock.calls).toEqual([['t1', { priority: 80, dueDate: null }]]);
  });

  it('cancels the instances of its own application whose cancellation a user requested', async () => {
    const store = new MemoryEventStore();
    const engine = fakeEngine({
      cancelProcessInstance: jest.fn(async (id: string) => {
        if (id === 'gone')
          throw new EngineError('UNKNOWN_PROCESS_INSTANCE', `instanceId: no running instance ${id}`);
      }),
    });
    await start(store, engine);
    const request = (application: string, instanceId: string) =>
      store.appendToStream(`process-instance-${application}/${instanceId}`, [
        {
          id: `event-${++eventSeq}`,
          type: 'ProcessInstanceCancellationRequested',
          schemaVersion: 1,
          data: {
            sourceReference: { applicationName: application, instanceId },
            businessKey: null,
            time: '2026-03-01T10:00:00Z',
            requestedBy: 'ann',
            reason: null,
          },
          metadata: { commandId: `c-${eventSeq}`, correlationId: 'test', timestamp: '2026-03-01T10:00:00Z' },
        },
      ]);
    await request('eddy', 'gone');
    await request('other-app', 'pi-2');
    await request('eddy', 'pi-1');

    await waitFor(() => expect(engine.cancelProcessInstance).toHaveBeenCalledWith('pi-1'));
    expect(engine.cancelProcessInstance.mock.calls).toEqual([['gone'], ['pi-1']]);
  });

  it('retries a failing call a bounded number of times, then gives up and goes on', async () => {
    const store = new MemoryEventStore();
    const engine = fakeEngine({
      completeTask: jest.fn(async () => {
        throw new Error('engine busy');
      }),
    });
    await append(store, 't1', 'TaskCreated', created('eddy'));
    await append(store, 't1', 'TaskToBeCompleted', { assignee: 'ann', variables: {} });
    await append(store, 't2', 'TaskCreated', created('eddy'));
    await append(store, 't2', 'TaskClaimed', { assignee: 'bob' });
    await start(store, engine);

    await waitFor(() => expect(engine.assignTask).toHaveBeenCalledWith('t2', 'bob'));
    expect(engine.completeTask).toHaveBeenCalledTimes(3);
  });

  it('skips a task the engine no longer has without retrying', async () => {
    const store = new MemoryEventStore();
    const engine = fakeEngine({
      completeTask: jest.fn(async () => {
        throw new EngineError('UNKNOWN_TASK', 'taskId: no open task t1');
      }),
    });
    await append(store, 't1', 'TaskCreated', created('eddy'));
    await append(store, 't1', 'TaskToBeCompleted', { assignee: 'ann', variables: {} });
    await append(store, 't1', 'TaskClaimed', { assignee: 'bob' });
    await start(store, engine);

    await waitFor(() => expect(engine.assignTask).toHaveBeenCalledWith('t1', 'bob'));
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
    await waitFor(() => expect(engine.assignTask).toHaveBeenCalledTimes(1));
    const probe = SqliteCheckpointStore.inFolder(dir);
    const identity = await store.identity();
    await waitFor(async () =>
      expect(await probe.load('engine-client:eddy')).toEqual({ position: 2, storeIdentity: identity }),
    );
    await probe.close();
    await first.stop();

    await append(store, 't1', 'TaskToBeCompleted', { assignee: 'ann', variables: {} });
    const again = fakeEngine();
    await start(store, again, SqliteCheckpointStore.inFolder(dir));
    await waitFor(() => expect(again.completeTask).toHaveBeenCalledWith('t1', {}));
    expect(again.assignTask).not.toHaveBeenCalled();
  });

  describe('a checkpoint that does not belong to the event store', () => {
    const stores: EventStore[] = [];
    afterEach(async () => {
      for (const store of stores.splice(0)) await store.close().catch(() => undefined);
    });

    /**
     * A data folder whose SQLite event store the client has followed to its head (position 3); with
     * `backup`, a copy of the store at position 1 is kept as `backup.sqlite`.
     */
    async function followedFolder({ backup = false } = {}) {
      const dir = mkdtempSync(join(tmpdir(), 'eddy-engine-client-'));
      dirs.push(dir);
      const filename = join(dir, 'events.sqlite');
      let store = openSqliteEventStore({ filename });
      await append(store, 't1', 'TaskCreated', created('eddy'));
      if (backup) {
        await store.close();
        copyFileSync(filename, join(dir, 'backup.sqlite'));
        store = openSqliteEventStore({ filename });
      }
      await append(store, 't1', 'TaskClaimed', { assignee: 'ann' });
      await append(store, 't1', 'TaskUnclaimed', { previousAssignee: 'ann' });
      const engine = fakeEngine();
      const client = await start(store, engine, SqliteCheckpointStore.inFolder(dir));
      await waitFor(() => expect(engine.assignTask).toHaveBeenCalledTimes(2));
      await client.stop();
      clients.splice(clients.indexOf(client), 1);
      await store.close();
      return { dir, filename };
    }

    const reopen = (filename: string) => {
      const store = openSqliteEventStore({ filename });
      stores.push(store);
      return store;
    };

    /** The folder of {@link followedFolder} after `truncate -s 0 events.sqlite`, with two new events. */
    async function emptiedStore() {
      const { dir, filename } = await followedFolder();
      truncateSync(filename, 0);
      const store = reopen(filename);
      await append(store, 't2', 'TaskCreated', created('eddy'));
      await append(store, 't2', 'TaskClaimed', { assignee: 'bob' });
      return { dir, store };
    }

    it('stops the start when the store was emptied, naming both positions, and carries nothing to the engine', async () => {
      const { dir, store } = await emptiedStore();
      const engine = fakeEngine();
      const error = await start(store, engine, SqliteCheckpointStore.inFolder(dir)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CheckpointMismatchError);
      expect((error as Error).message).toMatch(
        /^CHECKPOINT-001 engine-client:eddy: the checkpoint at position 3 was taken on event store \S+, but this event store is \S+ \(head position 2\).*EDDY_CHECKPOINT_RESET=head/,
      );
      expect(engine.assignTask).not.toHaveBeenCalled();
    });

    it('stops the start when an older back-up of the store was put back (checkpoint beyond the head)', async () => {
      const { dir, filename } = await followedFolder({ backup: true });
      copyFileSync(join(dir, 'backup.sqlite'), filename);

      const restored = reopen(filename);
      await expect(start(restored, fakeEngine(), SqliteCheckpointStore.inFolder(dir))).rejects.toThrow(
        /CHECKPOINT-001 engine-client:eddy: the checkpoint at position 3 lies beyond the head position 1 of event store/,
      );
    });

    it('goes on from the head of the new store with EDDY_CHECKPOINT_RESET=head, and carries what follows', async () => {
      const { dir, store } = await emptiedStore();
      const engine = fakeEngine();
      const checkpoints = SqliteCheckpointStore.inFolder(dir);
      await start(store, engine, checkpoints, 'head');
      expect(await checkpoints.load('engine-client:eddy')).toEqual({
        position: 2,
        storeIdentity: await store.identity(),
      });
      await append(store, 't2', 'TaskToBeCompleted', { assignee: 'bob', variables: { ok: true } });
      await waitFor(() => expect(engine.completeTask).toHaveBeenCalledWith('t2', { ok: true }));
      expect(engine.assignTask).not.toHaveBeenCalled();
    });

    it('deals with the new store from its first event with EDDY_CHECKPOINT_RESET=start', async () => {
      const { dir, store } = await emptiedStore();
      const engine = fakeEngine();
      await start(store, engine, SqliteCheckpointStore.inFolder(dir), 'start');
      await waitFor(() => expect(engine.assignTask).toHaveBeenCalledWith('t2', 'bob'));
    });

    it('adopts a checkpoint kept before checkpoints carried their store, when it lies within the store', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'eddy-engine-client-'));
      dirs.push(dir);
      const old = new Database(join(dir, 'engine-client.sqlite'));
      old.exec('CREATE TABLE checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL)');
      old.prepare("INSERT INTO checkpoints VALUES ('engine-client:eddy', 2)").run();
      old.close();
      const store = reopen(join(dir, 'events.sqlite'));
      await append(store, 't1', 'TaskCreated', created('eddy'));
      await append(store, 't1', 'TaskClaimed', { assignee: 'ann' });
      await append(store, 't1', 'TaskUnclaimed', { previousAssignee: 'ann' });
      const engine = fakeEngine();
      const checkpoints = SqliteCheckpointStore.inFolder(dir);
      await start(store, engine, checkpoints);
      await waitFor(() => expect(engine.assignTask).toHaveBeenCalledWith('t1', null));
      expect(engine.assignTask).toHaveBeenCalledTimes(1);
      expect(await checkpoints.load('engine-client:eddy')).toMatchObject({
        storeIdentity: await store.identity(),
      });
    });
  });
});
