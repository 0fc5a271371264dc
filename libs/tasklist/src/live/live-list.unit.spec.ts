import {
  ChangeFeedPositionUnavailableError,
  type Page,
  type TaskView,
  type ViewChange,
} from '@eddy/projections';
import { describe, expect, it } from '@jest/globals';
import {
  LiveList,
  type LiveChangeListener,
  type LiveChangeSource,
  type LiveListMessage,
  type LiveListSource,
} from './live-list';

interface Doc {
  id: string;
  position: number;
  group: string;
  dueAt?: number;
  note?: string;
}

/** A feed whose deliveries the test controls: nothing arrives until `deliver` is called. */
class ScriptedFeed implements LiveChangeSource {
  listener: LiveChangeListener | null = null;
  after: number | null = null;
  closed = false;
  /** The ids the latest subscription holds. */
  held = new Set<string>();
  async subscribe(after: number, listener: LiveChangeListener) {
    this.after = after;
    this.listener = listener;
    const held = (this.held = new Set<string>());
    return {
      close: () => (this.closed = true),
      hold: (id: string) => held.add(id),
      release: (id: string) => held.delete(id),
    };
  }
  deliver(...changes: ViewChange[]): void {
    this.listener!.next(changes);
  }
  /** The feed lost its place, as a change stream that cannot resume tells it. */
  lose(): void {
    this.listener!.error(new ChangeFeedPositionUnavailableError(0, 0));
  }
}

const upsert = (doc: Doc): ViewChange =>
  ({
    kind: 'upserted',
    view: 'tasks',
    position: doc.position,
    id: doc.id,
    document: doc as unknown as TaskView,
  }) as ViewChange;
const remove = (id: string, position: number): ViewChange =>
  ({ kind: 'removed', view: 'tasks', position, id, last: {} as TaskView }) as ViewChange;

const page = (nodes: Doc[], position: number, endCursor: string | null): Page<Doc> => ({
  nodes,
  totalCount: nodes.length,
  pageInfo: { hasNextPage: endCursor !== null, endCursor },
  position,
});

