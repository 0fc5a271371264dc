import {
  ChangeFeedPositionUnavailableError,
  type ChangeSubscription,
  type ViewChange,
  type ViewChangeFeed,
  type ViewDocuments,
  type ViewName,
  type Viewer,
} from '@eddy/projections';
import { Logger } from '@nestjs/common';
import type { LiveChangeListener, LiveChangeSource, LiveChangeSubscription } from './live-list';

/**
 * Who may see a document: the users and groups named on it, and for a task without candidates the starters
 * of its process (the viewers whose `startableProcesses` hold one of `processes`).
 */
export interface Audience {
  users: readonly (string | null)[];
  groups: readonly string[];
  processes?: readonly string[];
}

interface HubSubscriber {
  viewer: Viewer;
  /** Only changes after this position. */
  after: number;
  listener: LiveChangeListener;
  /** Ids the subscriber's list holds. */
  held: Set<string>;
  closed: boolean;
}

/**
 * One change feed subscription per view for every live list of this process, with routing: a
 * change goes only to the lists whose subscriber may see the document (by its users and groups)
 * and to the lists that hold it. With a thousand lists open, a change is then looked at by the
 * few lists it concerns instead of by all of them.
 *
 * Keeps the last `historyLimit` changes, so a list can start from the position of its first
 * snapshot page although the hub was already running.
 */
export class ChangeHub<V extends ViewName> {
  private readonly logger = new Logger('Tasklist');
  private starting: Promise<void> | null = null;
  private subscription: ChangeSubscription | null = null;
  /** The hub has received every change up to here. */
  private position = 0;
  /** The history can serve subscriptions after this position. */
  private historyStart = 0;
  private history: ViewChange[] = [];
  private readonly byUser = new Map<string, Set<HubSubscriber>>();
  private readonly byGroup = new Map<string, Set<HubSubscriber>>();
  private readonly byProcess = new Map<string, Set<HubSubscriber>>();
  private readonly holders = new Map<string, Set<HubSubscriber>>();

  constructor(
    private readonly feed: ViewChangeFeed,
    private readonly view: V,
    private readonly audience: (document: ViewDocuments[V]) => Audience,
    private readonly historyLimit = 10_000,
  ) {}

  /** The change source of one subscriber's live lists. */
  sourceFor(viewer: Viewer): LiveChangeSource {
    return { subscribe: (after, listener) => this.subscribe(viewer, after, listener) };
  }

  private start(): Promise<void> {
    this.starting ??= (async () => {
      const checkpoint = await this.feed.checkpoint(this.view);
      this.position = checkpoint;
      this.historyStart = checkpoint;
      this.subscription = await this.feed.subscribe(
        { after: checkpoint, views: [this.view] },
        { next: (changes) => this.route(changes), error: (error) => this.fail(error) },
      );
    })().catch((error: unknown) => {
      this.starting = null;
      throw error;
    });
    return this.starting;
  }

  private async subscribe(
    viewer: Viewer,
    after: number,
    listener: LiveChangeListener,
  ): Promise<LiveChangeSubscription> {
    await this.start();
    if (after < this.historyStart) throw new ChangeFeedPositionUnavailableError(after, this.historyStart);
    const subscriber: HubSubscriber = { viewer, after, listener, held: new Set(), closed: false };
    add(this.byUser, viewer.userId, subscriber);
    for (const group of viewer.groups) add(this.byGroup, group, subscriber);
    for (const key of viewer.startableProcesses ?? []) add(this.byProcess, key, subscriber);
    // Delivered now, before any later change can be routed to it: order is kept.
    const backlog = this.history.filter((c) => c.position > after && this.concerns(c, subscriber));
    if (backlog.length > 0) listener.next(backlog);
    return {
      close: () => this.unsubscribe(subscriber),
      hold: (id) => {
        subscriber.held.add(id);
        add(this.holders, id, subscriber);
      },
      release: (id) => {
        subscriber.held.delete(id);
        remove(this.holders, id, subscriber);
      },
    };
  }

  private unsubscribe(subscriber: HubSubscriber): void {
    subscriber.closed = true;
    remove(this.byUser, subscriber.viewer.userId, subscriber);
    for (const group of subscriber.viewer.groups) remove(this.byGroup, group, subscriber);
    for (const key of subscriber.viewer.startableProcesses ?? []) remove(this.byProcess, key, subscriber);
    for (const id of subscriber.held) remove(this.holders, id, subscriber);
    subscriber.held.clear();
  }

  private concerns(change: ViewChange, subscriber: HubSubscriber): boolean {
    if (this.holders.get(change.id)?.has(subscriber)) return true;
    const { users, groups, processes = [] } = this.audienceOf(change);
    const viewer = subscriber.viewer;
    return (
      users.includes(viewer.userId) ||
      groups.some((g) => viewer.groups.includes(g)) ||
      processes.some((p) => (viewer.startableProcesses ?? []).includes(p))
    );
  }

  private audienceOf(change: ViewChange): Audience {
    return this.audience((change.kind === 'upserted' ? change.document : change.last) as ViewDocuments[V]);
  }

  /** Hands each change to the subscribers it concerns, one batch per subscriber, in order. */
  private route(changes: readonly ViewChange[]): void {
    const batches = new Map<HubSubscriber, ViewChange[]>();
    for (const change of changes) {
      this.history.push(change);
      this.position = Math.max(this.position, change.position);
      const targets = new Set<HubSubscriber>();
      const { users, groups, processes = [] } = this.audienceOf(change);
      for (const user of users) if (user !== null) this.byUser.get(user)?.forEach((s) => targets.add(s));
      for (const group of groups) this.byGroup.get(group)?.forEach((s) => targets.add(s));
      for (const key of processes) this.byProcess.get(key)?.forEach((s) => targets.add(s));
      this.holders.get(change.id)?.forEach((s) => targets.add(s));
      for (const target of targets) {
        if (change.position <= target.after) continue;
        let batch = batches.get(target);
        if (!batch) batches.set(target, (batch = []));
        batch.push(change);
      }
    }
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.historyStart = dropped[dropped.length - 1].position;
    }
    for (const [subscriber, batch] of batches) {
      if (subscriber.closed) continue;
      try {
        subscriber.listener.next(batch);
      } catch (error) {
        this.logger.error(`TASKLIST-202 live ${this.view} list failed on a change: ${String(error)}`);
      }
    }
  }

  /**
   * The feed ended. Every list is told; on a `ChangeFeedPositionUnavailableError` (a stream that
   * could not resume, a view switched to a rebuilt copy) the lists re-read their snapshots and
   * subscribe again, which starts the hub afresh.
   */
  private fail(error: Error): void {
    if (error instanceof ChangeFeedPositionUnavailableError) {
      this.logger.warn(
        `TASKLIST-203 change feed of ${this.view} lost its place, the live lists re-read their snapshots: ${error.message}`,
      );
    } else {
      this.logger.error(`TASKLIST-203 change feed of ${this.view} failed: ${error.message}`);
    }
    const subscribers = new Set<HubSubscriber>();
    for (const set of this.byUser.values()) set.forEach((s) => subscribers.add(s));
    this.subscription = null;
    this.starting = null;
    this.history = [];
    for (const s of subscribers) s.listener.error(error);
  }

  close(): void {
    this.subscription?.close();
    this.subscription = null;
    this.starting = null;
  }
}

function add<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

function remove<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (set?.delete(value) && set.size === 0) map.delete(key);
}
