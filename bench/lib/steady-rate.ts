/** An offered load at a steady rate, for latency figures "at N per second". */
import { now } from './measure';

/** The time of a {@link sendAtSteadyRate} run: the real one, or a test's. */
export interface SchedulerClock {
  /** Milliseconds since an arbitrary origin. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: SchedulerClock = {
  now,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** What a {@link sendAtSteadyRate} run offered. */
export interface SteadyRun {
  /** Sends per second between the first send and the last, as they went out. */
  offeredPerSecond: number;
  /** How far the latest send went out behind its time, in milliseconds. */
  maxLagMs: number;
}

/**
 * Calls `send(0)` ... `send(count - 1)` at `perSecond`, the i-th at i / `perSecond` seconds after the
 * first. An open loop: a slow answer does not hold back the next send, so the load stays what is
 * offered; a send whose time has passed (a busy event loop) goes out at once. Resolves once every send
 * has settled; once a failed send is seen (at the latest at the next wait) no more go out, and the run
 * rejects with that failure.
 */
export async function sendAtSteadyRate(
  count: number,
  perSecond: number,
  send: (index: number) => Promise<unknown>,
  clock: SchedulerClock = realClock,
): Promise<SteadyRun> {
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`count must be a positive integer, not ${count}`);
  if (!(perSecond > 0)) throw new Error(`perSecond must be above 0, not ${perSecond}`);
  const settled: Promise<void>[] = [];
  let failure: { error: unknown } | undefined;
  let maxLagMs = 0;
  let lastSentAt = 0;
  const start = clock.now();
  for (let i = 0; i < count && !failure; i++) {
    const due = start + (i * 1000) / perSecond;
    const wait = due - clock.now();
    if (wait > 0) await clock.sleep(wait);
    if (failure) break;
    lastSentAt = clock.now();
    maxLagMs = Math.max(maxLagMs, lastSentAt - due);
    // Caught here, so that a failure is not unhandled while later sends go out.
    settled.push(
      (async () => send(i))().then(
        () => undefined,
        (error: unknown) => {
          failure ??= { error };
        },
      ),
    );
  }
  await Promise.all(settled);
  if (failure) throw failure.error;
  return {
    offeredPerSecond: count > 1 ? ((count - 1) * 1000) / (lastSentAt - start) : Number.NaN,
    maxLagMs,
  };
}
