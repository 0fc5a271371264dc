import { Counter, Gauge, Histogram, register, type Registry } from 'prom-client';

/**
 * Metrics of Eddy, all in prom-client's default registry, which `GET /metrics` serves.
 *
 * Metrics are created on first use and found again afterwards, so that several application
 * instances in one process (tests, benchmarks) share them instead of failing on a second
 * registration.
 */
export const metricsRegistry: Registry = register;

function getOrCreate<T>(name: string, create: () => T): T {
  return (metricsRegistry.getSingleMetric(name) as T | undefined) ?? create();
}

export function counter<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
): Counter<L> {
  return getOrCreate(name, () => new Counter<L>({ name, help, labelNames, registers: [metricsRegistry] }));
}

export function gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
  return getOrCreate(name, () => new Gauge<L>({ name, help, labelNames, registers: [metricsRegistry] }));
}

export function histogram<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
  buckets: number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
): Histogram<L> {
  return getOrCreate(
    name,
    () => new Histogram<L>({ name, help, labelNames, buckets, registers: [metricsRegistry] }),
  );
}
