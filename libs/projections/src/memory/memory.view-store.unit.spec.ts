import { aTask } from '@eddy/testing';
import { describe, expect, it } from '@jest/globals';
import { LIVE_COPY } from '../view-store.port';
import { MemoryViewStore } from './memory.view-store';

describe('memory view store indexes', () => {
  const live = { view: 'tasks' as const, copy: LIVE_COPY };
  const clerk = { userId: 'carl', groups: ['clerks'] };

  it('keeps the indexes right when a change keeps the same candidate arrays (the fast path)', async () => {
    const store = new MemoryViewStore();
    const first = aTask('t1', { correlations: [{ entryType: 'order', entryId: 'o1' }], payload: { a: 0 } });
    await store.commit(live, { writes: [{ kind: 'upsert', id: 't1', document: first }], checkpoint: 1 });
    // Builds the payload column for `a` before the change below, which must keep it up to date.
    expect(
      (await store.findTasks({ viewer: clerk, filter: { payload: [{ path: 'a', op: 'EQ', value: 0 }] } }))
        .totalCount,
    ).toBe(1);
    // Same candidate arrays (as the projection's spread keeps them), new payload and correlations.
    const second = {
      ...first,
      payload: { a: 1 },
      correlations: [{ entryType: 'order', entryId: 'o2' }],
      version: 1,
    };
    await store.commit(live, { writes: [{ kind: 'upsert', id: 't1', document: second }], checkpoint: 2 });
    const page = await store.findTasks({
      viewer: clerk,
      filter: { payload: [{ path: 'a', op: 'EQ', value: 1 }] },
    });
    expect(page.nodes.map((t) => t.version)).toEqual([1]);
    expect(
      (await store.findTasks({ viewer: clerk, filter: { payload: [{ path: 'a', op: 'IN', value: [0] }] } }))
        .totalCount,
    ).toBe(0);
    expect((await store.tasksCorrelatedTo(['order#o1', 'order#o2'], clerk)).map((l) => l.length)).toEqual([
      0, 1,
    ]);
    // Then a change of who may see it moves it in the principal index.
    const third = { ...second, candidateGroups: ['others'], version: 2 };
    await store.commit(live, { writes: [{ kind: 'upsert', id: 't1', document: third }], checkpoint: 3 });
    expect((await store.findTasks({ viewer: clerk })).totalCount).toBe(0);
    expect(
      (await store.findTasks({ viewer: { userId: 'x', groups: ['others'] } })).nodes.map((t) => t.version),
    ).toEqual([2]);
  });

  it('hands out frozen documents, so a caller cannot change the view behind its back', async () => {
    const store = new MemoryViewStore();
    await store.commit(live, {
      writes: [{ kind: 'upsert', id: 't1', document: aTask('t1', { payload: { a: { b: 1 } } }) }],
      checkpoint: 1,
    });
    const task = (await store.getTask('t1', clerk))!;
    expect(() => {
      (task.payload.a as { b: number }).b = 2;
    }).toThrow(TypeError);
  });

  it('finds a task by its words after changes that keep them, and by its new words after a rename', async () => {
    const store = new MemoryViewStore();
    const first = aTask('t1', { name: 'Approve invoice' });
    await store.commit(live, { writes: [{ kind: 'upsert', id: 't1', document: first }], checkpoint: 1 });
    // A claim keeps the searched fields: the terms stay.
    const claimed = { ...first, assignee: 'carl', version: 1 };
    await store.commit(live, { writes: [{ kind: 'upsert', id: 't1', document: claimed }], checkpoint: 2 });
    const found = await store.findTasks({ viewer: clerk, filter: { search: 'invoice' } });
    expect(found.nodes.map((t) => [t.id, t.assignee])).toEqual([['t1', 'carl']]);
    const renamed = { ...claimed, name: 'Pay supplier', version: 2 };
    await store.commit(live, { writes: [{ kind: 'upsert', id: 't1', document: renamed }], checkpoint: 3 });
    expect((await store.findTasks({ viewer: clerk, filter: { search: 'invoice' } })).totalCount).toBe(0);
    expect((await store.findTasks({ viewer: clerk, filter: { search: 'supplier' } })).totalCount).toBe(1);
  });

  it('answers closed tasks only once they closed: the open ones it holds are not indexed', async () => {
    const store = new MemoryViewStore();
    const closed = { view: 'closed-tasks' as const, copy: LIVE_COPY };
    const open = {
      ...aTask('t1', { name: 'Approve invoice' }),
      closedAs: null,
      closedAt: null,
      completedBy: null,
      closedBy: null,
      deleteReason: null,
    };
    await store.commit(closed, { writes: [{ kind: 'upsert', id: 't1', document: open }], checkpoint: 1 });
    expect((await store.findClosedTasks({ viewer: clerk })).totalCount).toBe(0);
    expect(
      (await store.findClosedTasks({ viewer: clerk, filter: { task: { search: 'invoice' } } })).totalCount,
    ).toBe(0);
    const done = {
      ...open,
      closedAs: 'COMPLETED' as const,
      closedAt: '2026-03-01T09:00:00.000Z',
      completedBy: 'carl',
      version: 1,
    };
    await store.commit(closed, { writes: [{ kind: 'upsert', id: 't1', document: done }], checkpoint: 2 });
    expect((await store.findClosedTasks({ viewer: clerk })).nodes.map((t) => t.completedBy)).toEqual([
      'carl',
    ]);
    expect(
      (await store.findClosedTasks({ viewer: clerk, filter: { task: { search: 'invoice' } } })).totalCount,
    ).toBe(1);
  });
});
