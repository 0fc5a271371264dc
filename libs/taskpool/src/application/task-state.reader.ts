import { taskStreamId } from '@eddy/contracts';
import type { EventStore } from '@eddy/eventstore';
import { taskDecider, type TaskState } from '../domain/task.decider';

/**
 * The state of one task as the core decides on it, folded from the task's stream. For callers that
 * must tell a closed task from one that never existed: the task view keeps no closed task.
 */
export async function readTaskState(store: EventStore, taskId: string): Promise<TaskState> {
  let state = taskDecider.initialState();
  for (const event of await store.readStream(taskStreamId(taskId))) {
    state = taskDecider.evolve(state, { type: event.type, data: event.data } as Parameters<
      typeof taskDecider.evolve
    >[1]);
  }
  return state;
}
