/** The workloads of the event store benchmark, shared by every adapter's part. */
import { type EventStore, type NewEvent } from '@eddy/eventstore';
import { type LatencyRecorder } from './measure';

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