/** A source that sees group `g` and reads the pages and current documents the test scripts. */
function source(
  feed: ScriptedFeed,
  pages: (() => Page<Doc>)[],
  current: Map<string, Doc> = new Map(),
  extra: Partial<LiveListSource<Doc>> = {},
): LiveListSource<Doc> & { reads: string[][] } {
  let next = 0;
  const reads: string[][] = [];
  return {
    view: 'tasks',
    changes: feed,
    reads,
    readPage: async () => pages[next++](),
    readMany: async (ids) => {
      reads.push([...ids]);
      return ids.map((id) => current.get(id) ?? null);
    },
    matches: (doc) => doc.group === 'g',
    compare: (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    ...extra,
  };
}

const limits = { pageSize: 2, maxSnapshotItems: 100, maxQueuedChanges: 100 };
const take = async (list: LiveList<Doc>, count: number): Promise<(LiveListMessage<Doc> | Error)[]> => {
  const out: (LiveListMessage<Doc> | Error)[] = [];
  for (let i = 0; i < count; i++) out.push((await list.next()).value as LiveListMessage<Doc>);
  return out;
};
const ids = (m: LiveListMessage<Doc> | Error) => (m instanceof Error ? m : m.items.map((d) => d.id));

describe('LiveList', () => {
  it('merges pages read at different positions with the changes between them into one snapshot', async () => {
    const feed = new ScriptedFeed();
    // Page 1 at 10 holds a and b. Before page 2 is read, b is removed (11) and c moves from page 2's
    // range into page 1's (12): page 2, read at 12, holds neither.
    const src = source(
      feed,
      [
        () =>
          page(
            [
              { id: 'a', position: 3, group: 'g' },
              { id: 'b', position: 4, group: 'g' },
            ],
            10,
            'b',
          ),
        () => {
          feed.deliver(remove('b', 11), upsert({ id: 'c', position: 12, group: 'g' }));
          return page([{ id: 'd', position: 5, group: 'g' }], 12, null);
        },
      ],
      new Map([['c', { id: 'c', position: 13, group: 'g' }]]),
    );
    const list = await LiveList.open(src, limits);
    expect(feed.after).toBe(10);
    const [snapshot] = await take(list, 1);
    // c was not on any page: its current state settles it (and the current state is newer: 13).
    expect(src.reads).toEqual([['c']]);
    expect(snapshot).toMatchObject({ kind: 'SNAPSHOT', position: 12 });
    expect(ids(snapshot)).toEqual(['a', 'c', 'd']);
    // The source routes changes of held ids to the list even when they leave its audience.
    expect([...feed.held].sort()).toEqual(['a', 'c', 'd']);
    list.close();
  });

  it('streams later changes in order, drops old news and sends REMOVED only for held items', async () => {
    const feed = new ScriptedFeed();
    const current = new Map<string, Doc>();
    const list = await LiveList.open(
      source(feed, [() => page([{ id: 'a', position: 5, group: 'g' }], 10, null)], current),
      limits,
    );
    await take(list, 1);
    feed.deliver(
      upsert({ id: 'a', position: 4, group: 'g' }), // older than what the snapshot holds: dropped
      upsert({ id: 'x', position: 11, group: 'other' }), // never visible: nothing
      remove('x', 12), // never held: nothing
      upsert({ id: 'b', position: 13, group: 'g' }),
      upsert({ id: 'a', position: 14, group: 'other' }), // left the visible set
      upsert({ id: 'b', position: 13, group: 'g' }), // the same change again: dropped
      remove('b', 15),
    );
    const messages = await take(list, 3);
    expect(messages).toEqual([
      { kind: 'UPSERTED', items: [{ id: 'b', position: 13, group: 'g' }], removedIds: [], position: 13 },
      { kind: 'REMOVED', items: [], removedIds: ['a'], position: 14 },
      { kind: 'REMOVED', items: [], removedIds: ['b'], position: 15 },
    ]);
    expect([...feed.held]).toEqual([]);
    list.close();
    expect(feed.closed).toBe(true);
  });

  it('sends only the first items in a SNAPSHOT cut to snapshotItems, and still follows every match', async () => {
    const feed = new ScriptedFeed();
    const docs = ['c', 'a', 'b'].map((id, i) => ({ id, position: i + 1, group: 'g' }));
    const list = await LiveList.open(source(feed, [() => page(docs, 10, null)]), limits, {
      snapshotItems: 1,
    });
    const [snapshot] = await take(list, 1);
    expect(snapshot).toMatchObject({ kind: 'SNAPSHOT', position: 10 });
    expect(ids(snapshot)).toEqual(['a']);
    expect([...feed.held].sort()).toEqual(['a', 'b', 'c']);
    // c was left out of the snapshot: its change and its leaving are sent all the same.
    feed.deliver(upsert({ id: 'c', position: 11, group: 'g', note: 'edited' }), remove('b', 12));
    expect(await take(list, 2)).toEqual([
      {
        kind: 'UPSERTED',
        items: [{ id: 'c', position: 11, group: 'g', note: 'edited' }],
        removedIds: [],
        position: 11,
      },
      { kind: 'REMOVED', items: [], removedIds: ['b'], position: 12 },
    ]);
    list.close();
  });

  it('settles late news of an item the snapshot did not hold by its current state', async () => {
    const feed = new ScriptedFeed();
    const current = new Map<string, Doc>();
    const list = await LiveList.open(
      source(
        feed,
        [
          () => page([{ id: 'a', position: 5, group: 'g' }], 10, 'a'),
          // Read at 20: e was created at 15 and deleted at 18, but the feed has not told us yet.
          () => page([], 20, null),
        ],
        current,
      ),
      limits,
    );
    await take(list, 1);
    feed.deliver(
      upsert({ id: 'e', position: 15, group: 'g' }),
      remove('e', 18),
      upsert({ id: 'f', position: 21, group: 'g' }),
    );
    const [next] = await take(list, 1);
    // e was gone by the snapshot's position: the subscriber never hears of it.
    expect(next).toMatchObject({ kind: 'UPSERTED', position: 21 });
    expect(ids(next)).toEqual(['f']);
    list.close();
  });

  it('adds an item when time alone makes it match (a deferred task whose follow-up date comes)', async () => {
    const feed = new ScriptedFeed();
    const dueAt = Date.now() + 30;
    const list = await LiveList.open(
      source(feed, [() => page([{ id: 'later', position: 5, group: 'g', dueAt }], 10, null)], new Map(), {
        matches: (doc, now) => doc.group === 'g' && (doc.dueAt ?? 0) <= now,
        matchesFrom: (doc, now) => ((doc.dueAt ?? 0) > now ? doc.dueAt! : null),
      }),
      limits,
    );
    const [snapshot, due] = await take(list, 2);
    expect(ids(snapshot)).toEqual([]);
    expect(due).toMatchObject({ kind: 'UPSERTED', position: 10 });
    expect(ids(due)).toEqual(['later']);
    list.close();
  });

  it('ends with SUBSCRIBER_TOO_SLOW instead of queueing without bound', async () => {
    const feed = new ScriptedFeed();
    const list = await LiveList.open(source(feed, [() => page([], 1, null)]), {
      ...limits,
      maxQueuedChanges: 3,
    });
    feed.deliver(...[2, 3, 4, 5, 6].map((p) => upsert({ id: `t${p}`, position: p, group: 'g' })));
    await new Promise((r) => setImmediate(r));
    const first = await list.next();
    expect(first.value).toBeInstanceOf(Error);
    expect((first.value as { extensions: { code: string } }).extensions.code).toBe('SUBSCRIBER_TOO_SLOW');
    expect((await list.next()).done).toBe(true);
    expect(feed.closed).toBe(true);
  });

  it('refuses a snapshot larger than the limit', async () => {
    const feed = new ScriptedFeed();
    const docs = [1, 2, 3].map((i) => ({ id: `t${i}`, position: i, group: 'g' }));
    await expect(
      LiveList.open(source(feed, [() => page(docs, 3, null)]), { ...limits, maxSnapshotItems: 2 }),
    ).rejects.toThrow(/more than 2 items match/);
    expect(feed.closed).toBe(true);
  });

  it('re-reads its snapshot when the feed loses its place and sends only the differences', async () => {
    const feed = new ScriptedFeed();
    const src = source(feed, [
      () =>
        page(
          [
            { id: 'a', position: 3, group: 'g' },
            { id: 'b', position: 4, group: 'g' },
            { id: 'c', position: 5, group: 'g' },
            { id: 'f', position: 6, group: 'g', note: 'old' },
          ],
          10,
          null,
        ),
      // Read after the loss: b changed, c left, d came, f was rebuilt with other content at the
      // same position, a is as it was.
      () =>
        page(
          [
            { id: 'a', position: 3, group: 'g' },
            { id: 'b', position: 15, group: 'g' },
            { id: 'd', position: 16, group: 'g' },
            { id: 'f', position: 6, group: 'g', note: 'rebuilt' },
          ],
          20,
          null,
        ),
    ]);
    const list = await LiveList.open(src, { ...limits, pageSize: 10 });
    const [snapshot] = await take(list, 1);
    expect(ids(snapshot)).toEqual(['a', 'b', 'c', 'f']);
    const lost = feed.listener;
    feed.lose();
    const differences = await take(list, 4);
    expect(differences).toEqual([
      { kind: 'UPSERTED', items: [{ id: 'b', position: 15, group: 'g' }], removedIds: [], position: 20 },
      { kind: 'UPSERTED', items: [{ id: 'd', position: 16, group: 'g' }], removedIds: [], position: 20 },
      {
        kind: 'UPSERTED',
        items: [{ id: 'f', position: 6, group: 'g', note: 'rebuilt' }],
        removedIds: [],
        position: 20,
      },
      { kind: 'REMOVED', items: [], removedIds: ['c'], position: 20 },
    ]);
    // A fresh subscription after the new snapshot, holding what the list now holds.
    expect(feed.listener).not.toBe(lost);
    expect(feed.after).toBe(20);
    expect([...feed.held].sort()).toEqual(['a', 'b', 'd', 'f']);
    // The old subscription's late news is ignored; the new one's is applied once.
    lost!.next([upsert({ id: 'z', position: 21, group: 'g' })]);
    feed.deliver(
      upsert({ id: 'a', position: 22, group: 'g' }),
      upsert({ id: 'b', position: 15, group: 'g' }),
    );
    const [next] = await take(list, 1);
    expect(next).toEqual({
      kind: 'UPSERTED',
      items: [{ id: 'a', position: 22, group: 'g' }],
      removedIds: [],
      position: 22,
    });
    list.close();
  });

  it('starts its snapshot again when the feed loses its place while the pages are read', async () => {
    const feed = new ScriptedFeed();
    const src = source(feed, [
      () => page([{ id: 'a', position: 3, group: 'g' }], 10, 'a'),
      () => {
        feed.lose();
        return page([{ id: 'b', position: 4, group: 'g' }], 11, null);
      },
      () =>
        page(
          [
            { id: 'a', position: 3, group: 'g' },
            { id: 'b', position: 12, group: 'g' },
          ],
          12,
          null,
        ),
    ]);
    const list = await LiveList.open(src, { ...limits, pageSize: 10 });
    const [snapshot] = await take(list, 1);
    expect(snapshot).toMatchObject({ kind: 'SNAPSHOT', position: 12 });
    expect(ids(snapshot)).toEqual(['a', 'b']);
    expect(feed.after).toBe(12);
    list.close();
  });
});
