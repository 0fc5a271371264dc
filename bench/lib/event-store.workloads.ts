/** The workloads of the event store benchmark, shared by every adapter's part. */
import { type EventStore, type NewEvent } from '@eddy/eventstore';
import { benchEvents } from './event-store.bench-data';
import { LatencyRecorder, timePairs } from './measure';
import { type BenchResult, compared } from './report';
import { type BenchContext } from './suite';

/** Appends one event at a time, waiting for each. */
export async function sequentialSingleAppends(
  store: EventStore,
  events: NewEvent[],
  latency?: LatencyRecorder,
) {
  for (let i = 0; i < events.length; i++) {
    const append = () => store.appendToStream(`single-${i % 100}`, [events[i]]);
    await (latency ? latency.time(append) : append());
  }
  return { items: events.length };
}

/** Appends batches, waiting for each. */
export async function sequentialBatchAppends(store: EventStore, batches: NewEvent[][]) {
  for (let i = 0; i < batches.length; i++) await store.appendToStream(`batch-${i}`, batches[i]);
  return { items: batches.length * batches[0].length };
}

/** Writers appending single events to their own stream, each waiting for its previous append. */
export async function concurrentSingleAppends(
  store: EventStore,
  eventsPerWriter: NewEvent[][],
  runId: number,
  latency?: LatencyRecorder,
) {
  await Promise.all(
    eventsPerWriter.map(async (events, w) => {
      for (let i = 0; i < events.length; i++) {
        const append = () =>
          store.appendToStream(`writer-${runId}-${w}`, [events[i]], {
            expectedRevision: i === 0 ? 'no_stream' : i - 1,
          });
        await (latency ? latency.time(append) : append());
      }
    }),
  );
  return { items: eventsPerWriter.length * eventsPerWriter[0].length };
}

/** Reads the whole log in pages. */
export async function readWholeLog(store: EventStore, page = 1000) {
  let after = 0;
  let items = 0;
  for (;;) {
    const events = await store.readAll({ after, maxCount: page });
    if (events.length === 0) return { items };
    items += events.length;
    after = events[events.length - 1].position;
  }
}

type Items = Promise<{ items: number }> | { items: number };

/** How big each workload of {@link adapterFigures} is. */
export interface WorkloadSizes {
  runs: number;
  singleAppends: number;
  batches: number;
  batchSize: number;
  writers: number;
  appendsPerWriter: number;
}

/** The raw driver doing what the adapter does in each workload; each returns how many events it handled. */
export interface RawBaselines {
  singleAppends(): Items;
  batchAppends(): Items;
  concurrentAppends(runId: number): Items;
  readAll(): Items;
}

/**
 * One adapter's figures, each timed in alternation with its raw baseline: single-event appends (with
 * latency), batch appends, concurrent writers (with latency) and reading the whole log. `name` starts every
 * metric; `concurrency` notes how the adapter takes concurrent appends (in its log line and metric).
 */
export async function adapterFigures(
  context: BenchContext,
  name: string,
  store: EventStore,
  sizes: WorkloadSizes,
  raw: RawBaselines,
  concurrency = '',
): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const latencies = (what: string, latency: LatencyRecorder, suffix = '') => {
    for (const p of [50, 99]) {
      results.push({
        metric: `${name} ${what} latency p${p}${suffix}`,
        value: latency.percentile(p),
        unit: 'ms',
      });
    }
  };

  context.log(`${name}: single-event appends`);
  const singleLatency = new LatencyRecorder();
  const single = await timePairs(
    sizes.runs,
    () => sequentialSingleAppends(store, benchEvents(sizes.singleAppends), singleLatency),
    raw.singleAppends,
  );
  results.push(
    compared(`${name} single-event appends, 1 writer`, single.subject, 'events/s', single.baseline),
  );
  latencies('single-event append', singleLatency);

  context.log(`${name}: ${sizes.batchSize}-event batch appends`);
  const batch = await timePairs(
    sizes.runs,
    () =>
      sequentialBatchAppends(
        store,
        Array.from({ length: sizes.batches }, () => benchEvents(sizes.batchSize)),
      ),
    raw.batchAppends,
  );
  results.push(
    compared(`${name} ${sizes.batchSize}-event batch appends`, batch.subject, 'events/s', batch.baseline),
  );

  context.log(`${name}: ${sizes.writers} concurrent writers${concurrency}`);
  const concurrentLatency = new LatencyRecorder();
  const concurrent = await timePairs(
    sizes.runs,
    (runId) =>
      concurrentSingleAppends(
        store,
        Array.from({ length: sizes.writers }, () => benchEvents(sizes.appendsPerWriter)),
        runId,
        concurrentLatency,
      ),
    raw.concurrentAppends,
  );
  results.push(
    compared(
      `${name} concurrent single-event appends, ${sizes.writers} writers${concurrency}`,
      concurrent.subject,
      'events/s',
      concurrent.baseline,
    ),
  );
  latencies('concurrent append', concurrentLatency, `, ${sizes.writers} writers`);

  context.log(`${name}: readAll`);
  const read = await timePairs(sizes.runs, () => readWholeLog(store), raw.readAll);
  results.push(compared(`${name} readAll (pages of 1000)`, read.subject, 'events/s', read.baseline));
  return results;
}
