import { dataEntryStreamId, taskStreamId } from '@eddy/contracts';
import { MemoryEventStore, type NewEvent } from '@eddy/eventstore';
import {
  DEFAULT_PROJECTIONS,
  ProjectionRunner,
  type ClosedTaskFilter,
  type ClosedTaskView,
  type HistoryView,
  LIVE_COPY,
  type Viewer,
  ViewQueryError,
  type ViewStore,
} from '@eddy/projections';
import { afterEach, describe, expect, it } from '@jest/globals';
import { aTask } from './view-store.contract';

/** A closed task of the closed-tasks view; `closedAs: null` makes it a task still open. */
export function aClosedTask(id: string, overrides: Partial<ClosedTaskView> = {}): ClosedTaskView {
  return {
    ...aTask(id),
    closedAs: 'COMPLETED',
    closedAt: '2026-03-01T10:00:00.000Z',
    completedBy: null,
    closedBy: null,
    deleteReason: null,
    ...overrides,
  };
}

export function aHistory(id: string, overrides: Partial<HistoryView> = {}): HistoryView {
  return {
    id,
    subject: 'TASK',
    subjectId: id.replace(/^task:/, ''),
    authorizedUsers: [],
    authorizedGroups: ['clerks'],
    last: {},
    entries: [
      {
        revision: 0,
        position: 1,
        time: '2026-01-01T10:00:00.000Z',
        type: 'TaskCreated',
        userId: null,
        commandId: 'c-1',
        changes: [{ field: 'name', value: 'Approve' }],
        comment: null,
        protocolEntry: null,
      },
    ],
    version: 0,
    position: 1,
    ...overrides,
  };
}

const clerk: Viewer = { userId: 'carl', groups: ['clerks'] };

let sequence = 0;
const draft = (type: string, data: object, userId?: string): NewEvent => {
  sequence += 1;
  return {
    id: `replay-event-${sequence}`,
    type,
    schemaVersion: 1,
    data: data as Record<string, unknown>,
    metadata: {
      commandId: `replay-command-${sequence}`,
      correlationId: 'replay',
      ...(userId ? { userId } : {}),
      timestamp: new Date(Date.UTC(2026, 2, 1) + sequence * 60_000).toISOString(),
    },
  };
};

/** A log of tasks claimed, commented, completed and deleted, and data entries reported, for the replay test. */
export async function historyLog(events: MemoryEventStore): Promise<void> {
  const users = ['carl', 'dora', 'emil'];
  for (let i = 0; i < 24; i++) {
    const id = `r${i}`;
    const user = users[i % 3];
    await events.appendToStream(taskStreamId(id), [
      draft('TaskCreated', {
        id,
        name: `Review ${id}`,
        taskDefinitionKey: 'review',
        sourceReference: {
          type: 'process',
          instanceId: `pi-${i % 5}`,
          definitionId: 'review:1',
          definitionKey: 'review',
          name: 'Review',
          applicationName: i % 2 ? 'shop' : 'hr',
        },
        description: null,
        formKey: null,
        priority: i % 4,
        createTime: '2026-02-01T10:00:00.000Z',
        dueDate: null,
        followUpDate: null,
        assignee: null,
        owner: null,
        candidateUsers: i % 4 === 0 ? ['emil'] : [],
        candidateGroups: i % 3 === 0 ? ['managers'] : ['clerks'],
        businessKey: `BK-${i}`,
        payload: { amount: i * 10 },
        correlations: [],
      }),
      draft('TaskClaimed', { id, assignee: user }, user),
      draft('TaskCommentAdded', { id, author: user, text: `note on ${id}` }, user),
    ]);
    if (i % 3 === 1)
      await events.appendToStream(taskStreamId(id), [draft('TaskCompleted', { id, assignee: user })]);
    if (i % 5 === 2) {
      await events.appendToStream(taskStreamId(id), [
        draft('TaskDeleted', { id, deleteReason: 'gone' }, 'ops'),
      ]);
    }
  }
  for (let i = 0; i < 4; i++) {
    await events.appendToStream(dataEntryStreamId('order', `o${i}`), [
      draft('DataEntryCreated', {
        entryType: 'order',
        entryId: `o${i}`,
        type: 'Order',
        name: `Order ${i}`,
        applicationName: 'shop',
        description: null,
        formKey: null,
        state: { processingType: 'IN_PROGRESS', state: 'new' },
        payload: {},
        correlations: [],
        authorizedUsers: i % 2 ? ['carl'] : [],
        authorizedGroups: ['sales'],
        protocolEntry: null,
      }),
    ]);
  }
}

