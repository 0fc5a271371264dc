/** From a command's acceptance to the push of its change to a live subscriber. */
import { now } from './measure';

/**
 * The pushes of one batch of commands, by an id that both the command and its pushed change carry (the
 * task id of a `CreateTask`). {@link accepted} notes when the sender had the command's answer,
 * {@link pushed} when the subscriber had the change; each counts once, the first time. Either may come
 * first: in one process a push can beat the HTTP answer, and then the latency is 0 ms.
 */
export class PushLatency {
  private readonly acceptedAt = new Map<string, number>();
  private readonly pushedAt = new Map<string, number>();
  private readonly waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private failure: Error | undefined;
  /** When the last expected change of the batch was pushed (NaN before). */
  lastPushedAt = Number.NaN;

  constructor(private readonly expected: ReadonlySet<string>) {}

  accepted(id: string, at = now()): void {
    if (this.expected.has(id) && !this.acceptedAt.has(id)) this.acceptedAt.set(id, at);
  }

  /** A change pushed to the subscriber; one of another batch, or a second push of an id, is ignored. */
  pushed(id: string, at = now()): void {
    if (!this.expected.has(id) || this.pushedAt.has(id)) return;
    this.pushedAt.set(id, at);
    if (this.pushedAt.size === this.expected.size) {
      this.lastPushedAt = at;
      for (const waiter of this.waiters.splice(0)) waiter.resolve();
    }
  }

  /** How many of the expected changes were pushed. */
  get pushedCount(): number {
    return this.pushedAt.size;
  }

  /**
   * Resolves once every expected change was pushed; rejects, naming what is missing, when no expected
   * change came for `idleMs` (a slow pipeline keeps the wait going as long as it moves).
   */
  allPushed(idleMs: number): Promise<void> {
    if (this.pushedAt.size === this.expected.size) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      let seen = this.pushedAt.size;
      const check = () => {
        if (this.pushedAt.size > seen) {
          seen = this.pushedAt.size;
          timer = setTimeout(check, idleMs);
          return;
        }
        const missing = [...this.expected].filter((id) => !this.pushedAt.has(id));
        reject(
          new Error(
            `${missing.length} of ${this.expected.size} changes were not pushed, none came for ${idleMs} ms (${missing
              .slice(0, 3)
              .join(', ')}${missing.length > 3 ? ', ...' : ''})`,
          ),
        );
      };
      let timer = setTimeout(check, idleMs);
      this.waiters.push({
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }

  /** No more changes can come (the subscription ended): every wait, now or later, rejects with `error`. */
  fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure);
  }

  /** Accepted to pushed in milliseconds, of every id with both, 0 where the push came first. */
  latencies(): number[] {
    return [...this.acceptedAt].flatMap(([id, accepted]) => {
      const pushed = this.pushedAt.get(id);
      return pushed === undefined ? [] : [Math.max(0, pushed - accepted)];
    });
  }
}
