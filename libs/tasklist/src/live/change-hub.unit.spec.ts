import {
  ChangeFeedPositionUnavailableError,
  type ChangeListener,
  type ChangeSubscriptionRequest,
  type TaskView,
  type ViewChange,
  type ViewChangeFeed,
} from '@eddy/projections';
import { describe, expect, it } from '@jest/globals';
import { ChangeHub } from './change-hub';

class FakeFeed implements ViewChangeFeed {
  listener: ChangeListener | null = null;
  subscriptions = 0;
  async subscribe(_request: ChangeSubscriptionRequest, listener: ChangeListener) {
    this.subscriptions++;
    this.listener = listener;
    return { close: () => (this.listener = null) };
  }
  async waitForPosition(): Promise<void> {}
  async checkpoint(): Promise<number> {
    return 5;
  }
}

const task = (id: string, position: number, groups: string[], assignee: string | null = null): ViewChange =>
  ({
    kind: 'upserted',
    view: 'tasks',
    id,
    position,
    document: { id, position, candidateGroups: groups, candidateUsers: [], assignee } as unknown as TaskView,
  }) as ViewChange;

const collector = () => {
  const got: number[] = [];
  return {
    got,
    listener: {
      next: (cs: readonly ViewChange[]) => got.push(...cs.map((c) => c.position)),
      error: () => undefined,
    },
  };
};

describe('ChangeHub', () => {
  const hub = (feed: FakeFeed, historyLimit = 100) =>
    new ChangeHub(
      feed,
      'tasks',
      (t) => ({ users: [t.assignee, ...t.candidateUsers], groups: t.candidateGroups }),
      historyLimit,
    );

  it('shares one feed subscription and routes a change only to subscribers who may see it or hold it', async () => {
    const feed = new FakeFeed();
    const h = hub(feed);
    const sales = collector();
    const support = collector();
    const salesSub = await h.sourceFor({ userId: 'ann', groups: ['sales'] }).subscribe(5, sales.listener);
    await h.sourceFor({ userId: 'bob', groups: ['support'] }).subscribe(5, support.listener);
    expect(feed.subscriptions).toBe(1);
    salesSub.hold('t-1');
    feed.listener!.next([task('t-1', 6, ['sales']), task('t-2', 7, ['support']), task('t-3', 8, [], 'bob')]);
    // t-1 moves to support: ann still hears of it because her list holds it.
    feed.listener!.next([task('t-1', 9, ['support'])]);
    expect(sales.got).toEqual([6, 9]);
    expect(support.got).toEqual([7, 8, 9]);
    salesSub.release('t-1');
    feed.listener!.next([task('t-1', 10, ['support'])]);
    expect(sales.got).toEqual([6, 9]);
  });

  it('routes a change of a task without candidates to the subscribers who may start its process', async () => {
    const feed = new FakeFeed();
    const h = new ChangeHub(feed, 'tasks', (t) => ({
      users: [],
      groups: [],
      processes: t.processDefinitionKey ? [t.processDefinitionKey] : [],
    }));
    const starter = collector();
    const other = collector();
    await h
      .sourceFor({ userId: 'ann', groups: [], startableProcesses: ['order'] })
      .subscribe(5, starter.listener);
    await h
      .sourceFor({ userId: 'bob', groups: [], startableProcesses: ['claim'] })
      .subscribe(5, other.listener);
    const open = task('t-1', 6, []);
    (open as { document: TaskView }).document.processDefinitionKey = 'order';
    feed.listener!.next([open]);
    expect(starter.got).toEqual([6]);
    expect(other.got).toEqual([]);
  });

  it('replays its history after a subscriber position and refuses one older than the history', async () => {
    const feed = new FakeFeed();
    const h = hub(feed, 2);
    await h.sourceFor({ userId: 'x', groups: [] }).subscribe(5, collector().listener);
    feed.listener!.next([task('a', 6, ['g']), task('b', 7, ['g']), task('c', 8, ['g'])]);
    const late = collector();
    await h.sourceFor({ userId: 'y', groups: ['g'] }).subscribe(7, late.listener);
    expect(late.got).toEqual([8]);
    await expect(
      h.sourceFor({ userId: 'z', groups: ['g'] }).subscribe(5, collector().listener),
    ).rejects.toBeInstanceOf(ChangeFeedPositionUnavailableError);
  });
});
