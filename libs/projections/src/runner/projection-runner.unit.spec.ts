import { MemoryEventStore, type StoredEvent } from '@eddy/eventstore';
import { taskStreamId } from '@eddy/contracts';
import { applyEvents, liveDocuments } from '@eddy/testing';
import { afterEach, describe, expect, it } from '@jest/globals';
import { MemoryViewStore } from '../memory/memory.view-store';
import type { Projection } from '../projection';
import { DEFAULT_PROJECTIONS } from '../projections.module';
import { eventDraft, taskCreated } from '../projection.fixtures.spec';
import { tasksProjection } from '../tasks/tasks.projection';
import { LIVE_COPY } from '../view-store.port';
import { ProjectionRunner, UnknownProjectionError } from './projection-runner';

const all = [...DEFAULT_PROJECTIONS];
const clerk = { userId: 'carl', groups: ['clerks'] };

const event = eventDraft;

const until = async (check: () => boolean | Promise<boolean>, what: string) => {
  for (let i = 0; i < 1_000; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('projection runner', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });
  const setup = async (
    projections: Projection[] = all,
    retry = { attempts: 3, initialDelayMs: 1, maxDelayMs: 5 },
  ) => {
    const events = new MemoryEventStore();
    const views = new MemoryViewStore();
    const runner = new ProjectionRunner(events, views, projections, { batchSize: 50, retry });
    cleanup.push(async () => {
      await runner.stop();
      await views.close();
      await events.close();
    });
    return { events, views, runner };
  };
  const createTask = (events: MemoryEventStore, id: string, assignee: string | null = null) =>
    events.appendToStream(taskStreamId(id), [event('TaskCreated', taskCreated(id, { assignee }).data)]);

  it('catches up to the head seen at start, then follows live appends (read your writes)', async () => {
    const { events, views, runner } = await setup();
    for (let i = 0; i < 120; i++) await createTask(events, `t${i}`);
    await runner.start();
    await until(() => runner.isCaughtUpToStartupHead(), 'catch-up');
    const { position } = await events.appendToStream(taskStreamId('t1'), [
      event('TaskClaimed', { id: 't1', assignee: 'carl' }),
    ]);
    await views.waitForPosition(position, 5_000);
    expect((await views.getTask('t1', clerk))?.assignee).toBe('carl');
    const status = await runner.status('tasks');
    expect(status).toMatchObject({
      name: 'tasks',
      status: 'running',
      position,
      headPosition: position,
      lag: 0,
    });
    expect((await runner.statuses()).map((s) => s.name)).toEqual([
      'tasks',
      'data-entries',
      'process-definitions',
      'process-instances',
      'closed-tasks',
      'history',
      'saved-filters',
    ]);
    await expect(runner.status('nope')).rejects.toBeInstanceOf(UnknownProjectionError);
  });

  it('retries a failing event with back-off and goes on when it succeeds', async () => {
    let failures = 2;
    const flaky: Projection<'tasks'> = {
      ...tasksProjection,
      apply: (current, e) => {
        if (e.type === 'TaskClaimed' && failures-- > 0) throw new Error('view store hiccup');
        return tasksProjection.apply(current, e);
      },
    };
    const { events, views, runner } = await setup([flaky]);
    await createTask(events, 't1');
    const { position } = await events.appendToStream(taskStreamId('t1'), [
      event('TaskClaimed', { id: 't1', assignee: 'carl' }),
    ]);
    await runner.start();
    await views.waitForPosition(position, 5_000, ['tasks']);
    expect((await views.getTask('t1', clerk))?.assignee).toBe('carl');
    expect((await runner.status('tasks')).status).toBe('running');
  });

  it('stops in the failed state with the position and the error when an event keeps failing, skipping nothing', async () => {
    const { events, views, runner } = await setup();
    await createTask(events, 't1');
    // A change to a task that was never created cannot be applied.
    const bad = await events.appendToStream(taskStreamId('ghost'), [
      event('TaskClaimed', { id: 'ghost', assignee: 'carl' }),
    ]);
    await createTask(events, 't2');
    await runner.start();
    await until(async () => (await runner.status('tasks')).status === 'failed', 'failure');
    const status = await runner.status('tasks');
    expect(status.position).toBe(bad.position - 1);
    expect(status.lastError?.position).toBe(bad.position);
    expect(status.lastError?.message).toMatch(/ghost was never created/);
    expect(runner.isCaughtUpToStartupHead()).toBe(false);
    expect(runner.failures().map((f) => f.name)).toEqual(['tasks']);
    expect(await views.getTask('t1', clerk)).not.toBeNull();
    expect(await views.getTask('t2', clerk)).toBeNull(); // after the failing event: not applied
    expect(await views.checkpoint('data-entries')).toBe(3); // the other projections go on
  });

  it('a replay while commands keep arriving ends consistent, and replaying twice gives the same view', async () => {
    const { events, views, runner } = await setup();
    for (let i = 0; i < 300; i++) await createTask(events, `t${i}`);
    await runner.start();
    let writing = true;
    let n = 0;
    const writer = (async () => {
      while (writing) {
        const id = `t${n % 300}`;
        const type = n % 3 === 0 ? 'TaskClaimed' : n % 3 === 1 ? 'TaskUnclaimed' : 'TaskAttributesUpdated';
        const data =
          type === 'TaskClaimed'
            ? { id, assignee: `u${n}` }
            : type === 'TaskUnclaimed'
              ? { id, previousAssignee: 'x' }
              : { id, changes: { priority: n % 100 } };
        await events.appendToStream(taskStreamId(id), [event(type, data)]);
        if (n % 50 === 0) await createTask(events, `late${n}`);
        n++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    const firstReplay = runner.replay('tasks');
    expect(runner.replay('tasks')).toBe(firstReplay); // one replay at a time
    expect((await runner.status('tasks')).status).toBe('replaying');
    expect((await runner.replayFinished('tasks'))?.status).toBe('completed');
    runner.replay('tasks');
    expect((await runner.replayFinished('tasks'))?.status).toBe('completed');
    writing = false;
    await writer;
    await views.waitForPosition(await events.headPosition(), 5_000, ['tasks']);
    const expected = liveDocuments(applyEvents(tasksProjection, (await events.readAll()) as StoredEvent[]));
    const actual = await views.documents({ view: 'tasks', copy: LIVE_COPY });
    expect(actual.length).toBe(expected.size);
    expect(new Map(actual.map((d) => [d.id, d]))).toEqual(expected);
    expect(await runner.verify('tasks')).toEqual({
      consistent: true,
      checked: expected.size,
      differences: [],
    });
    expect((await runner.status('tasks')).status).toBe('running');
  });

  it('verify finds a deliberately corrupted document', async () => {
    const { events, views, runner } = await setup();
    await createTask(events, 't1');
    await createTask(events, 't2');
    const { position } = await events.appendToStream(taskStreamId('t1'), [
      event('TaskClaimed', { id: 't1', assignee: 'carl' }),
    ]);
    await runner.start();
    await views.waitForPosition(position, 5_000);
    const live = { view: 'tasks' as const, copy: LIVE_COPY };
    const t1 = (await views.getTask('t1', clerk))!;
    await views.commit(live, {
      // A later revision, or the store would keep the document it holds.
      writes: [
        { kind: 'upsert', id: 't1', document: { ...t1, assignee: 'mallory', version: t1.version + 1 } },
      ],
      checkpoint: position,
    });
    const result = await runner.verify('tasks');
    expect(result).toEqual({
      consistent: false,
      checked: 2,
      differences: [
        { id: 't1', field: 'assignee', live: 'mallory', rebuilt: 'carl' },
        { id: 't1', field: 'version', live: t1.version + 1, rebuilt: t1.version },
      ],
    });
    // A replay repairs it.
    runner.replay('tasks');
    await runner.replayFinished('tasks');
    expect((await views.getTask('t1', { userId: 'carl', groups: [] }))?.assignee).toBe('carl');
    expect((await runner.verify('tasks')).consistent).toBe(true);
  });
});
