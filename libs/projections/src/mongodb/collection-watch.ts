import { Logger } from '@nestjs/common';
import { type Backoff, backoffDelay, retryWithBackoff, sleep } from '@eddy/observability';
import type { ChangeStream, ChangeStreamDocument, Collection, Document, ResumeToken } from 'mongodb';

/**
 * The wait before asking again after a change stream came back empty: MongoDB holds an empty `getMore`
 * for up to a second (`awaitData`), but the MongoDB-compatible server of the tests answers at once, and
 * asking again at once (the driver's `next()`) made every open stream a loop of about 600 round trips a
 * second, a core of CPU between the process and the server. Doubling from 1 ms while nothing comes, it
 * adds at most 20 ms to a change that ends a quiet spell, nothing while changes keep coming.
 */
const EMPTY_BATCH_BACKOFF: Backoff = { initialDelayMs: 1, maxDelayMs: 20 };

/**
 * One change stream on one collection (the MongoDB-compatible server of the tests has collection
 * streams only), delivering each inserted, updated or replaced document in full. {@link open}
 * resolves once the server has set the stream up, so every write after it is seen. The driver
 * resumes by itself after a resumable error (a failover, a dropped connection) from the last token;
 * when it cannot (the token fell off the oplog, the collection was dropped) the stream ends and
 * `onEnd` is told why.
 */
export class CollectionWatch<T extends Document = Document> {
  private readonly logger = new Logger('MongoViewStore');
  private stream: ChangeStream<T> | undefined;
  private closed = false;
  private readonly closing = new AbortController();
  private loop: Promise<void> | undefined;
  /** The token of the last change seen: where a new stream would resume. */
  resumeToken: ResumeToken | undefined;

  constructor(
    private readonly collection: Collection<T>,
    private readonly onDocument: (document: Document) => void,
    private readonly onEnd: (error: Error | undefined) => void,
  ) {}

  async open(): Promise<void> {
    const stream = this.collection.watch<T, ChangeStreamDocument<T>>([], { fullDocument: 'updateLookup' });
    this.stream = stream;
    const first = await stream.tryNext();
    if (first) this.handle(first);
    this.loop = this.run(stream);
  }

  /**
   * Ends the stream as one that cannot resume would (an expired resume token): `onEnd` is told.
   * For tests and drills of what follows a lost stream.
   */
  async interrupt(): Promise<void> {
    await this.stream?.close().catch(() => undefined);
    await this.loop;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    await this.stream?.close().catch(() => undefined);
    await this.loop;
  }

  private async run(stream: ChangeStream<T>): Promise<void> {
    try {
      let empty = 0;
      while (!this.closed) {
        const change = await stream.tryNext();
        if (change === null) {
          // An ended stream (interrupt) has no more batches: its next read throws, as next() would.
          if (stream.closed) throw new Error('the change stream was closed');
          await sleep(backoffDelay(EMPTY_BATCH_BACKOFF, ++empty), this.closing.signal);
          continue;
        }
        empty = 0;
        this.handle(change);
        if (this.ends(change)) {
          if (!this.closed) this.onEnd(undefined);
          return;
        }
      }
    } catch (error) {
      if (this.closed) return;
      this.logger.warn(
        `VIEWSTORE-201 change stream on ${this.collection.collectionName} ended: ${(error as Error).message}`,
      );
      this.onEnd(error as Error);
    }
  }

  /**
   * The stream's collection is gone. mongo-java-server 1.47 sends the drop of any collection to
   * every stream, without `ns`: only a drop naming this collection, or an invalidate, ends it.
   */
  private ends(change: ChangeStreamDocument<T>): boolean {
    if (change.operationType === 'invalidate') return true;
    return change.operationType === 'drop' && change.ns?.coll === this.collection.collectionName;
  }

  private handle(change: ChangeStreamDocument<T>): void {
    this.resumeToken = change._id;
    if ('fullDocument' in change && change.fullDocument) this.onDocument(change.fullDocument);
  }
}

/**
 * A {@link CollectionWatch} that is opened again, with back-off, whenever it ends (MongoDB was
 * unreachable for longer than the driver's own resumption waits, a token could not be resumed),
 * until it is closed. What the stream may have missed meanwhile is read again by `catchUp` after
 * each reopening: for collections whose documents say everything (checkpoints, pointers).
 */
export class LastingCollectionWatch<T extends Document = Document> {
  private readonly logger = new Logger('MongoViewStore');
  private readonly stopped = new AbortController();
  private current: CollectionWatch<T> | undefined;

  constructor(
    private readonly collection: Collection<T>,
    private readonly onDocument: (document: Document) => void,
    private readonly catchUp: () => Promise<void>,
  ) {}

  async open(): Promise<void> {
    // A reopening whose catch-up failed opens once more: the stream it opened goes first.
    await this.current?.close();
    if (this.stopped.signal.aborted) return;
    const watch = new CollectionWatch(this.collection, this.onDocument, (error) => this.ended(error));
    this.current = watch;
    await watch.open();
  }

  async close(): Promise<void> {
    this.stopped.abort();
    await this.current?.close();
  }

  private ended(error: Error | undefined): void {
    if (this.stopped.signal.aborted) return;
    this.logger.warn(
      `VIEWSTORE-208 change stream on ${this.collection.collectionName} ended${error ? ` (${error.message})` : ''}: opening it again`,
    );
    void retryWithBackoff(
      async () => {
        await this.open();
        await this.catchUp();
      },
      { initialDelayMs: 100, maxDelayMs: 5_000, signal: this.stopped.signal },
    ).catch(() => undefined);
  }
}
