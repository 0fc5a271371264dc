import { MemoryEventStore } from '@eddy/eventstore';
import {
  type ClosedTaskView,
  DEFAULT_PROJECTIONS,
  type DataEntryView,
  LIVE_COPY,
  ProjectionRunner,
  type SearchSettings,
  type TaskFilter,
  type TaskView,
  type Viewer,
  ViewQueryError,
  type ViewStore,
} from '@eddy/projections';
import { afterEach, describe, expect, it } from '@jest/globals';
import { aClosedTask, historyLog } from './history-view-store.contract';
import { aDataEntry, aTask } from './view-store.contract';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const clerk: Viewer = { userId: 'carl', groups: ['clerks'] };

/** The searched payload fields of the suite's stores. */
export const CONTRACT_SEARCH_SETTINGS: Partial<SearchSettings> = {
  payloadFields: ['customer.name', 'tags', 'amount'],
};

/**
 * Free-text search (`filter.search`) as every view store adapter answers it: case and accent
 * insensitive, every word a prefix of a word of the document, ranked by relevance without a sort,
 * combined with every other filter, authorised and counted like the rest, the same after a replay.
 * `create` opens an empty store with the given search settings.
 */
export function searchViewStoreContract(
  name: string,
  create: (search: Partial<SearchSettings>) => Promise<ViewStore>,
): void {
  describe(`view store contract, search: ${name}`, () => {
    const open: ViewStore[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });
    const store = async (
      tasks: TaskView[],
      entries: DataEntryView[] = [],
      closed: ClosedTaskView[] = [],
    ): Promise<ViewStore> => {
      const s = await create(CONTRACT_SEARCH_SETTINGS);
      open.push(s);
      const write = async (
        view: 'tasks' | 'data-entries' | 'closed-tasks',
        docs: (TaskView | DataEntryView)[],
      ) =>
        s.commit(
          { view, copy: LIVE_COPY },
          {
            writes: docs.map((d, i) => ({
              kind: 'upsert' as const,
              id: d.id,
              document: { ...d, position: i + 1 } as never,
            })),
            checkpoint: docs.length,
          },
        );
      await write('tasks', tasks);
      await write('data-entries', entries);
      await write('closed-tasks', closed);
      return s;
    };
    const find = async (s: ViewStore, filter: TaskFilter, viewer: Viewer = clerk) =>
      (await s.findTasks({ viewer, filter, now: NOW, first: 1000 })).nodes.map((t) => t.id);

    const tasks = [
      aTask('t1', { name: 'Approve order', businessKey: 'ORD-1001', priority: 10 }),
      aTask('t2', { name: 'Ship parcel', description: 'Order approved by Zoë', priority: 80 }),
      aTask('t3', { name: 'Prüfung der Bestellung', payload: { customer: { name: 'Müller GmbH' } } }),
      aTask('t4', { name: 'Approve invoice', assignee: 'carl', payload: { tags: ['urgent', 'VIP'] } }),
      aTask('t5', { name: 'Approve order', candidateGroups: ['board'] }), // not the clerk's
      aTask('t6', { name: 'Approve order', followUpDate: '2030-01-01T00:00:00Z' }), // deferred
      aTask('t7', { name: 'Archive', payload: { secret: 'approve', amount: 1001 } }), // secret: not searched
    ];

    it('finds tasks whose words begin with every word searched, ignoring case and accents', async () => {
      const s = await store(tasks);
      expect((await find(s, { search: 'appr' })).sort()).toEqual(['t1', 't2', 't4']);
      expect(await find(s, { search: 'APPROVE ORD' })).toEqual(['t1', 't2']);
      expect(await find(s, { search: 'zoe' })).toEqual(['t2']);
      expect(await find(s, { search: 'pruefung' })).toEqual([]); // folded, not transliterated
      expect(await find(s, { search: 'PRÜF bestell' })).toEqual(['t3']);
      expect(await find(s, { search: 'mull' })).toEqual(['t3']); // a chosen payload field
      expect(await find(s, { search: 'vip' })).toEqual(['t4']); // an array in a chosen payload field
      expect(await find(s, { search: '1001' })).toEqual(['t1', 't7']); // business key; a number
      expect(await find(s, { search: 'rove' })).toEqual([]); // a prefix, not a substring
      expect((await find(s, { search: 'approve', includeDeferred: true })).sort()).toEqual([
        't1',
        't2',
        't4',
        't6',
      ]);
      expect(await find(s, { search: '   ' })).toEqual(await find(s, {}));
    });

    it('ranks by relevance without a sort: whole words and names first, ties by id', async () => {
      const s = await store(tasks);
      // t1 and t4 have "approve" in the name (4 x 2), t2 "approved" in the description (2).
      expect(await find(s, { search: 'approve' })).toEqual(['t1', 't4', 't2']);
      expect(await find(s, { search: 'approve invoice' })).toEqual(['t4']);
      // With a sort, the sort decides.
      const sorted = await s.findTasks({
        viewer: clerk,
        filter: { search: 'approve' },
        sort: [{ field: 'PRIORITY', direction: 'DESC' }],
        now: NOW,
      });
      expect(sorted.nodes.map((t) => t.id)).toEqual(['t2', 't4', 't1']);
    });

    it('combines with every other filter, and pages ranked results with cursors', async () => {
      const s = await store(tasks);
      expect(await find(s, { search: 'approve', assignedToMe: true })).toEqual(['t4']);
      expect(await find(s, { search: 'approve', unassigned: true })).toEqual(['t1', 't2']);
      expect(await find(s, { search: 'approve', priorityMin: 50 })).toEqual(['t4', 't2']);
      expect(await find(s, { search: 'approve', text: 'parcel' })).toEqual(['t2']);
      expect(
        await find(s, { search: 'approve', payload: [{ path: 'tags', op: 'EQ', value: 'urgent' }] }),
      ).toEqual(['t4']);
      expect(await find(s, { search: 'approve', candidateGroup: 'board' })).toEqual([]);
      const seen: string[] = [];
      let after: string | null = null;
      for (let i = 0; i < 5; i++) {
        const page: Awaited<ReturnType<ViewStore['findTasks']>> = await s.findTasks({
          viewer: clerk,
          filter: { search: 'approve' },
          now: NOW,
          first: 1,
          after,
        });
        expect(page.totalCount).toBe(3);
        seen.push(...page.nodes.map((t) => t.id));
        after = page.pageInfo.endCursor;
        if (!page.pageInfo.hasNextPage) break;
      }
      expect(seen).toEqual(['t1', 't4', 't2']);
    });

    it('never finds or counts what the viewer may not see, and counts what it finds', async () => {
      const s = await store(tasks);
      const board: Viewer = { userId: 'bob', groups: ['board'] };
      expect(await find(s, { search: 'approve order' }, board)).toEqual(['t5']);
      expect(await find(s, { search: 'approve' }, { userId: 'x', groups: [] })).toEqual([]);
      for (const viewer of [clerk, board, { userId: 'x', groups: [] }]) {
        for (const filter of [
          { search: 'approve' },
          { search: 'approve', assignedToMe: true },
          { search: 'zz' },
        ]) {
          const { totalCount } = await s.findTasks({ viewer, filter, now: NOW, first: 0 });
          expect({ filter, count: await s.taskCount({ viewer, filter, now: NOW }) }).toEqual({
            filter,
            count: totalCount,
          });
        }
      }
      expect(await s.taskCount({ viewer: clerk, filter: { search: 'approve' }, now: NOW })).toBe(3);
    });

    it('follows changes: a renamed task is found by its new words only, a removed one not at all', async () => {
      const s = await store(tasks);
      await s.commit(
        { view: 'tasks', copy: LIVE_COPY },
        {
          writes: [
            {
              kind: 'upsert',
              id: 't1',
              document: { ...tasks[0], name: 'Check stock', version: 1, position: 20 },
            },
            { kind: 'remove', id: 't4', version: 1, position: 21 },
          ],
          checkpoint: 21,
        },
      );
      expect(await find(s, { search: 'approve' })).toEqual(['t2']);
      expect(await find(s, { search: 'stock' })).toEqual(['t1']);
    });

    it('searches data entries by name, entry id, description and chosen payload fields, authorised', async () => {
      const s = await store(
        [],
        [
          aDataEntry('INV-7', { name: 'Facture Élan', payload: { customer: { name: 'Dupont' } } }),
          aDataEntry('o2', { name: 'Order Elan', description: 'for élan' }),
          aDataEntry('o3', { name: 'Order Elan', authorizedGroups: ['board'] }),
        ],
      );
      const viewer: Viewer = { userId: 'sam', groups: ['sales'] };
      const findEntries = async (filter: object, sort?: object[]) =>
        (await s.findDataEntries({ viewer, filter, sort: sort as never })).nodes.map((e) => e.id);
      // Both have the word in their name; the tie goes by id.
      expect(await findEntries({ search: 'elan' })).toEqual(['order#INV-7', 'order#o2']);
      expect(await findEntries({ search: 'inv 7' })).toEqual(['order#INV-7']);
      expect(await findEntries({ search: 'DUP' })).toEqual(['order#INV-7']);
      expect(await findEntries({ search: 'elan', processingType: 'COMPLETED' })).toEqual([]);
      expect(await findEntries({ search: 'elan' }, [{ field: 'NAME', direction: 'DESC' }])).toEqual([
        'order#o2',
        'order#INV-7',
      ]);
      expect((await s.findDataEntries({ viewer, filter: { search: 'elan' } })).totalCount).toBe(2);
    });

    it('searches closed tasks through their task filter, authorised as they closed', async () => {
      const s = await store(
        [],
        [],
        [
          aClosedTask('c1', { name: 'Approve order', closedAt: '2026-03-01T10:00:00.000Z' }),
          aClosedTask('c2', { name: 'Ship', description: 'approve', closedAt: '2026-03-02T10:00:00.000Z' }),
          aClosedTask('c3', { name: 'Approve', candidateGroups: ['board'] }),
          aClosedTask('c4', { name: 'Approve', closedAs: null, closedAt: null }),
        ],
      );
      const closed = async (filter: object, sort?: object[]) =>
        (await s.findClosedTasks({ viewer: clerk, filter, sort: sort as never, first: 100 })).nodes.map(
          (t) => t.id,
        );
      expect(await closed({ task: { search: 'approve' } })).toEqual(['c1', 'c2']);
      expect(
        await closed({ task: { search: 'approve' } }, [{ field: 'CLOSE_TIME', direction: 'DESC' }]),
      ).toEqual(['c2', 'c1']);
      expect(await closed({ task: { search: 'approve order' }, closedAs: 'DELETED' })).toEqual([]);
    });

    it('refuses a search of 10,000 characters, or without words, naming the field', async () => {
      const s = await store(tasks);
      const field = async (query: Promise<unknown>) => {
        const error = await query.then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ViewQueryError);
        return (error as ViewQueryError).field;
      };
      const long = 'x'.repeat(10_000);
      expect(await field(s.findTasks({ viewer: clerk, filter: { search: long } }))).toBe('filter.search');
      expect(await field(s.taskCount({ viewer: clerk, filter: { search: long } }))).toBe('filter.search');
      expect(await field(s.findDataEntries({ viewer: clerk, filter: { search: long } }))).toBe(
        'filter.search',
      );
      expect(await field(s.findClosedTasks({ viewer: clerk, filter: { task: { search: long } } }))).toBe(
        'filter.task.search',
      );
      expect(await field(s.findTasks({ viewer: clerk, filter: { search: '%%' } }))).toBe('filter.search');
      await expect(s.findTasks({ viewer: clerk, filter: { search: long } })).rejects.toThrow(
        /^filter\.search: is 10000 characters long; at most 200 are allowed/,
      );
    });

    it('gives the same search answers after dropping and replaying the views', async () => {
      const events = new MemoryEventStore();
      await historyLog(events);
      const head = await events.headPosition();
      const searched = ['tasks', 'data-entries', 'closed-tasks'] as const;
      const answers = async (s: ViewStore) => {
        const result: unknown[] = [];
        for (const viewer of [
          clerk,
          { userId: 'emil', groups: ['managers'] },
          { userId: 'sam', groups: ['sales'] },
        ]) {
          for (const search of ['review', 'rev r1', 'bk 2', '30', 'order']) {
            const page = await s.findTasks({ viewer, filter: { search, includeDeferred: true }, now: NOW });
            const entries = await s.findDataEntries({ viewer, filter: { search } });
            const closed = await s.findClosedTasks({ viewer, filter: { task: { search } } });
            result.push(
              search,
              page.totalCount,
              page.nodes.map((t) => t.id),
              entries.nodes.map((e) => e.id),
              closed.nodes.map((t) => t.id),
            );
          }
        }
        return result;
      };
      const s = await create(CONTRACT_SEARCH_SETTINGS);
      open.push(s);
      const runner = new ProjectionRunner(events, s, DEFAULT_PROJECTIONS, { batchSize: 7 });
      try {
        await runner.start();
        await s.waitForPosition(head, 20_000, searched);
        const before = await answers(s);
        expect(before.filter((a) => Array.isArray(a) && a.length > 0).length).toBeGreaterThan(10);
        for (const view of searched) {
          runner.replay(view);
          expect((await runner.replayFinished(view))?.status).toBe('completed');
        }
        expect(await answers(s)).toEqual(before);
      } finally {
        await runner.stop();
      }
    });
  });
}
