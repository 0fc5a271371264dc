import {
  ChangeFeedPositionUnavailableError,
  type Page,
  type ViewChange,
  type ViewName,
} from '@eddy/projections';
import { startSpan } from '@eddy/observability';
import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { tasklistError } from '../tasklist.errors';

/** A view document as a live list needs it: an id and the position of its last change. */
export interface LiveDocument {
  id: string;
  position: number;
}

/** Receives the changes of one view after a position, in position order. */
export interface LiveChangeListener {
  next(changes: readonly ViewChange[]): void;
  error(error: Error): void;
}

/** A subscription to a {@link LiveChangeSource}; `hold`/`release` say which ids the list holds. */
export interface LiveChangeSubscription {
  close(): void;
  hold(id: string): void;
  release(id: string): void;
}

/**
 * Where a live list takes its changes from: every change of its view after `after` that the list
 * could care about (changes of documents its subscriber may see, and of documents it holds).
 * Rejects with `ChangeFeedPositionUnavailableError` when `after` is older than what it can deliver.
 */
export interface LiveChangeSource {
  subscribe(after: number, listener: LiveChangeListener): Promise<LiveChangeSubscription>;
}

/** What one live list reads and how it decides membership. */
export interface LiveListSource<T extends LiveDocument> {
  view: ViewName;
  changes: LiveChangeSource;
  /** One page of the snapshot query; `position` says which changes the page reflects. */
  readPage(first: number, after: string | null): Promise<Page<T>>;
  /** The current state of documents by id (null where gone or not visible), in order. */
  readMany(ids: readonly string[]): Promise<(T | null)[]>;
  /** The document belongs to the list at `now`: visible to the subscriber and matching the filter. */
  matches(document: T, now: number): boolean;
  /**
   * When a document that does not match yet will match by the passing of time alone (a deferred
   * task whose follow-up date comes), that time in epoch milliseconds; otherwise null.
   */
  matchesFrom?(document: T, now: number): number | null;
  /** The order of the SNAPSHOT. */
  compare(a: T, b: T): number;
}

export type LiveListMessage<T> =
  | { kind: 'SNAPSHOT'; items: T[]; removedIds: string[]; position: number }
  | { kind: 'UPSERTED'; items: T[]; removedIds: string[]; position: number }
  | { kind: 'REMOVED'; items: T[]; removedIds: string[]; position: number };

/** What one subscriber asked of its list beyond the filter. */
export interface LiveListRequest {
  /** At most this many documents in the SNAPSHOT (the first in its order); all when undefined. */
  snapshotItems?: number;
}

export interface LiveListLimits {
  /** Page size of the snapshot reads. */
  pageSize: number;
  maxSnapshotItems: number;
  maxQueuedChanges: number;
}

/** Longest single timer; later wake-ups are re-armed (setTimeout's limit is about 24.8 days). */
const MAX_TIMER_MS = 24 * 60 * 60 * 1000;

/** How many held documents are fingerprinted in one go. */
const FINGERPRINT_BATCH = 500;

/** What a live list knows of a document its subscriber holds. */
interface Held {
  position: number;
  /** Null until taken; `document` is kept until then. */
  fingerprint: string | null;
  document: LiveDocument | null;
}

/**
 * A live list: one SNAPSHOT of every matching document, then UPSERTED and REMOVED in position
 * order, nothing lost or doubled in between.
 *
 * How the gap is closed: read the first page (at position P1) and subscribe to the changes after
 * P1, buffering; read the remaining pages (each at some Pi >= P1); then apply the buffered changes
 * at or below P = max(Pi) to the collected documents, so the snapshot is the list as of P whatever
 * moved between the page reads; send it, then the buffered changes above P and every later one.
 * A document's own position makes every step idempotent (a change at or below it is old news).
 * The feed may deliver a change at or below P after a page already reflected it; for a document
 * the snapshot does not hold, such late news is settled by reading the document's current state.
 *
 * When the feed loses its place (`ChangeFeedPositionUnavailableError`: a change stream that could
 * not resume, or a view switched to a rebuilt copy), the list reads a fresh snapshot the same way
 * and sends the subscriber only the differences from what it holds, as UPSERTED and REMOVED: a held
 * document is sent again only when its position or its content (a fingerprint) changed.
 */