/** Everything the closed tasks and history queries answer to some viewers. */
async function answers(store: ViewStore): Promise<unknown[]> {
  const viewers: Viewer[] = [
    clerk,
    { userId: 'emil', groups: ['managers'] },
    { userId: 'sam', groups: ['sales'] },
  ];
  const ids = [
    ...Array.from({ length: 24 }, (_, i) => `task:r${i}`),
    ...Array.from({ length: 4 }, (_, i) => `data-entry:order#o${i}`),
  ];
  const result: unknown[] = [];
  for (const viewer of viewers) {
    for (const filter of [null, { completedByMe: true }, { closedAs: 'DELETED' as const }]) {
      const page = await store.findClosedTasks({ viewer, filter, first: 1000 });
      result.push(page.totalCount, page.nodes);
    }
    result.push(await store.getHistories(ids, viewer));
  }
  return result;
}

/**
 * What every view store adapter answers from the closed-tasks and history views: closed tasks with
 * the open tasks' authorisation, filters and paging plus the closing conditions; histories by id,
 * authorised. Called from the same adapter specs as {@link viewStoreContract}.
 */
export function historyViewStoreContract(name: string, create: () => Promise<ViewStore>): void {
  describe(`view store contract, closed tasks and histories: ${name}`, () => {
    const open: ViewStore[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });
    const store = async (closed: ClosedTaskView[], histories: HistoryView[] = []) => {
      const s = await create();
      open.push(s);
      await s.commit(
        { view: 'closed-tasks', copy: LIVE_COPY },
        {
          writes: closed.map((t, i) => ({ kind: 'upsert', id: t.id, document: { ...t, position: i + 1 } })),
          checkpoint: closed.length,
        },
      );
      await s.commit(
        { view: 'history', copy: LIVE_COPY },
        { writes: histories.map((h) => ({ kind: 'upsert', id: h.id, document: h })), checkpoint: 1 },
      );
      return s;
    };
    const find = async (s: ViewStore, filter: ClosedTaskFilter | null, viewer: Viewer = clerk) =>
      (await s.findClosedTasks({ viewer, filter, first: 1000 })).nodes.map((t) => t.id);

    it('shows a closed task to whoever could see it as it closed, and never an open one', async () => {
      const s = await store([
        aClosedTask('group'),
        aClosedTask('assigned', { candidateGroups: [], assignee: 'carl' }),
        aClosedTask('candidate', { candidateGroups: [], candidateUsers: ['carl'] }),
        aClosedTask('other', { candidateGroups: ['managers'] }),
        aClosedTask('open', { closedAs: null, closedAt: null }),
      ]);
      expect((await find(s, null)).sort()).toEqual(['assigned', 'candidate', 'group']);
      expect(await find(s, null, { userId: 'mia', groups: ['managers'] })).toEqual(['other']);
      expect(await find(s, null, { userId: 'nobody', groups: [] })).toEqual([]);
    });

    it('filters by how, by whom and when it closed, and by every task condition', async () => {
      const s = await store([
        aClosedTask('a', { completedBy: 'carl', closedAt: '2026-03-01T10:00:00.000Z', priority: 10 }),
        aClosedTask('b', {
          completedBy: 'dora',
          closedAt: '2026-03-02T10:00:00.000Z',
          applicationName: 'hr',
        }),
        aClosedTask('c', {
          closedAs: 'DELETED',
          deleteReason: 'obsolete',
          closedAt: '2026-03-03T10:00:00.000Z',
          payload: { amount: 7 },
        }),
        aClosedTask('d', {
          completedBy: 'carl',
          closedAt: '2026-03-04T10:00:00.000Z',
          followUpDate: '2099-01-01T00:00:00.000Z',
        }),
      ]);
      expect(await find(s, { completedByMe: true })).toEqual(['d', 'a']);
      expect(await find(s, { completedBy: 'dora' })).toEqual(['b']);
      expect(await find(s, { closedAs: 'DELETED' })).toEqual(['c']);
      expect(await find(s, { closedAs: 'COMPLETED' })).toEqual(['d', 'b', 'a']);
      expect(
        await find(s, {
          completedAfter: '2026-03-01T10:00:00Z',
          completedBefore: '2026-03-04T10:00:00.000Z',
        }),
      ).toEqual(['c', 'b']);
      expect(await find(s, { task: { applicationName: 'hr' } })).toEqual(['b']);
      expect(await find(s, { task: { priorityMax: 20 } })).toEqual(['a']);
      expect(await find(s, { task: { payload: [{ path: 'amount', op: 'GT', value: 5 }] } })).toEqual(['c']);
      expect(await find(s, { completedByMe: true, completedBy: 'dora' })).toEqual([]);
    });

    it('sorts the latest closed first by default, by any task sort on demand, and pages with cursors', async () => {
      const tasks = ['e', 'b', 'd', 'a', 'c'].map((id, i) =>
        aClosedTask(id, { closedAt: `2026-03-0${i + 1}T10:00:00.000Z`, priority: i % 2 }),
      );
      const s = await store(tasks);
      expect(await find(s, null)).toEqual(['c', 'a', 'd', 'b', 'e']);
      const byPriority = await s.findClosedTasks({
        viewer: clerk,
        sort: [
          { field: 'PRIORITY', direction: 'DESC' },
          { field: 'CLOSE_TIME', direction: 'ASC' },
        ],
      });
      expect(byPriority.nodes.map((t) => t.id)).toEqual(['b', 'a', 'e', 'd', 'c']);
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 5; page++) {
        const result = await s.findClosedTasks({ viewer: clerk, first: 2, after });
        expect(result.totalCount).toBe(5);
        seen.push(...result.nodes.map((t) => t.id));
        after = result.pageInfo.endCursor;
        if (!result.pageInfo.hasNextPage) break;
      }
      expect(seen).toEqual(['c', 'a', 'd', 'b', 'e']);
    });

    it('refuses a bad filter or sort naming the field', async () => {
      const s = await store([aClosedTask('a')]);
      const refusal = async (query: Parameters<ViewStore['findClosedTasks']>[0]) => {
        const error = await s.findClosedTasks(query).then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ViewQueryError);
        return (error as ViewQueryError).field;
      };
      expect(await refusal({ viewer: clerk, filter: { completedAfter: 'yesterday' } })).toBe(
        'filter.completedAfter',
      );
      expect(await refusal({ viewer: clerk, filter: { task: { dueBefore: 'soon' } } })).toBe(
        'filter.task.dueBefore',
      );
      expect(await refusal({ viewer: clerk, sort: [{ field: 'COLOUR' as never }] })).toBe('sort[0].field');
      expect(await refusal({ viewer: clerk, first: 5000 })).toBe('first');
    });

    it('gives the same answers after dropping and replaying the closed-tasks and history views', async () => {
      const events = new MemoryEventStore();
      await historyLog(events);
      const head = await events.headPosition();
      const s = await create();
      open.push(s);
      const runner = new ProjectionRunner(events, s, DEFAULT_PROJECTIONS, { batchSize: 7 });
      try {
        await runner.start();
        await s.waitForPosition(head, 20_000, ['closed-tasks', 'history']);
        const before = await answers(s);
        expect((before[0] as number) > 0).toBe(true);
        for (const view of ['closed-tasks', 'history']) {
          runner.replay(view);
          expect((await runner.replayFinished(view))?.status).toBe('completed');
        }
        expect(await answers(s)).toEqual(before);
        // And from nothing: a store that never held the views builds the same.
        const fresh = await create();
        open.push(fresh);
        const second = new ProjectionRunner(events, fresh, DEFAULT_PROJECTIONS, { batchSize: 50 });
        await second.start();
        await fresh.waitForPosition(head, 20_000, ['closed-tasks', 'history']);
        expect(await answers(fresh)).toEqual(before);
        await second.stop();
      } finally {
        await runner.stop();
      }
    });

    it('answers histories by id, in order, to the users and groups that may read them only', async () => {
      const s = await store(
        [],
        [
          aHistory('task:t1'),
          aHistory('task:t2', { authorizedGroups: [], authorizedUsers: ['carl'] }),
          aHistory('data-entry:order#1', { subject: 'DATA_ENTRY', authorizedGroups: ['sales'] }),
        ],
      );
      const found = await s.getHistories(['task:t2', 'data-entry:order#1', 'task:none', 'task:t1'], clerk);
      expect(found.map((h) => h?.id ?? null)).toEqual(['task:t2', null, null, 'task:t1']);
      expect(found[3]?.entries[0]).toMatchObject({
        type: 'TaskCreated',
        changes: [{ field: 'name', value: 'Approve' }],
      });
      const sales = await s.getHistories(['data-entry:order#1', 'task:t1'], {
        userId: 'sam',
        groups: ['sales'],
      });
      expect(sales.map((h) => h?.id ?? null)).toEqual(['data-entry:order#1', null]);
    });
  });
}
