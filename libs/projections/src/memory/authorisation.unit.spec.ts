import fc from 'fast-check';
import { aDataEntry, applyEvents, viewWriteOf, aTask, type SpecEvent, storedEventsOf } from '@eddy/testing';
import { describe, expect, it } from '@jest/globals';
import { closedTasksProjection } from '../closed-tasks/closed-tasks.projection';
import { historyProjection } from '../history/history.projection';
import type { Projection } from '../projection';
import { taskCreated } from '../projection.fixtures.spec';
import { compileTaskFilter, compileTaskSort } from '../view-filters';
import { LIVE_COPY, type PayloadCondition, type Viewer } from '../view-store.port';
import { MemoryViewStore } from './memory.view-store';

const users = ['ann', 'bob', 'cid', 'dee'];
const groups = ['g1', 'g2', 'g3', 'g4', 'g5'];
const user = fc.constantFrom(...users);
const someUsers = fc.uniqueArray(user, { maxLength: 3 });
const someGroups = fc.uniqueArray(fc.constantFrom(...groups), { maxLength: 3 });
const processes = ['order', 'claim'];
// Who may start which process: the tasks without assignee and candidates of those processes are theirs too.
const viewer: fc.Arbitrary<Viewer> = fc.record(
  {
    userId: user,
    groups: someGroups,
    startableProcesses: fc.uniqueArray(fc.constantFrom(...processes), { maxLength: 2 }),
  },
  { requiredKeys: ['userId', 'groups'] },
);
const tierValue = fc.constantFrom<unknown>('a', 'b', 1, '1', true, null, undefined, ['a', 'c'], { x: 1 });
// Names that searches find in some tasks: search must stay inside what the viewer may see.
const name = fc.constantFrom('Approve order', 'Approve', 'Ship order', 'Ärger prüfen');
const searches = ['appr', 'order', 'ARGER', 'ship appr'];
const taskAccess = fc.record({
  name,
  assignee: fc.option(user, { nil: null }),
  candidateUsers: someUsers,
  candidateGroups: someGroups,
  processDefinitionKey: fc.option(fc.constantFrom(...processes), { nil: null }),
  payload: tierValue.map((tier): Record<string, unknown> => (tier === undefined ? {} : { tier })),
  priority: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
  dueDate: fc.option(fc.constantFrom('2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z'), { nil: null }),
  followUpDate: fc.option(fc.constantFrom('2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'), {
    nil: null,
  }),
});
const sortSpec = fc.constantFrom(
  [{ field: 'PRIORITY' as const, direction: 'DESC' as const }],
  [
    { field: 'DUE_DATE' as const, direction: 'ASC' as const },
    { field: 'PRIORITY' as const, direction: 'ASC' as const },
  ],
  [{ field: 'FOLLOW_UP_DATE' as const, direction: 'DESC' as const }],
  [{ field: 'NAME' as const, direction: 'ASC' as const }],
);
const condition: fc.Arbitrary<PayloadCondition | null> = fc.option(
  fc.oneof(
    fc.record({
      path: fc.constant('tier'),
      op: fc.constant('EQ' as const),
      value: fc.constantFrom<unknown>('a', 'b', 1, true, 'zz'),
    }),
    fc.record({
      path: fc.constant('tier'),
      op: fc.constant('IN' as const),
      value: fc.constantFrom<unknown>(['a', 1], ['c'], ['b', true]),
    }),
  ),
  { nil: null },
);
const entryAccess = fc.record({ name, authorizedUsers: someUsers, authorizedGroups: someGroups });
const NOW = new Date('2026-06-01T00:00:00Z');

const mayseeTask = (
  t: {
    assignee: string | null;
    candidateUsers: string[];
    candidateGroups: string[];
    processDefinitionKey: string | null;
  },
  v: Viewer,
) =>
  t.assignee === v.userId ||
  t.candidateUsers.includes(v.userId) ||
  t.candidateGroups.some((g) => v.groups.includes(g)) ||
  (t.assignee === null &&
    t.candidateUsers.length === 0 &&
    t.candidateGroups.length === 0 &&
    t.processDefinitionKey !== null &&
    (v.startableProcesses ?? []).includes(t.processDefinitionKey));

