/** setTimeout's longest delay (about 24.8 days); a longer one is re-armed until its due time. */
const MAX_TIMEOUT = 2_147_483_647;

interface TimerRef {
  expireAt: number;
  handle: ReturnType<typeof setTimeout> | undefined;
}

/**
 * bpmn-engine's timer service for one instance: real timers, each firing inside a step of the instance so
 * that what the timer causes is stored and delivered like any other step. Delays beyond setTimeout's limit
 * are re-armed until the due time.
 */
export class RuntimeTimers {
  private readonly refs = new Set<TimerRef>();

  constructor(private readonly schedule: (fire: () => void) => void) {}

  get size(): number {
    return this.refs.size;
  }

  get executing(): TimerRef[] {
    return [...this.refs];
  }

  register(_owner: unknown) {
    return { setTimeout: this.setTimeout, clearTimeout: this.clearTimeout };
  }

  setTimeout = (callback: (...args: unknown[]) => void, delay: number, ...args: unknown[]): TimerRef => {
    const ref: TimerRef = { expireAt: Date.now() + Math.max(0, delay), handle: undefined };
    const arm = () => {
      const remaining = Math.max(0, ref.expireAt - Date.now());
      ref.handle = setTimeout(
        () => {
          if (!this.refs.has(ref)) return;
          if (Date.now() < ref.expireAt) return arm();
          this.refs.delete(ref);
          this.schedule(() => callback(...args));
        },
        Math.min(remaining, MAX_TIMEOUT),
      );
    };
    this.refs.add(ref);
    arm();
    return ref;
  };

  clearTimeout = (ref: TimerRef | undefined): undefined => {
    if (ref && this.refs.delete(ref)) clearTimeout(ref.handle);
    return undefined;
  };

  clearAll(): void {
    for (const ref of this.refs) clearTimeout(ref.handle);
    this.refs.clear();
  }
}