export class LiveList<T extends LiveDocument> implements AsyncIterableIterator<LiveListMessage<T> | Error> {
  private static readonly logger = new Logger('Tasklist');
  private readonly queue: (LiveListMessage<T> | Error)[] = [];
  private waiter: ((result: IteratorResult<LiveListMessage<T> | Error>) => void) | null = null;
  private subscription: LiveChangeSubscription | null = null;
  private live = false;
  private closed = false;
  /** No more messages will be queued: an error ended the list, or it was closed. */
  private ending = false;
  /** Changes waiting to be applied (before the snapshot is sent, or behind a read). */
  private backlog: ViewChange[] = [];
  private backlogHead = 0;
  /** A change is being settled by a read: later changes wait behind it. */
  private settling = false;
  /**
   * Ids the subscriber holds, with the position and the fingerprint of the version it holds. The
   * fingerprint is taken after the message that sent the version (see {@link hold}); until then the
   * entry keeps the document instead.
   */
  private readonly known = new Map<string, Held>();
  /** Held ids whose fingerprint is still to be taken, from `fingerprintHead` on. */
  private unprinted: string[] = [];
  private fingerprintHead = 0;
  private fingerprinting: NodeJS.Immediate | null = null;
  /** Documents that will match by time alone (deferred tasks), with when. */
  private readonly pending = new Map<string, { document: T; at: number }>();
  private timer: NodeJS.Timeout | null = null;
  private lastPosition = 0;
  private snapshotPosition = 0;
  /** Counts re-snapshots: a read that a later re-snapshot overtook is dropped. */
  private generation = 0;
  /** The feed lost its place while a snapshot was being read: that read must start again. */
  private lost: Error | null = null;

  private constructor(
    private readonly source: LiveListSource<T>,
    private readonly limits: LiveListLimits,
    private readonly request: LiveListRequest,
  ) {}

  /**
   * Takes the snapshot and subscribes; the first message of the returned list is the SNAPSHOT.
   * With `request.snapshotItems` the SNAPSHOT holds only the first documents, while the list still
   * follows every matching one: a client that pages through the list with queries gets the
   * changes of all of them without receiving them all first.
   */
  static async open<T extends LiveDocument>(
    source: LiveListSource<T>,
    limits: LiveListLimits,
    request: LiveListRequest = {},
  ): Promise<LiveList<T>> {
    for (let attempt = 1; ; attempt++) {
      const list = new LiveList(source, limits, request);
      try {
        await list.start();
        return list;
      } catch (error) {
        list.close();
        // The feed lost the snapshot's position while we read: read a fresh snapshot.
        if (error instanceof ChangeFeedPositionUnavailableError && attempt < 3) continue;
        throw error;
      }
    }
  }

  private async start(): Promise<void> {
    const { documents, position, later } = await this.readSnapshot();
    const now = Date.now();
    const items: T[] = [];
    for (const document of documents.values()) {
      if (this.source.matches(document, now)) {
        items.push(document);
        this.hold(document, document.position);
      } else {
        this.watchPending(document, now);
      }
    }
    items.sort((a, b) => this.source.compare(a, b));
    const { snapshotItems } = this.request;
    if (snapshotItems !== undefined) items.length = Math.min(items.length, snapshotItems);
    this.snapshotPosition = position;
    this.lastPosition = position;
    this.push({ kind: 'SNAPSHOT', items, removedIds: [], position });
    this.goLive(later);
  }

