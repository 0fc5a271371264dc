import { describe, expect, it } from '@jest/globals';
import { TASK_PAGE } from '../api/documents';
import { LiveTaskPage, type TaskPageState } from './live-task-page';
import { taskRow } from './task-row.fixture';
import type { TaskRow } from './task.types';

const row = (id: string, priority: number, version = 1): TaskRow => taskRow(id, { priority, version });

interface Read {
  variables: Record<string, unknown>;
  answer(nodes: TaskRow[], hasNextPage: boolean, endCursor?: string): Promise<void>;
}

/** The page's API with the server played by the test: each read waits until the test answers it. */
function scriptedApi() {
  const reads: Read[] = [];
  let push: ((data: unknown) => void) | null = null;
  const subscriptions: Record<string, unknown>[] = [];
  const api = {
    request: <T>(query: string, variables: Record<string, unknown> = {}) => {
      expect(query).toBe(TASK_PAGE);
      return new Promise<T>((resolve) =>
        reads.push({
          variables,
          answer: async (nodes, hasNextPage, endCursor = nodes.at(-1)?.id) => {
            resolve({ tasks: { nodes, totalCount: 99, pageInfo: { hasNextPage, endCursor } } } as T);
            await new Promise((r) => setTimeout(r, 0));
          },
        }),
      );
    },
    subscribe: <T>(_query: string, variables: Record<string, unknown>, onData: (data: T) => void) => {
      subscriptions.push(variables);
      push = onData as (data: unknown) => void;
      return () => undefined;
    },
  };
  const change = (kind: string, tasks: TaskRow[], removedIds: string[] = []) =>
    push!({ taskChanges: { kind, tasks, removedIds, position: '1' } });
  return { api, reads, subscriptions, change };
}

function open() {
  const server = scriptedApi();
  const states: TaskPageState[] = [];
  const sort = [{ field: 'PRIORITY' as const, direction: 'ASC' as const }];
  const page = new LiveTaskPage(server.api, { unassigned: true }, sort, 2, (s) => states.push(s));
  const shown = () => states.at(-1)!;
  return { ...server, page, shown };
}

/** Opened, its first page read and read again after the SNAPSHOT: the reads that follow start at 2. */
async function started(nodes: TaskRow[], hasNextPage: boolean, endCursor?: string) {
  const opened = open();
  await opened.reads[0].answer(nodes, hasNextPage, endCursor);
  opened.change('SNAPSHOT', []);
  await opened.reads[1].answer(nodes, hasNextPage, endCursor);
  return opened;
}

describe('LiveTaskPage', () => {
  it('reads its page at once and again once the SNAPSHOT of its subscription (without tasks) is there', async () => {
    const { subscriptions, reads, change, shown } = open();
    expect(subscriptions).toEqual([{ filter: { unassigned: true }, first: 0 }]);
    const first = {
      filter: { unassigned: true },
      sort: [{ field: 'PRIORITY', direction: 'ASC' }],
      first: 2,
      after: null,
    };
    expect(reads.map((r) => r.variables)).toEqual([first]);
    // The SNAPSHOT comes while the first read is out: one more read follows it.
    change('SNAPSHOT', []);
    expect(reads).toHaveLength(1);
    await reads[0].answer([row('a', 1), row('b', 2)], true);
    expect(shown()).toMatchObject({ ready: true, page: 0, hasNextPage: true, totalCount: 99 });
    expect(shown().rows.map((r) => r.id)).toEqual(['a', 'b']);
    expect(reads.map((r) => r.variables)).toEqual([first, first]);
    await reads[1].answer([row('a', 1), row('c', 2)], true);
    expect(shown().rows.map((r) => r.id)).toEqual(['a', 'c']);
  });

  it('reads again for a change on its page or sorting into it, not for one after it', async () => {
    const { reads, change, shown, page } = await started([row('a', 1), row('b', 2)], true);
    change('UPSERTED', [row('z', 50)]);
    expect(reads).toHaveLength(2);
    expect(shown().changes).toBe(1);
    expect(page.versionOf('z')).toBe(1);
    change('UPSERTED', [row('b', 2, 2)]);
    expect(reads).toHaveLength(3);
    // Changes while a read is out cost one more read after it, not one each.
    change('UPSERTED', [row('c', 0)]);
    change('REMOVED', [], ['a']);
    expect(reads).toHaveLength(3);
    expect(page.versionOf('a')).toBeUndefined();
    await reads[2].answer([row('c', 0), row('a', 1)], true);
    expect(reads).toHaveLength(4);
    await reads[3].answer([row('c', 0), row('b', 2, 2)], true);
    expect(shown().rows.map((r) => r.id)).toEqual(['c', 'b']);
  });

  it('pages forward after the cursor of the page before, and back to the cursor it came from', async () => {
    const { reads, change, shown, page } = await started([row('a', 1), row('b', 2)], true, 'cursor-b');
    page.next();
    expect(reads[2].variables.after).toBe('cursor-b');
    await reads[2].answer([row('c', 3), row('d', 4)], true, 'cursor-d');
    expect(shown()).toMatchObject({ page: 1, hasNextPage: true });
    // A task sorting before this page's first row, but after the page before, belongs to it.
    change('UPSERTED', [row('x', 2.5)]);
    expect(reads).toHaveLength(4);
    await reads[3].answer([row('x', 2.5), row('c', 3)], true, 'cursor-c');
    change('UPSERTED', [row('y', 0)]);
    expect(reads).toHaveLength(4);
    page.next();
    expect(reads[4].variables.after).toBe('cursor-c');
    await reads[4].answer([row('d', 4)], false, 'cursor-d');
    expect(shown()).toMatchObject({ page: 2, hasNextPage: false });
    page.next();
    expect(reads).toHaveLength(5);
    page.previous();
    expect(reads[5].variables.after).toBe('cursor-b');
    await reads[5].answer([row('x', 2.5), row('c', 3)], true);
    expect(shown().page).toBe(1);
  });

  it('reads the first page in a new order, and pages only once that page is shown', async () => {
    const { reads, shown, page } = await started([row('a', 1), row('b', 2)], true, 'cursor-b');
    page.sortBy([{ field: 'PRIORITY', direction: 'DESC' }]);
    expect(reads[2].variables).toMatchObject({
      sort: [{ field: 'PRIORITY', direction: 'DESC' }],
      after: null,
    });
    // The cursor of the page shown belongs to the old order: no next page until the new one is read.
    page.next();
    expect(reads).toHaveLength(3);
    await reads[2].answer([row('b', 2), row('a', 1)], true, 'cursor-a');
    expect(shown().rows.map((r) => r.id)).toEqual(['b', 'a']);
    page.next();
    expect(reads[3].variables.after).toBe('cursor-a');
  });

  it('shows the page before when every task of its page left', async () => {
    const { reads, change, shown, page } = await started([row('a', 1), row('b', 2)], true, 'cursor-b');
    page.next();
    await reads[2].answer([row('c', 3)], false);
    change('REMOVED', [], ['c']);
    await reads[3].answer([], false);
    expect(reads[4].variables.after).toBeNull();
    await reads[4].answer([row('a', 1), row('b', 2)], false);
    expect(shown()).toMatchObject({ page: 0, hasNextPage: false });
  });
});
