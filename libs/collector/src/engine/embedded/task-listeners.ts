/**
 * Task listeners of user tasks (`zeebe:taskListeners`) as Camunda 8.8 runs them, read at deployment
 * (`task-listener.runtime.ts` runs them): a `creating` listener is a job of its type that a worker completes
 * before the task is created; its job result's `corrections` (assignee, candidates, dates, priority) change the
 * task it creates. Listeners of the other events are refused, naming the element.
 */
import { type ModdleElement } from './dialect-specs';
import { jobTypeProblem } from './job-types';
import { type JobElementSpec } from './jobs/job-elements';

/** The `creating` listeners of a user task, in order, as job specs named by the user task's id. */
export function readTaskListeners(
  elementId: string,
  listeners: ModdleElement | undefined,
  report: (reason: string) => void,
): JobElementSpec[] {
  const list = (listeners?.listeners ?? []) as { eventType?: unknown; type?: unknown; retries?: unknown }[];
  const creating: JobElementSpec[] = [];
  for (const listener of list) {
    if (listener.eventType !== 'creating') {
      report(`task listeners on ${String(listener.eventType)} are not supported (only on creating)`);
      continue;
    }
    const problem = jobTypeProblem(listener.type);
    if (problem) {
      report(`task listener: ${problem}`);
      continue;
    }
    creating.push({
      elementId,
      type: listener.type as string,
      retries: typeof listener.retries === 'string' && listener.retries !== '' ? listener.retries : null,
      customHeaders: {},
    });
  }
  return creating;
}
