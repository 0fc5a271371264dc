import { Logger } from '@nestjs/common';
import type { Collection, Document } from 'mongodb';
import {
  ChangeFeedPositionUnavailableError,
  type ChangeListener,
  type ChangeSubscription,
  type ChangeSubscriptionRequest,
  type ViewChange,
} from '../view-store.port';
import { type ViewName, VIEW_NAMES } from '../view.types';
import { deliverLater } from '../change-delivery';
import { CollectionWatch } from './collection-watch';
import { decodeDocument, type StoredMeta, type ViewRecord } from './mongo.view-documents';

/** Positions remembered per subscriber to drop doubles; the oldest are forgotten beyond this. */
const DELIVERED_LIMIT = 100_000;

interface Subscriber {
  views: ReadonlySet<ViewName>;
  listener: ChangeListener;
  after: number;
  closed: boolean;
  /** Stream changes held back while the backlog is read. */
  buffer: ViewChange[] | undefined;
  /** The position delivered last per document (`view/id`): a change at or below it is a double. */
  delivered: Map<string, number>;
}

/**
 * The change feed of the MongoDB view store: one change stream per live view collection, shared by
 * every subscriber of the process, whether or not the process projects.
 *
 * A subscription after position P reads, once the streams are open, every document and tombstone
 * whose `position` is above P (the backlog), then the streams' changes. A document may come twice
 * (in the backlog and on the stream, or twice from the stream when MongoDB looked up a newer
 * version): each subscriber drops a change whose position is not above the one it got last for that
 * document. No global order across documents is assumed. When a stream ends and cannot resume, or
 * another process switched the view to a rebuilt copy ({@link reopen}), every subscriber of its
 * view gets {@link ChangeFeedPositionUnavailableError} and re-reads a snapshot; the stream is opened
 * again (on the collection the view's pointer names then) for the next subscribers.
 */
export class MongoChangeFeed {
  private readonly logger = new Logger('MongoViewStore');
  private readonly watches = new Map<ViewName, Promise<CollectionWatch<ViewRecord>>>();
  private readonly subscribers = new Set<Subscriber>();
  private closed = false;

  /**
   * @param collectionOf the live collection of a view, as the process knows it now
   * @param refresh re-reads which collection is live before the subscribers of a lost stream re-read
   *   (a drop of the old collection may arrive before the news of the switch)
   */
  constructor(
    private readonly collectionOf: (view: ViewName) => Collection<ViewRecord>,
    private readonly refresh: (view: ViewName) => Promise<void> = async () => undefined,
  ) {}

  async subscribe(request: ChangeSubscriptionRequest, listener: ChangeListener): Promise<ChangeSubscription> {
    if (!Number.isInteger(request.after) || request.after < 0) {
      throw new RangeError(`after: must be an integer >= 0, got ${String(request.after)}`);
    }
    const views = new Set<ViewName>(request.views ?? VIEW_NAMES);
    for (const view of views) {
      if (!VIEW_NAMES.includes(view)) throw new RangeError(`views: unknown view '${String(view)}'`);
    }
    await Promise.all([...views].map((view) => this.watch(view)));
    const subscriber: Subscriber = {
      views,
      listener,
      after: request.after,
      closed: false,
      buffer: [],
      delivered: new Map(),
    };
    this.subscribers.add(subscriber);
    try {
      const backlog: ViewChange[] = [];
      for (const view of views) backlog.push(...(await this.backlog(view, request.after)));
      const held = subscriber.buffer!;
      subscriber.buffer = undefined;
      this.deliver(subscriber, [...backlog, ...held]);
    } catch (error) {
      this.subscribers.delete(subscriber);
      throw error;
    }
    return {
      close: () => {
        subscriber.closed = true;
        this.subscribers.delete(subscriber);
      },
    };
  }

  /**
   * Tells the subscribers of `view` that its live collection changed (a replay was promoted): the
   * stream moves to the new collection and `changes` (where the two differ) are delivered as they
   * are, without the double check, since positions restart with the new copy.
   */
  async switchCollection(view: ViewName, changes: ViewChange[]): Promise<void> {
    const previous = this.watches.get(view);
    this.watches.delete(view);
    if (previous) await (await previous.catch(() => undefined))?.close();
    await this.watch(view);
    for (const subscriber of this.subscribers) {
      if (!subscriber.views.has(view) || changes.length === 0) continue;
      for (const change of changes) subscriber.delivered.set(`${view}/${change.id}`, change.position);
      if (subscriber.buffer) subscriber.buffer.push(...changes);
      else this.emit(subscriber, changes);
    }
  }

  /**
   * The live collection of `view` changed under this process (another process promoted a copy):
   * the stream of the old collection is closed and the subscribers re-read their snapshots.
   */
  async reopen(view: ViewName, reason: string): Promise<void> {
    const previous = this.watches.get(view);
    this.watches.delete(view);
    if (previous) await (await previous.catch(() => undefined))?.close();
    this.loseSubscribers(view, reason);
  }

