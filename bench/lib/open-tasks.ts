import type { TaskAttributes } from '@eddy/contracts';
import { LIVE_COPY, type MemoryViewStore, taskViewOf } from '@eddy/projections';

/**
 * Writes `count` open tasks of process `order` in application `shop` into the embedded view store, in
 * batches of 5,000: `fieldsOf(i)` gives what the i-th task has beyond that (name, groups, payload ...).
 */
export async function seedOpenTasks(
  store: MemoryViewStore,
  count: number,
  fieldsOf: (i: number) => Partial<TaskAttributes>,
): Promise<void> {
  const batch = 5_000;
  for (let from = 0; from < count; from += batch) {
    const writes = [];
    for (let i = from; i < Math.min(count, from + batch); i++) {
      const document = taskViewOf(
        {
          id: `t-${i}`,
          name: `Task ${i}`,
          taskDefinitionKey: 'approve',
          sourceReference: {
            type: 'process',
            instanceId: `pi-${i}`,
            definitionId: 'order:1',
            definitionKey: 'order',
            name: 'Order',
            applicationName: 'shop',
          },
          description: null,
          formKey: null,
          priority: null,
          createTime: '2026-01-01T10:00:00.000Z',
          dueDate: null,
          followUpDate: null,
          assignee: null,
          owner: null,
          candidateUsers: [],
          candidateGroups: [],
          businessKey: null,
          payload: {},
          correlations: [],
          ...fieldsOf(i),
        },
        0,
        i + 1,
      );
      writes.push({ kind: 'upsert' as const, id: document.id, document });
    }
    await store.commit(
      { view: 'tasks', copy: LIVE_COPY },
      { writes, checkpoint: Math.min(count, from + batch) },
    );
  }
}