  /**
   * Subscribes and reads every page (see the class comment): the documents as of position P, and
   * the buffered changes above P, to be applied once the list is live.
   */
  private async readSnapshot(): Promise<{
    documents: Map<string, T>;
    position: number;
    later: ViewChange[];
  }> {
    const { pageSize, maxSnapshotItems } = this.limits;
    let page = await this.source.readPage(pageSize, null);
    const generation = this.generation;
    this.subscription = await this.source.changes.subscribe(page.position, {
      next: (changes) => {
        if (generation === this.generation) this.onChanges(changes);
      },
      error: (error) => {
        if (generation === this.generation) this.onFeedError(error);
      },
    });
    const documents = new Map<string, T>();
    let position = page.position;
    for (;;) {
      for (const node of page.nodes) {
        const held = documents.get(node.id);
        if (!held || held.position < node.position) documents.set(node.id, node);
      }
      if (documents.size > maxSnapshotItems) {
        throw tasklistError(
          'BAD_USER_INPUT',
          `filter: more than ${maxSnapshotItems} items match; narrow the filter of the subscription`,
          { field: 'filter' },
        );
      }
      if (!page.pageInfo.hasNextPage || this.ending) break;
      page = await this.source.readPage(pageSize, page.pageInfo.endCursor);
      position = Math.max(position, page.position);
    }
    // Changes up to P that happened between the page reads. A document that no page held may
    // have been read after a change that the feed delivers only now: its current state settles it.
    const buffered = this.takeBacklog();
    const unsettled = new Set<string>();
    for (const change of buffered) {
      if (change.position > position) continue;
      const held = documents.get(change.id);
      if (held && held.position >= change.position) continue;
      if (held) {
        if (change.kind === 'upserted') documents.set(change.id, change.document as unknown as T);
        else documents.delete(change.id);
      } else if (change.kind === 'upserted') unsettled.add(change.id);
    }
    await this.settle([...unsettled], documents);
    if (this.lost) {
      const lost = this.lost;
      this.lost = null;
      throw lost;
    }
    return { documents, position, later: buffered.filter((c) => c.position > position) };
  }

  /** From here on changes are handled as they arrive; those that came meanwhile go first. */
  private goLive(later: ViewChange[]): void {
    this.live = true;
    this.backlog = [...later, ...this.takeBacklog()];
    this.drain();
  }

  private onFeedError(error: Error): void {
    if (!(error instanceof ChangeFeedPositionUnavailableError)) return this.fail(error);
    // While a snapshot is read, that read starts again (LiveList.open or resnapshot retries).
    if (!this.live) this.lost = error;
    else void this.resnapshot(error);
  }

  /**
   * The feed lost its place: read a fresh snapshot on a fresh subscription and send the subscriber
   * the differences from what it holds, then go on live. Gives up (ending the list with the error)
   * when the feed keeps losing its place.
   */
  private async resnapshot(cause: Error): Promise<void> {
    if (this.ending) return;
    LiveList.logger.warn(
      `TASKLIST-204 live ${this.source.view} list re-reads its snapshot: ${cause.message}`,
    );
    for (let attempt = 1; ; attempt++) {
      const generation = ++this.generation;
      this.live = false;
      this.settling = false;
      this.lost = null;
      this.subscription?.close();
      this.subscription = null;
      this.takeBacklog();
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      try {
        const { documents, position, later } = await this.readSnapshot();
        if (generation !== this.generation || this.ending) return;
        this.pushDifferences(documents, position);
        this.goLive(later);
        return;
      } catch (error) {
        if (generation !== this.generation || this.ending) return;
        if (error instanceof ChangeFeedPositionUnavailableError && attempt < 3) continue;
        this.fail(error instanceof Error ? error : new Error(String(error)));
        return;
      }
    }
  }

  /** After a re-read snapshot at `position`: UPSERTED for what is new or changed, REMOVED for what left. */
  private pushDifferences(documents: Map<string, T>, position: number): void {
    const before = new Map(this.known);
    this.known.clear();
    this.pending.clear();
    this.snapshotPosition = Math.max(this.snapshotPosition, position);
    this.lastPosition = Math.max(this.lastPosition, position);
    const now = Date.now();
    const changed: T[] = [];
    for (const document of documents.values()) {
      if (!this.source.matches(document, now)) {
        this.watchPending(document, now);
        continue;
      }
      const held = before.get(document.id);
      before.delete(document.id);
      this.hold(document, document.position);
      const current = this.known.get(document.id)!;
      if (!held || held.position < current.position || fingerprintHeld(held) !== fingerprintHeld(current))
        changed.push(document);
    }
    changed.sort((a, b) => this.source.compare(a, b));
    for (const document of changed) {
      this.push({ kind: 'UPSERTED', items: [document], removedIds: [], position: this.lastPosition });
    }
    if (before.size > 0) {
      this.push({ kind: 'REMOVED', items: [], removedIds: [...before.keys()], position: this.lastPosition });
    }
  }

  private takeBacklog(): ViewChange[] {
    const taken = this.backlog.slice(this.backlogHead);
    this.backlog = [];
    this.backlogHead = 0;
    return taken;
  }