describe('authorisation (property)', () => {
  it('never shows a task or a data entry to a viewer who may not see it, and hides none they may', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(taskAccess, { maxLength: 25 }),
        // changes after the first write, so the indexes are exercised on updates too
        fc.array(fc.tuple(fc.nat(24), taskAccess), { maxLength: 10 }),
        fc.array(entryAccess, { maxLength: 15 }),
        fc.array(viewer, { minLength: 1, maxLength: 5 }),
        condition,
        sortSpec,
        async (tasks, updates, entries, viewers, payloadCondition, sort) => {
          const store = new MemoryViewStore();
          const live = { view: 'tasks' as const, copy: LIVE_COPY };
          const docs = tasks.map((access, i) => aTask(`t${i}`, access));
          await store.commit(live, {
            writes: docs.map((d) => ({ kind: 'upsert', id: d.id, document: d })),
            checkpoint: 1,
          });
          for (const [step, [index, access]] of updates.entries()) {
            if (index >= docs.length) continue;
            // A later revision: the store applies only writes newer than what it holds.
            docs[index] = aTask(docs[index].id, { ...access, version: step + 1 });
            await store.commit(live, {
              writes: [{ kind: 'upsert', id: docs[index].id, document: docs[index] }],
              checkpoint: 1,
            });
          }
          const entryDocs = entries.map((access, i) => aDataEntry(`e${i}`, access));
          await store.commit(
            { view: 'data-entries', copy: LIVE_COPY },
            { writes: entryDocs.map((d) => ({ kind: 'upsert', id: d.id, document: d })), checkpoint: 1 },
          );
          for (const v of viewers) {
            const expectedTasks = docs
              .filter((t) => mayseeTask(t, v))
              .map((t) => t.id)
              .sort();
            const page = await store.findTasks({
              viewer: v,
              filter: { includeDeferred: true },
              first: 1000,
              now: NOW,
            });
            expect(page.nodes.map((t) => t.id).sort()).toEqual(expectedTasks);
            expect(page.totalCount).toBe(expectedTasks.length);
            // Counts reveal no more than the list: only the tasks the viewer may see, with and without filters.
            expect(await store.taskCount({ viewer: v, filter: { includeDeferred: true }, now: NOW })).toBe(
              expectedTasks.length,
            );
            // Filters answered on the index's columns and the viewer's own slots agree with the plain predicate.
            for (const filter of [
              {},
              { assignedToMe: true },
              { priorityMin: 1, priorityMax: 2 },
              { priorityMax: 0 },
            ]) {
              const reference = docs.filter(compileTaskFilter(filter, v, NOW));
              expect(await store.taskCount({ viewer: v, filter, now: NOW })).toBe(reference.length);
              const listed = await store.findTasks({ viewer: v, filter, first: 1000, now: NOW });
              expect(listed.nodes.map((t) => t.id).sort()).toEqual(reference.map((t) => t.id).sort());
            }
            if (payloadCondition) {
              // The indexed payload path must agree with the plain filter semantics.
              const filter = { payload: [payloadCondition] };
              const reference = compileTaskFilter(filter, v, NOW);
              const filtered = await store.findTasks({ viewer: v, filter, first: 1000, now: NOW });
              expect(filtered.nodes.map((t) => t.id).sort()).toEqual(
                docs
                  .filter(reference)
                  .map((t) => t.id)
                  .sort(),
              );
              expect(await store.taskCount({ viewer: v, filter, now: NOW })).toBe(
                docs.filter((t) => reference(t) && mayseeTask(t, v)).length,
              );
              // Sorted and paged three at a time: the same order as sorting the reference result.
              const order = compileTaskSort(sort);
              const expected = docs
                .filter(reference)
                .sort((a, b) => order.compare(order.key(a), a.id, order.key(b), b.id))
                .map((t) => t.id);
              const paged: string[] = [];
              let after: string | null = null;
              for (let i = 0; i < 20; i++) {
                const result: Awaited<ReturnType<MemoryViewStore['findTasks']>> = await store.findTasks({
                  viewer: v,
                  filter,
                  sort,
                  first: 3,
                  after,
                  now: NOW,
                });
                paged.push(...result.nodes.map((t) => t.id));
                if (!result.pageInfo.hasNextPage) break;
                after = result.pageInfo.endCursor;
              }
              expect(paged).toEqual(expected);
            }
            const one = await store.getTasks(
              docs.map((d) => d.id),
              v,
            );
            expect(
              one
                .filter((t) => t !== null)
                .map((t) => t!.id)
                .sort(),
            ).toEqual(expectedTasks);
            const counted = (await store.taskCountByApplication(v, NOW)).reduce((s, c) => s + c.count, 0);
            expect(counted).toBe(
              docs.filter(
                (t) => mayseeTask(t, v) && !(t.followUpDate && Date.parse(t.followUpDate) > NOW.getTime()),
              ).length,
            );

            const expectedEntries = entryDocs
              .filter(
                (e) =>
                  e.authorizedUsers.includes(v.userId) ||
                  e.authorizedGroups.some((g) => v.groups.includes(g)),
              )
              .map((e) => e.id)
              .sort();
            const entryPage = await store.findDataEntries({ viewer: v, first: 1000 });
            expect(entryPage.nodes.map((e) => e.id).sort()).toEqual(expectedEntries);
            const byId = await store.getDataEntries(
              entryDocs.map((e) => e.id),
              v,
            );
            expect(
              byId
                .filter((e) => e !== null)
                .map((e) => e!.id)
                .sort(),
            ).toEqual(expectedEntries);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('authorisation of free-text search (property)', () => {
  it('never finds or counts a task or a data entry the viewer may not see, and misses none they may', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(taskAccess, { maxLength: 25 }),
        fc.array(entryAccess, { maxLength: 15 }),
        fc.array(viewer, { minLength: 1, maxLength: 4 }),
        fc.constantFrom(...searches),
        async (tasks, entries, viewers, search) => {
          const store = new MemoryViewStore();
          const docs = tasks.map((access, i) => aTask(`t${i}`, access));
          await store.commit(
            { view: 'tasks', copy: LIVE_COPY },
            { writes: docs.map((d) => ({ kind: 'upsert', id: d.id, document: d })), checkpoint: 1 },
          );
          const entryDocs = entries.map((access, i) => aDataEntry(`e${i}`, access));
          await store.commit(
            { view: 'data-entries', copy: LIVE_COPY },
            { writes: entryDocs.map((d) => ({ kind: 'upsert', id: d.id, document: d })), checkpoint: 1 },
          );
          // The search's meaning, written out for these names: every word begins a word of the name.
          const fold = (text: string) => text.toLowerCase().replace('ä', 'a').replace('ü', 'u');
          const named = (n: string) =>
            fold(search)
              .split(' ')
              .every((w) =>
                fold(n)
                  .split(' ')
                  .some((part) => part.startsWith(w)),
              );
          for (const v of viewers) {
            for (const filter of [
              { search, includeDeferred: true },
              { search, assignedToMe: true },
            ]) {
              const expected = docs
                .filter((t) => mayseeTask(t, v) && named(t.name))
                .filter((t) => !filter.assignedToMe || t.assignee === v.userId)
                .filter((t) => filter.includeDeferred || compileTaskFilter({}, v, NOW)(t))
                .map((t) => t.id)
                .sort();
              const found = await store.findTasks({ viewer: v, filter, first: 1000, now: NOW });
              expect(found.nodes.map((t) => t.id).sort()).toEqual(expected);
              expect(found.totalCount).toBe(expected.length);
              expect(await store.taskCount({ viewer: v, filter, now: NOW })).toBe(expected.length);
            }
            const entriesFound = await store.findDataEntries({ viewer: v, filter: { search }, first: 1000 });
            expect(entriesFound.nodes.map((e) => e.id).sort()).toEqual(
              entryDocs
                .filter(
                  (e) =>
                    (e.authorizedUsers.includes(v.userId) ||
                      e.authorizedGroups.some((g) => v.groups.includes(g))) &&
                    named(e.name),
                )
                .map((e) => e.id)
                .sort(),
            );
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

/** What happens to one task after its creation, in the closed tasks and history property. */
const taskStep = fc.oneof(
  fc.record({ kind: fc.constant('claim' as const), user }),
  fc.record({ kind: fc.constant('unclaim' as const) }),
  fc.record({ kind: fc.constant('groups' as const), groups: someGroups }),
  fc.record({ kind: fc.constant('users' as const), users: someUsers }),
  fc.record({ kind: fc.constant('comment' as const), user }),
);
const taskLife = fc.record({
  access: fc.record({
    assignee: fc.option(user, { nil: null }),
    candidateUsers: someUsers,
    candidateGroups: someGroups,
  }),
  steps: fc.array(taskStep, { maxLength: 5 }),
  end: fc.constantFrom('open' as const, 'completed' as const, 'deleted' as const),
});

describe('authorisation of closed tasks and histories (property)', () => {
  it('never shows a closed task or a history to a viewer who could not see the task, and hides none they could', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(taskLife, { maxLength: 12 }),
        fc.array(viewer, { minLength: 1, maxLength: 5 }),
        async (lives, viewers) => {
          const events: SpecEvent[] = [];
          // The oracle: who may see each task after its last event, modelled here independently of the projections.
          const finals = lives.map((life, i) => {
            const id = `t${i}`;
            const streamId = `task-${id}`;
            const access = { ...life.access, candidateUsers: [...life.access.candidateUsers] };
            events.push({ ...taskCreated(id, access), streamId });
            for (const step of life.steps) {
              if (step.kind === 'claim') {
                access.assignee = step.user;
                events.push({ type: 'TaskClaimed', data: { id, assignee: step.user }, streamId });
              } else if (step.kind === 'unclaim') {
                if (access.assignee === null) continue;
                events.push({
                  type: 'TaskUnclaimed',
                  data: { id, previousAssignee: access.assignee },
                  streamId,
                });
                access.assignee = null;
              } else if (step.kind === 'groups') {
                access.candidateGroups = step.groups;
                events.push({
                  type: 'TaskCandidateGroupsChanged',
                  data: { id, added: [], removed: [], candidateGroups: step.groups },
                  streamId,
                });
              } else if (step.kind === 'users') {
                access.candidateUsers = step.users;
                events.push({
                  type: 'TaskCandidateUsersChanged',
                  data: { id, added: [], removed: [], candidateUsers: step.users },
                  streamId,
                });
              } else {
                events.push({
                  type: 'TaskCommentAdded',
                  data: { id, author: step.user, text: `secret of ${id}` },
                  streamId,
                  userId: step.user,
                });
              }
            }
            if (life.end === 'completed') {
              events.push({ type: 'TaskCompleted', data: { id, assignee: access.assignee }, streamId });
            } else if (life.end === 'deleted') {
              events.push({ type: 'TaskDeleted', data: { id, deleteReason: null }, streamId });
            }
            return { id, access, closed: life.end !== 'open' };
          });
          const store = new MemoryViewStore();
          for (const projection of [closedTasksProjection, historyProjection] as Projection[]) {
            const stored = applyEvents(projection, storedEventsOf(projection, events));
            await store.commit(
              { view: projection.name, copy: LIVE_COPY },
              { writes: [...stored.values()].map(viewWriteOf), checkpoint: events.length },
            );
          }
          for (const v of viewers) {
            // The starters of a process see its open tasks without candidates; closed tasks and
            // histories stay with the assignee and the candidates.
            const visible = finals.filter((t) => mayseeTask({ ...t.access, processDefinitionKey: null }, v));
            const closed = await store.findClosedTasks({ viewer: v, first: 1000 });
            expect(closed.nodes.map((t) => t.id).sort()).toEqual(
              visible
                .filter((t) => t.closed)
                .map((t) => t.id)
                .sort(),
            );
            const histories = await store.getHistories(
              finals.map((t) => `task:${t.id}`),
              v,
            );
            expect(histories.flatMap((h) => (h ? [h.subjectId] : [])).sort()).toEqual(
              visible.map((t) => t.id).sort(),
            );
            // The comments of a task (in its history) reach only those who may see the task.
            for (const h of histories) {
              for (const entry of h?.entries ?? []) {
                if (entry.comment) expect(entry.comment.text).toBe(`secret of ${h!.subjectId}`);
              }
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
