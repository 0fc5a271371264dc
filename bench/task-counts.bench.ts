/**
 * Task counts benchmark: `npm run bench -- task-counts`.
 *
 * 100,000 open tasks in the embedded view store (10 groups; every tenth task assigned, every fifth
 * deferred, priorities 0..99, a payload `region`). `taskCount` latency (p50, p95) for a user who sees
 * every task (member of all 10 groups) and for one who sees a tenth, with no filter, `assignedToMe`,
 * a priority range and a payload condition. Baseline in the same run: the same query as `findTasks`
 * with `first: 1`, which a client would otherwise ask to read `totalCount`; and, for the user who sees
 * everything, the floor of any count over the index: a bare walk over a Set of 100,000 numbers.
 *
 * The MongoDB adapter's `countDocuments` is not measured here: the MongoDB-compatible server of the
 * integration tier (mongo-java-server) says nothing about MongoDB's speed.
 */
import { MemoryViewStore, type TaskFilter, type Viewer } from '@eddy/projections';
import { seedOpenTasks } from './lib/open-tasks';
import { LatencyRecorder } from './lib/measure';
import { type BenchResult, compared } from './lib/report';
import type { BenchContext } from './lib/suite';

const TASKS = 100_000;
const GROUPS = 10;
const SAMPLES = 400;
const WARM_UP = 50;
const NOW = new Date('2026-06-01T00:00:00Z');

function seed(store: MemoryViewStore): Promise<void> {
  return seedOpenTasks(store, TASKS, (i) => ({
    priority: i % 100,
    followUpDate: i % 5 === 0 ? '2027-01-01T00:00:00.000Z' : null,
    assignee: i % 10 === 0 ? `user-${i % 100}` : null,
    candidateGroups: [`g${i % GROUPS}`],
    payload: { region: i % 3 === 0 ? 'north' : 'south' },
  }));
}

export async function run(context: BenchContext): Promise<BenchResult[]> {
  const store = new MemoryViewStore();
  context.log(`seeding ${TASKS} open tasks`);
  await seed(store);
  const everyone: Viewer = { userId: 'user-0', groups: Array.from({ length: GROUPS }, (_, g) => `g${g}`) };
  const oneGroup: Viewer = { userId: 'user-0', groups: ['g0'] };
  const filters: [string, TaskFilter][] = [
    ['open tasks', {}],
    ['assigned to me', { assignedToMe: true }],
    ['priority 50..99', { priorityMin: 50, priorityMax: 99 }],
    ['payload region = north', { payload: [{ path: 'region', op: 'EQ', value: 'north' }] }],
  ];
  const results: BenchResult[] = [];
  for (const [viewerName, viewer] of [
    ['sees 100,000', everyone],
    ['sees 10,000', oneGroup],
  ] as const) {
    for (const [filterName, filter] of filters) {
      const count = new LatencyRecorder();
      const list = new LatencyRecorder();
      for (let i = 0; i < WARM_UP; i++) {
        await store.taskCount({ viewer, filter, now: NOW });
        await store.findTasks({ viewer, filter, first: 1, now: NOW });
      }
      // In alternation, so that a change of load on the shared machine affects both alike.
      for (let i = 0; i < SAMPLES; i++) {
        await count.time(() => store.taskCount({ viewer, filter, now: NOW }));
        await list.time(() => store.findTasks({ viewer, filter, first: 1, now: NOW }));
      }
      const label = `taskCount ${filterName}, user ${viewerName}`;
      results.push(compared(`${label}: p50`, count.percentile(50), 'ms', list.percentile(50)));
      results.push(compared(`${label}: p95`, count.percentile(95), 'ms', list.percentile(95)));
      context.log(`${label}: p95 ${count.percentile(95).toFixed(2)} ms`);
    }
  }
  // The floor of any count over the index: visiting 100,000 slots of a Set, timed under the same load.
  const slots = new Set(Array.from({ length: TASKS }, (_, i) => i));
  const floor = new LatencyRecorder();
  const full = new LatencyRecorder();
  for (let i = 0; i < SAMPLES; i++) {
    await floor.time(async () => {
      let n = 0;
      for (const slot of slots) if (slot >= 0) n++;
      return n;
    });
    await full.time(() => store.taskCount({ viewer: everyone, now: NOW }));
  }
  results.push(
    compared(
      'taskCount open tasks, user sees 100,000, against a bare Set walk: p95',
      full.percentile(95),
      'ms',
      floor.percentile(95),
    ),
  );
  await store.close();
  return results;
}