  /** Reads the current state of documents whose state at the snapshot position is unknown. */
  private async settle(ids: string[], into: Map<string, T>): Promise<void> {
    if (ids.length === 0) return;
    const current = await this.source.readMany(ids);
    current.forEach((document, i) => {
      if (!document) return;
      const held = into.get(ids[i]);
      if (!held || held.position < document.position) into.set(ids[i], document);
    });
  }

  private onChanges(changes: readonly ViewChange[]): void {
    if (this.ending) return;
    for (const change of changes) this.backlog.push(change);
    if (this.backlog.length - this.backlogHead > this.limits.maxQueuedChanges) return this.overflow();
    if (this.live && !this.settling) this.drain();
  }

  /** Applies waiting changes in order; stops behind a change that needs a read and resumes after it. */
  private drain(): void {
    while (this.backlogHead < this.backlog.length && !this.ending) {
      const change = this.backlog[this.backlogHead++];
      if (this.apply(change, undefined) === 'settle') {
        this.settling = true;
        const generation = this.generation;
        this.source.readMany([change.id]).then(
          ([current]) => {
            if (generation !== this.generation) return;
            this.settling = false;
            this.apply(change, current ?? null);
            this.drain();
          },
          (error: unknown) => {
            if (generation === this.generation)
              this.fail(error instanceof Error ? error : new Error(String(error)));
          },
        );
        return;
      }
    }
    this.backlog = [];
    this.backlogHead = 0;
    this.arm();
  }

  /**
   * Applies one change. `settled` is the document's current state when a read settled it, null
   * when it is gone; undefined when no read was made. Returns 'settle' when a read is needed first.
   */
  private apply(change: ViewChange, settled: T | null | undefined): 'done' | 'settle' {
    const held = this.known.get(change.id)?.position;
    if (held !== undefined && held >= change.position) return 'done';
    const now = Date.now();
    let document = change.kind === 'upserted' ? (change.document as unknown as T) : null;
    let position = change.position;
    if (held === undefined && change.position <= this.snapshotPosition) {
      // Late news of a document the snapshot did not hold: only its current state says whether
      // it belongs to the list.
      if (!document || !this.source.matches(document, now)) return 'done';
      if (settled === undefined) return 'settle';
      if (settled === null || this.known.has(change.id)) return 'done';
      document = settled;
      position = Math.max(settled.position, this.lastPosition);
    }
    this.unwatchPending(change.id);
    this.lastPosition = Math.max(this.lastPosition, position);
    if (document && this.source.matches(document, now)) {
      this.hold(document, Math.max(document.position, change.position));
      this.pushChange(change, { kind: 'UPSERTED', items: [document], removedIds: [], position });
      return 'done';
    }
    if (document) this.watchPending(document, now);
    if (held !== undefined) {
      this.known.delete(change.id);
      if (!this.pending.has(change.id)) this.subscription?.release(change.id);
      this.pushChange(change, { kind: 'REMOVED', items: [], removedIds: [change.id], position });
    }
    return 'done';
  }

  /**
   * Pushes the message a change led to; with tracing on, in a span `push <view>` that continues the
   * trace of the projection's view write the change carries (`ViewChange.trace`), from whichever
   * process wrote it (MongoDB change streams carry it across processes).
   */
  private pushChange(change: ViewChange, message: LiveListMessage<T>): void {
    const { trace } = change;
    if (trace === undefined) return this.push(message);
    const span = startSpan(`push ${this.source.view}`, {
      parent: trace.traceparent,
      correlationId: trace.correlationId,
      kind: 'producer',
      attributes: {
        'eddy.document_id': change.id,
        'eddy.position': change.position,
        'eddy.change': message.kind,
      },
    });
    this.push(message);
    span?.end();
  }

  private hold(document: T, position: number): void {
    const id = document.id;
    if (!this.known.has(id) && !this.pending.has(id)) this.subscription?.hold(id);
    this.known.set(id, { position, fingerprint: null, document });
    this.unprinted.push(id);
    this.fingerprinting ??= setImmediate(() => this.fingerprintSome());
  }

