import { taskStreamId } from '@eddy/contracts';
import { MemoryEventStore } from '@eddy/eventstore';
import {
  MongoViewStore,
  ProjectionRunner,
  tasksProjection,
  type TaskView,
  type Viewer,
} from '@eddy/projections';
import { eventDraft, taskCreated } from '@eddy/projections/projection.fixtures.spec';
import { mongoTestDatabases } from '@eddy/testing/mongo-test-databases';
import { afterEach, describe, expect, it } from '@jest/globals';
import { resolveTasklistOptions } from '../tasklist.options';
import type { LiveList, LiveListMessage } from './live-list';
import { LiveListsService } from './live-lists.service';

// A projecting process and an API process that does not project, on one MongoDB database: the API
// process's live lists through a lost change stream and through a switch to a rebuilt copy.
const { client, fresh } = mongoTestDatabases('eddy_live');
const clerk: Viewer = { userId: 'carl', groups: ['clerks'] };

/** Reads a live list in the background and keeps what its subscriber would show. */
class Subscriber {
  readonly messages: LiveListMessage<TaskView>[] = [];
  readonly shown = new Map<string, TaskView>();
  /** UPSERTED messages that repeated what the subscriber already showed. */
  doubles = 0;
  private waiters: (() => void)[] = [];
  ended: Error | undefined;

  constructor(private readonly list: LiveList<TaskView>) {
    void this.read();
  }

  private async read(): Promise<void> {
    for await (const message of this.list) {
      if (message instanceof Error) {
        this.ended = message;
        break;
      }
      this.messages.push(message);
      if (message.kind === 'SNAPSHOT') for (const t of message.items) this.shown.set(t.id, t);
      if (message.kind === 'UPSERTED') {
        for (const t of message.items) {
          if (JSON.stringify(this.shown.get(t.id)) === JSON.stringify(t)) this.doubles++;
          this.shown.set(t.id, t);
        }
      }
      for (const id of message.removedIds) this.shown.delete(id);
      for (const wake of this.waiters.splice(0)) wake();
    }
  }

  /** Resolves once the shown list satisfies `condition` (after any message). */
  async until(condition: (shown: Map<string, TaskView>) => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (!condition(this.shown)) {
      if (this.ended) throw this.ended;
      if (Date.now() > deadline)
        throw new Error(`${what}: not reached; messages ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 1_000).unref();
      });
    }
  }

  close(): void {
    this.list.close();
  }
}

describe('live lists of an API process over MongoDB views', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  const processes = async () => {
    const database = fresh();
    const events = new MemoryEventStore();
    const projector = await MongoViewStore.open({ client, database });
    const api = await MongoViewStore.open({ client, database });
    const runner = new ProjectionRunner(events, projector, [tasksProjection], { batchSize: 10 });
    const lists = new LiveListsService(api, resolveTasklistOptions({ snapshotPageSize: 3 }));
    cleanup.push(
      () => events.close(),
      () => projector.close(),
      () => api.close(),
      () => runner.stop(),
      () => lists.onModuleDestroy(),
    );
    const append = async (id: string, type: string, data: object) =>
      (await events.appendToStream(taskStreamId(id), [eventDraft(type, data)])).position;
    const create = (id: string) => append(id, 'TaskCreated', taskCreated(id).data);
    return { database, events, projector, api, runner, lists, append, create };
  };

  it('re-reads the snapshot when the change stream is lost and sends only the differences', async () => {
    const { api, runner, lists, append, create } = await processes();
    for (let i = 1; i <= 5; i++) await create(`t${i}`);
    await runner.start();
    await api.waitForPosition(await create('t6'), 30_000, ['tasks']);
    const subscriber = new Subscriber(await lists.tasks(clerk, null));
    cleanup.push(() => subscriber.close());
    await subscriber.until((shown) => shown.size === 6, 'the snapshot');

    // The stream ends as with an invalid resume token, while changes keep coming.
    const lost = api.interruptChangeStream('tasks');
    await append('t1', 'TaskClaimed', { id: 't1', assignee: 'carl' });
    await append('t2', 'TaskCompleted', { id: 't2', assignee: null });
    await lost;
    await create('t7');
    const last = await append('t3', 'TaskClaimed', { id: 't3', assignee: 'dora' });
    await api.waitForPosition(last, 30_000, ['tasks']);

    const expected = (await api.findTasks({ viewer: clerk })).nodes;
    await subscriber.until(
      (shown) =>
        shown.size === expected.length &&
        expected.every((t) => JSON.stringify(shown.get(t.id)) === JSON.stringify(t)),
      'the list after the lost stream',
    );
    expect([...subscriber.shown.keys()].sort()).toEqual(['t1', 't3', 't4', 't5', 't6', 't7']);
    expect(subscriber.shown.get('t1')?.assignee).toBe('carl');
    expect(subscriber.messages.filter((m) => m.kind === 'SNAPSHOT')).toHaveLength(1);
    expect(subscriber.doubles).toBe(0);
    expect(subscriber.ended).toBeUndefined();

    // Live again on the new stream.
    await create('t8');
    await subscriber.until((shown) => shown.has('t8'), 'a change after the re-read');
  });

  it('follows a promotion by the projecting process: queries and live lists move to the rebuilt copy', async () => {
    const { database, api, runner, lists, append, create } = await processes();
    for (let i = 1; i <= 4; i++) await create(`t${i}`);
    await runner.start();
    await api.waitForPosition(await create('t5'), 30_000, ['tasks']);

    // A live view gone wrong: one task's name changed and a task that no event made.
    const live = client.db(database).collection<{ _id: string; [field: string]: unknown }>('tasks');
    await live.updateOne({ _id: 't1' }, { $set: { name: 'wrong' } });
    const t2 = await live.findOne({ _id: 't2' });
    await live.insertOne({ ...t2!, _id: 'ghost', id: 'ghost' });

    const subscriber = new Subscriber(await lists.tasks(clerk, null));
    cleanup.push(() => subscriber.close());
    await subscriber.until((shown) => shown.size === 6, 'the snapshot');
    expect(subscriber.shown.get('t1')?.name).toBe('wrong');

    // Verify on MongoDB compares the live view with a fresh rebuild.
    const verified = await runner.verify('tasks');
    expect(verified.consistent).toBe(false);
    expect(verified.differences).toEqual(
      expect.arrayContaining([
        { id: 't1', field: 'name', live: 'wrong', rebuilt: 'Approve t1' },
        expect.objectContaining({ id: 'ghost', field: '*', rebuilt: null }),
      ]),
    );

    runner.replay('tasks');
    expect((await runner.replayFinished('tasks'))?.status).toBe('completed');

    await subscriber.until(
      (shown) => shown.get('t1')?.name === 'Approve t1' && !shown.has('ghost') && shown.size === 5,
      'the differences of the switch',
    );
    expect(subscriber.doubles).toBe(0);
    expect(subscriber.messages.filter((m) => m.kind === 'SNAPSHOT')).toHaveLength(1);
    expect((await api.getTask('t1', clerk))?.name).toBe('Approve t1');
    expect(await api.getTask('ghost', clerk)).toBeNull();
    expect((await runner.verify('tasks')).consistent).toBe(true);

    // The API process reads and follows the new collection: later changes and read-your-writes.
    const claimed = await append('t4', 'TaskClaimed', { id: 't4', assignee: 'carl' });
    await api.waitForPosition(claimed, 30_000, ['tasks']);
    expect((await api.getTask('t4', clerk))?.assignee).toBe('carl');
    await subscriber.until((shown) => shown.get('t4')?.assignee === 'carl', 'a change after the switch');
  });
});
