import { taskStreamId } from '@eddy/contracts';
import { MemoryEventStore } from '@eddy/eventstore';
import { mongoTestDatabases } from '@eddy/testing/mongo-test-databases';
import { afterEach, describe, expect, it } from '@jest/globals';
import { eventDraft, taskCreated } from '../projection.fixtures.spec';
import { ProjectionRunner } from '../runner/projection-runner';
import { tasksProjection } from '../tasks/tasks.projection';
import type { ViewChange } from '../view-store.port';
import { MongoViewStore } from './mongo.view-store';

// A projecting process and an API process that does not project, on one MongoDB database.
const { client, fresh } = mongoTestDatabases('eddy_restart');
const clerk = { userId: 'carl', groups: ['clerks'] };

const event = eventDraft;

describe('MongoDB views shared by processes', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });
  const open = async (database: string) => {
    const store = await MongoViewStore.open({ client, database });
    cleanup.push(() => store.close());
    return store;
  };
  const runnerOn = (events: MemoryEventStore, store: MongoViewStore) => {
    const runner = new ProjectionRunner(events, store, [tasksProjection], { batchSize: 10 });
    cleanup.push(() => runner.stop());
    return runner;
  };

  it('an API process sees the projector writes, waits for them, and a restarted projector resumes from its checkpoint', async () => {
    const database = fresh();
    const events = new MemoryEventStore();
    cleanup.push(() => events.close());
    for (let i = 0; i < 30; i++) {
      await events.appendToStream(taskStreamId(`t${i}`), [event('TaskCreated', taskCreated(`t${i}`).data)]);
    }
    const head = await events.headPosition();
    const projector = await open(database);
    const api = await open(database);

    // The API process follows the views through the change streams.
    const seen = new Map<string, number>();
    let doubles = 0;
    let reachedAll: () => void = () => undefined;
    const allThirty = new Promise<void>((resolve) => (reachedAll = resolve));
    await api.subscribe(
      { after: 0, views: ['tasks'] },
      {
        next: (changes: readonly ViewChange[]) => {
          for (const c of changes) {
            if ((seen.get(c.id) ?? 0) >= c.position) doubles++;
            seen.set(c.id, c.position);
          }
          if (seen.size === 30) reachedAll();
        },
      },
    );
    const runner = runnerOn(events, projector);
    await runner.start();
    await api.waitForPosition(head, 20_000, ['tasks']);
    expect((await api.findTasks({ viewer: clerk })).totalCount).toBe(30);
    await allThirty;
    expect(doubles).toBe(0);

    // Read your writes across processes: the API process waits for the projector's checkpoint.
    const { position } = await events.appendToStream(taskStreamId('t1'), [
      event('TaskClaimed', { id: 't1', assignee: 'carl' }),
    ]);
    await api.waitForPosition(position, 20_000, ['tasks']);
    expect((await api.getTask('t1', clerk))?.assignee).toBe('carl');

    // A restarted projector goes on from the stored checkpoint, not from the start of the log.
    await runner.stop();
    const reads: number[] = [];
    const readAll = events.readAll.bind(events);
    const subscribeToAll = events.subscribeToAll.bind(events);
    events.readAll = (options) => {
      reads.push(options?.after ?? 0);
      return readAll(options);
    };
    events.subscribeToAll = (options) => {
      reads.push(options?.after ?? 0);
      return subscribeToAll(options);
    };
    const restarted = runnerOn(events, await open(database));
    await restarted.start();
    const { position: later } = await events.appendToStream(taskStreamId('t2'), [
      event('TaskClaimed', { id: 't2', assignee: 'carl' }),
    ]);
    await api.waitForPosition(later, 20_000, ['tasks']);
    expect(Math.min(...reads)).toBe(position);
    expect(
      (await api.findTasks({ viewer: clerk, filter: { assignedToMe: true } })).nodes.map((t) => t.id),
    ).toEqual(['t1', 't2']);
  });
});