  /** Ends the stream of `view` as a lost resume token would (see {@link CollectionWatch.interrupt}). */
  async interrupt(view: ViewName): Promise<void> {
    await (await this.watches.get(view)?.catch(() => undefined))?.interrupt();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.subscribers) s.closed = true;
    this.subscribers.clear();
    const watches = [...this.watches.values()];
    this.watches.clear();
    await Promise.all(watches.map(async (w) => (await w.catch(() => undefined))?.close()));
  }

  /** The open stream of a view's live collection, opened on first use. */
  private watch(view: ViewName): Promise<CollectionWatch<ViewRecord>> {
    let watch = this.watches.get(view);
    if (!watch) {
      const collection = this.collectionOf(view);
      const created: CollectionWatch<ViewRecord> = new CollectionWatch(
        collection,
        (document) => this.onDocument(view, document),
        (error) => this.onEnd(view, created, error),
      );
      watch = created.open().then(() => created);
      watch.catch(() => this.watches.delete(view));
      this.watches.set(view, watch);
    }
    return watch;
  }

  private async backlog(view: ViewName, after: number): Promise<ViewChange[]> {
    const stored = await this.collectionOf(view)
      .find({ position: { $gt: after } })
      .sort({ position: 1, _id: 1 })
      .toArray();
    return stored.map((d) => changeOf(view, d)).filter((c): c is ViewChange => c !== null);
  }

  private onDocument(view: ViewName, document: Document): void {
    const change = changeOf(view, document);
    if (!change) return;
    for (const subscriber of this.subscribers) {
      if (!subscriber.views.has(view)) continue;
      if (subscriber.buffer) subscriber.buffer.push(change);
      else this.deliver(subscriber, [change]);
    }
  }

  private onEnd(view: ViewName, watch: CollectionWatch<ViewRecord>, error: Error | undefined): void {
    if (this.closed) return;
    const current = this.watches.get(view);
    void (async () => {
      if (current && (await current.catch(() => undefined)) === watch) {
        if (this.watches.get(view) === current) this.watches.delete(view);
      }
      await this.refresh(view).catch((refreshError: Error) =>
        this.logger.warn(
          `VIEWSTORE-206 view ${view}: cannot re-read its live pointer: ${refreshError.message}`,
        ),
      );
      this.loseSubscribers(view, error?.message ?? 'the stream ended');
    })();
  }

  /** Every subscriber of `view` is told that its place is lost, and re-reads a snapshot. */
  private loseSubscribers(view: ViewName, reason: string): void {
    if (this.closed) return;
    const lost = new ChangeFeedPositionUnavailableError(0, 0);
    lost.message = `${lost.message} (${reason})`;
    for (const subscriber of [...this.subscribers]) {
      if (!subscriber.views.has(view)) continue;
      subscriber.closed = true;
      this.subscribers.delete(subscriber);
      this.logger.warn(
        `VIEWSTORE-202 change feed of ${view} lost its stream: the subscriber re-reads a snapshot`,
      );
      subscriber.listener.error?.(lost);
    }
  }

  /** Delivers the changes the subscriber has not had yet, in position order. */
  private deliver(subscriber: Subscriber, changes: readonly ViewChange[]): void {
    const fresh: ViewChange[] = [];
    for (const change of [...changes].sort((a, b) => a.position - b.position)) {
      if (change.position <= subscriber.after) continue;
      const key = `${change.view}/${change.id}`;
      const seen = subscriber.delivered.get(key);
      if (seen !== undefined && change.position <= seen) continue;
      subscriber.delivered.delete(key);
      subscriber.delivered.set(key, change.position);
      fresh.push(change);
    }
    while (subscriber.delivered.size > DELIVERED_LIMIT) {
      subscriber.delivered.delete(subscriber.delivered.keys().next().value as string);
    }
    if (fresh.length > 0) this.emit(subscriber, fresh);
  }

  private emit(subscriber: Subscriber, changes: ViewChange[]): void {
    deliverLater(subscriber, changes);
  }
}

/**
 * The change a stored document or tombstone stands for, with the trace of the projection that wrote it
 * (`_t`, tracing on); null for a tombstone of nothing.
 */
export function changeOf(view: ViewName, stored: Document): ViewChange | null {
  const meta = stored as StoredMeta;
  let change: ViewChange;
  if (meta._r) {
    if (!meta._last) return null;
    change = { kind: 'removed', view, position: meta.position, id: meta._id, last: meta._last } as ViewChange;
  } else {
    change = {
      kind: 'upserted',
      view,
      position: meta.position,
      id: meta._id,
      document: decodeDocument(stored),
    } as ViewChange;
  }
  if (typeof meta._t?.traceparent === 'string') change.trace = meta._t;
  return change;
}
