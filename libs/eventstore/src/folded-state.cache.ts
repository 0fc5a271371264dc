import type { EventStore } from './event-store.port';

/** A stream's state folded up to one of its revisions. */
export interface FoldedStream<S> {
  state: S;
  /** The last revision folded in; -1 for a stream that did not exist. */
  revision: number;
  /** Global position of that revision's event; 0 for a stream that did not exist. */
  position: number;
}

/** How many streams each store and decider keep folded. */
const CAPACITY = 10_000;

/**
 * The folded state of the streams a decider handled last, least recently used out first, so that
 * the next command on a stream reads only the events after the fold instead of the whole stream.
 * Streams only grow, so a fold stays a correct prefix of its stream; the caller reads on from
 * `revision + 1`. States must not be mutated (deciders are pure).
 */
export class FoldedStateCache<S> {
  private readonly streams = new Map<string, FoldedStream<S>>();

  constructor(private readonly capacity = CAPACITY) {}

  get(streamId: string): FoldedStream<S> | undefined {
    const folded = this.streams.get(streamId);
    if (folded !== undefined) {
      // Re-inserted: a Map iterates in insertion order, so the first key is the least recently used.
      this.streams.delete(streamId);
      this.streams.set(streamId, folded);
    }
    return folded;
  }

  set(streamId: string, folded: FoldedStream<S>): void {
    const known = this.streams.get(streamId);
    if (known !== undefined && known.revision > folded.revision) return;
    this.streams.delete(streamId);
    this.streams.set(streamId, folded);
    if (this.streams.size > this.capacity) this.streams.delete(this.streams.keys().next().value as string);
  }
}

const caches = new WeakMap<EventStore, WeakMap<object, FoldedStateCache<unknown>>>();

/** The cache of one store and one decider (created on first use, dropped with the store). */
export function foldedStateCacheOf<S>(store: EventStore, decider: object): FoldedStateCache<S> {
  let perDecider = caches.get(store);
  if (perDecider === undefined) caches.set(store, (perDecider = new WeakMap()));
  let cache = perDecider.get(decider);
  if (cache === undefined) perDecider.set(decider, (cache = new FoldedStateCache()));
  return cache as FoldedStateCache<S>;
}
