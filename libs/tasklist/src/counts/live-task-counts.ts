/** What a live count pushes: one count per filter, and the global position they reflect at least. */
export interface TaskCountsMessage {
  counts: number[];
  position: number;
}

/** Longest wait a timer takes (about 24 days); a later moment is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The counts behind one `taskCountChanges` subscription. It is told of every change of the tasks view
 * ({@link changed}) and counts again, one count at a time: changes that arrive while it counts are
 * covered by one more count after it. It pushes only counts that differ from the last ones pushed, and
 * keeps at most the newest unread message, so a slow reader costs no memory. After each count it asks
 * `nextByTime` when the counts may change by time alone (a deferred task's follow-up date passing) and
 * counts again then.
 */
export class LiveTaskCounts implements AsyncIterableIterator<TaskCountsMessage | Error> {
  private last: number[] | null = null;
  private pending: TaskCountsMessage | Error | null = null;
  private reader: ((result: IteratorResult<TaskCountsMessage | Error>) => void) | null = null;
  private counting: Promise<void> | null = null;
  private dirty = false;
  private latest: number;
  private closed = false;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly count: () => Promise<number[]>,
    position: number,
    private readonly onClose: () => void,
    /** Epoch milliseconds at which the counts may change without an event, or null. */
    private readonly nextByTime: () => Promise<number | null> = async () => null,
  ) {
    this.latest = position;
  }

  /** The first counts: pushed whatever they are. A bad filter rejects here, before anything is pushed. */
  async start(): Promise<void> {
    const counts = await this.count();
    this.last = counts;
    this.push({ counts, position: this.latest });
    await this.wakeByTime();
  }

  /** The tasks view changed up to `position`: count again. */
  changed(position: number): void {
    if (this.closed) return;
    this.latest = Math.max(this.latest, position);
    if (this.counting) {
      this.dirty = true;
      return;
    }
    this.counting = this.recount().finally(() => {
      this.counting = null;
    });
  }

  /** The change feed failed: the subscription ends with the error. */
  fail(error: Error): void {
    this.push(error);
  }

  private async recount(): Promise<void> {
    do {
      this.dirty = false;
      const position = this.latest;
      let counts: number[];
      try {
        counts = await this.count();
      } catch (error) {
        this.push(error as Error);
        return;
      }
      if (this.closed) return;
      if (this.last === null || counts.some((c, i) => c !== this.last![i])) {
        this.last = counts;
        this.push({ counts, position });
      }
    } while (this.dirty && !this.closed);
    await this.wakeByTime().catch((error: unknown) => this.push(error as Error));
  }

  private async wakeByTime(): Promise<void> {
    const at = await this.nextByTime();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (at === null || this.closed) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        // Past the moment: count again; a wait cut short by the timer's limit only looks again.
        if (Date.now() >= at) this.changed(this.latest);
        else void this.wakeByTime().catch((error: unknown) => this.push(error as Error));
      },
      Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now())),
    );
    this.timer.unref?.();
  }

  private push(message: TaskCountsMessage | Error): void {
    if (this.closed) return;
    if (this.reader) {
      const reader = this.reader;
      this.reader = null;
      reader({ value: message, done: false });
    } else {
      // Only the newest counts matter; an error is kept over counts.
      if (!(this.pending instanceof Error)) this.pending = message;
    }
  }

  next(): Promise<IteratorResult<TaskCountsMessage | Error>> {
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    if (this.pending !== null) {
      const value = this.pending;
      this.pending = null;
      return Promise.resolve({ value, done: false });
    }
    return new Promise((resolve) => {
      this.reader = resolve;
    });
  }

  return(): Promise<IteratorResult<TaskCountsMessage | Error>> {
    if (!this.closed) {
      this.closed = true;
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.onClose();
      this.reader?.({ value: undefined, done: true });
      this.reader = null;
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
