/**
 * Free-text search benchmark: `npm run bench -- search`.
 *
 * 100,000 open tasks in the embedded view store (10 groups; ten task names, a business key
 * `ORD-<n>` each, a description on every third, a customer name among 40 in the payload, which
 * `EDDY_SEARCH_PAYLOAD_FIELDS` makes searched). `findTasks` with `search` (the first page of 50,
 * ranked) and `taskCount` with `search`, latency p50 and p95, for a user who sees every task and one
 * who sees a tenth. Baselines in the same run, in alternation: the plain list (`findTasks` without a
 * filter, first 50: what the tasklist shows before anyone types) and, for one word, the substring
 * filter `text` that existed before search.
 *
 * The MongoDB adapter is not measured here: the MongoDB-compatible server of the integration tier
 * (mongo-java-server) builds no secondary index and says nothing about MongoDB's speed.
 */
import { MemoryViewStore, type TaskFilter, type Viewer } from '@eddy/projections';
import { seedOpenTasks } from './lib/open-tasks';
import { LatencyRecorder } from './lib/measure';
import { type BenchResult, compared } from './lib/report';
import type { BenchContext } from './lib/suite';

const TASKS = 100_000;
const GROUPS = 10;
const SAMPLES = 100;
const WARM_UP = 20;
const NOW = new Date('2026-06-01T00:00:00Z');
const NAMES = [
  'Approve order',
  'Check invoice',
  'Call customer',
  'Ship parcel',
  'Review contract',
  'Pay supplier',
  'Update address',
  'Verify identity',
  'Book travel',
  'Close claim',
];
const CUSTOMERS = Array.from(
  { length: 40 },
  (_, i) => `${['Müller', 'Dupont', 'García', 'Nowak', 'Søren', 'Smith', 'Rossi', 'Kowalski'][i % 8]} ${i}`,
);

function seed(store: MemoryViewStore): Promise<void> {
  return seedOpenTasks(store, TASKS, (i) => ({
    name: NAMES[i % NAMES.length],
    description: i % 3 === 0 ? `Customer ${CUSTOMERS[i % 40]} is waiting for an answer` : null,
    priority: i % 100,
    assignee: i % 10 === 0 ? `user-${i % 100}` : null,
    candidateGroups: [`g${i % GROUPS}`],
    businessKey: `ORD-${i}`,
    payload: { customer: { name: CUSTOMERS[i % 40] }, region: i % 3 === 0 ? 'north' : 'south' },
  }));
}

export async function run(context: BenchContext): Promise<BenchResult[]> {
  const store = new MemoryViewStore({ search: { payloadFields: ['customer.name'] } });
  context.log(`seeding ${TASKS} open tasks`);
  const seeding = Date.now();
  await seed(store);
  context.log(`seeded in ${Date.now() - seeding} ms`);
  const everyone: Viewer = { userId: 'user-0', groups: Array.from({ length: GROUPS }, (_, g) => `g${g}`) };
  const oneGroup: Viewer = { userId: 'user-0', groups: ['g0'] };
  const searches: [string, TaskFilter][] = [
    ['one rare word "4711" (11 tasks)', { search: '4711' }],
    ['one word "invoice" (10,000 tasks)', { search: 'invoice' }],
    ['a payload field "muller" (12,500 tasks)', { search: 'muller' }],
    ['two words "appr ord" (10,000 tasks)', { search: 'appr ord' }],
    ['two words "ord 4711", one in every task', { search: 'ord 4711' }],
    ['"invoice" and priority 50..99', { search: 'invoice', priorityMin: 50 }],
  ];
  const results: BenchResult[] = [];
  const measure = async (
    label: string,
    query: () => Promise<unknown>,
    baseline: () => Promise<unknown>,
  ): Promise<void> => {
    const value = new LatencyRecorder();
    const base = new LatencyRecorder();
    for (let i = 0; i < WARM_UP; i++) {
      await query();
      await baseline();
    }
    // In alternation, so that a change of load on the shared machine affects both alike.
    for (let i = 0; i < SAMPLES; i++) {
      await value.time(query);
      await base.time(baseline);
    }
    results.push(compared(`${label}: p50`, value.percentile(50), 'ms', base.percentile(50)));
    results.push(compared(`${label}: p95`, value.percentile(95), 'ms', base.percentile(95)));
    context.log(`${label}: p95 ${value.percentile(95).toFixed(2)} ms`);
  };
  for (const [viewerName, viewer] of [
    ['sees 100,000', everyone],
    ['sees 10,000', oneGroup],
  ] as const) {
    const plainList = () => store.findTasks({ viewer, first: 50, now: NOW });
    for (const [name, filter] of searches) {
      await measure(
        `findTasks search ${name}, ranked, first 50, user ${viewerName}, against the plain list`,
        () => store.findTasks({ viewer, filter, first: 50, now: NOW }),
        plainList,
      );
    }
    await measure(
      `taskCount search "invoice", user ${viewerName}, against taskCount without a filter`,
      () => store.taskCount({ viewer, filter: { search: 'invoice' }, now: NOW }),
      () => store.taskCount({ viewer, now: NOW }),
    );
    await measure(
      `findTasks search "invoice", user ${viewerName}, against the substring filter text "invoice"`,
      () => store.findTasks({ viewer, filter: { search: 'invoice' }, first: 50, now: NOW }),
      () => store.findTasks({ viewer, filter: { text: 'invoice' }, first: 50, now: NOW }),
    );
  }
  await store.close();
  return results;
}