  /**
   * Takes the fingerprints of held documents a batch at a time, between other work: a snapshot of
   * 10,000 documents would otherwise spend about as long hashing them as reading them before it
   * could be sent, for a comparison that only a re-read snapshot makes.
   */
  private fingerprintSome(): void {
    this.fingerprinting = null;
    const end = Math.min(this.fingerprintHead + FINGERPRINT_BATCH, this.unprinted.length);
    for (; this.fingerprintHead < end; this.fingerprintHead++) {
      const held = this.known.get(this.unprinted[this.fingerprintHead]);
      if (held) fingerprintHeld(held);
    }
    if (this.fingerprintHead < this.unprinted.length) {
      this.fingerprinting = setImmediate(() => this.fingerprintSome());
    } else {
      this.unprinted = [];
      this.fingerprintHead = 0;
    }
  }

  private watchPending(document: T, now: number): void {
    const at = this.source.matchesFrom?.(document, now) ?? null;
    if (at === null) return;
    if (!this.known.has(document.id) && !this.pending.has(document.id)) this.subscription?.hold(document.id);
    this.pending.set(document.id, { document, at });
  }

  private unwatchPending(id: string): void {
    if (this.pending.delete(id) && !this.known.has(id)) this.subscription?.release(id);
  }

  /** Arms the timer of the earliest pending document. */
  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.ending || this.pending.size === 0) return;
    let earliest = Infinity;
    for (const { at } of this.pending.values()) earliest = Math.min(earliest, at);
    const delay = Math.min(Math.max(earliest - Date.now(), 0), MAX_TIMER_MS);
    this.timer = setTimeout(() => this.wake(), delay);
    this.timer.unref();
  }

  private wake(): void {
    this.timer = null;
    if (this.settling) return; // drain() re-arms when the read is done
    const now = Date.now();
    for (const [id, { document, at }] of [...this.pending]) {
      if (at > now) continue;
      this.pending.delete(id);
      if (this.source.matches(document, now)) {
        this.hold(document, document.position);
        this.push({ kind: 'UPSERTED', items: [document], removedIds: [], position: this.lastPosition });
      } else if (!this.known.has(id)) {
        this.subscription?.release(id);
      }
    }
    this.arm();
  }

  private push(message: LiveListMessage<T> | Error): void {
    if (this.ending) return;
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = null;
      waiter({ value: message, done: false });
      return;
    }
    this.queue.push(message);
    if (this.queue.length > this.limits.maxQueuedChanges) this.overflow();
  }

  private overflow(): void {
    LiveList.logger.warn(
      `TASKLIST-201 live ${this.source.view} list: subscriber too slow, ending the subscription`,
    );
    this.queue.length = 0;
    this.fail(
      tasklistError(
        'SUBSCRIBER_TOO_SLOW',
        `more than ${this.limits.maxQueuedChanges} changes waited for this subscriber; subscribe again`,
      ),
    );
  }

  /** Ends the list with an error message (delivered after what is queued). */
  private fail(error: Error): void {
    if (this.ending) return;
    this.push(error);
    this.ending = true;
    this.stop();
  }

  private stop(): void {
    this.subscription?.close();
    this.subscription = null;
    if (this.fingerprinting) clearImmediate(this.fingerprinting);
    this.fingerprinting = null;
    this.unprinted = [];
    this.fingerprintHead = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
    this.backlog = [];
    this.backlogHead = 0;
  }

  close(): void {
    if (this.closed) return;
    this.stop();
    this.ending = true;
    this.closed = true;
    this.queue.length = 0;
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = null;
      waiter({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<LiveListMessage<T> | Error>> {
    const message = this.queue.shift();
    if (message !== undefined) return Promise.resolve({ value: message, done: false });
    if (this.ending) {
      this.close();
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve) => (this.waiter = resolve));
  }

  return(): Promise<IteratorResult<LiveListMessage<T> | Error>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * A short digest of a document as the store delivered it, to tell after a re-snapshot whether a
 * held document changed although its position did not (a view rebuilt by a fixed projection).
 */
function fingerprintOf(document: LiveDocument): string {
  return createHash('sha1').update(JSON.stringify(document)).digest('base64');
}

/** The fingerprint of a held document, taken now if it was not yet (the document is let go then). */
function fingerprintHeld(held: Held): string {
  if (held.fingerprint === null) {
    held.fingerprint = fingerprintOf(held.document!);
    held.document = null;
  }
  return held.fingerprint;
}
