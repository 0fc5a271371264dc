/** Timing helpers shared by the benchmark suites. */
import { closeSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';

/** Milliseconds since an arbitrary origin, with sub-millisecond resolution. */
export function now(): number {
  return performance.now();
}

/** The value below which `p` percent of `values` fall (nearest rank); NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** The median of `values`. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Items per second. */
export function perSecond(count: number, elapsedMs: number): number {
  return (count * 1000) / elapsedMs;
}

/** Result of {@link timeRuns}. */
export interface Runs<T> {
  /** The rate of each run, items per second. */
  rates: number[];
  /** The median rate. */
  rate: number;
  /** Whatever each run returned. */
  results: T[];
}

/**
 * Runs `run` `times` times and returns the rate of each run and their median. `run` returns how many
 * items it processed (and optionally a detail kept in `results`); only its own time counts.
 */
export async function timeRuns<T = undefined>(
  times: number,
  run: (index: number) => Promise<{ items: number; detail?: T }> | { items: number; detail?: T },
): Promise<Runs<T>> {
  const rates: number[] = [];
  const results: T[] = [];
  for (let i = 0; i < times; i++) {
    const start = now();
    const { items, detail } = await run(i);
    rates.push(perSecond(items, now() - start));
    if (detail !== undefined) results.push(detail);
  }
  return { rates, rate: median(rates), results };
}

/** Records how long each of many operations took (for latency percentiles). */
export class LatencyRecorder {
  private readonly samples: number[] = [];

  /** Times `operation` and keeps its duration in milliseconds. */
  async time<T>(operation: () => Promise<T>): Promise<T> {
    const start = now();
    try {
      return await operation();
    } finally {
      this.samples.push(now() - start);
    }
  }

  percentile(p: number): number {
    return percentile(this.samples, p);
  }
}

/**
 * Times `subject` and `baseline` in alternation, `times` runs each, so that a change of load on a
 * shared machine affects both alike; returns both medians.
 */
export async function timePairs(
  times: number,
  subject: (index: number) => Promise<{ items: number }> | { items: number },
  baseline: (index: number) => Promise<{ items: number }> | { items: number },
): Promise<{ subject: number; baseline: number }> {
  const subjectRates: number[] = [];
  const baselineRates: number[] = [];
  for (let i = 0; i < times; i++) {
    subjectRates.push((await timeRuns(1, () => subject(i))).rate);
    baselineRates.push((await timeRuns(1, () => baseline(i))).rate);
  }
  return { subject: median(subjectRates), baseline: median(baselineRates) };
}

/**
 * Median time of a 4 KiB write followed by fsync in `dir`, in milliseconds: the floor of a durable
 * commit on this disk. Reported with the figures because on a shared machine it varies a lot.
 */
export function fsyncLatencyMs(dir: string, samples = 200): number {
  const file = `${dir}/fsync-probe`;
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(4096, 1);
  const times: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const start = now();
      writeSync(fd, block);
      fsyncSync(fd);
      times.push(now() - start);
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  return median(times);
}
