/**
 * Task listeners of user tasks (`zeebe:taskListeners`) as Camunda 8.8 runs them, read at deployment
 * (`task-listener.runtime.ts` runs them): each is a job of its type that a worker completes before the
 * lifecycle transition of its event takes effect: `creating` before the task is created, `assigning`,
 * `updating` and `completing` before the assignment, update or completion (which a listener may deny).
 * Their job results' `corrections` (assignee, candidates, dates, priority) change the task. `canceling`
 * listeners are refused, naming the element: the embedded engine cancels a task at once.
 */
import { type ModdleElement, type TaskListenerEvent, type TaskListenerSpecs } from './dialect-specs';
import { jobTypeProblem } from './job-types';

/** The lifecycle events whose listeners the embedded engine runs. */
export const TASK_LISTENER_EVENTS: readonly TaskListenerEvent[] = [
  'creating',
  'assigning',
  'updating',
  'completing',
];

/** The listeners of a user task, by event, as job specs named by the user task's id; null when it has none. */
export function readTaskListeners(
  elementId: string,
  listeners: ModdleElement | undefined,
  report: (reason: string) => void,
): TaskListenerSpecs | null {
  const list = (listeners?.listeners ?? []) as { eventType?: unknown; type?: unknown; retries?: unknown }[];
  const specs: TaskListenerSpecs = {};
  let any = false;
  for (const listener of list) {
    const event = listener.eventType;
    if (event === 'canceling') {
      report('canceling task listeners are not supported: the embedded engine cancels a task at once');
      continue;
    }
    if (!TASK_LISTENER_EVENTS.includes(event as TaskListenerEvent)) {
      report(`task listener event type ${String(event)} is not one of ${TASK_LISTENER_EVENTS.join(', ')}`);
      continue;
    }
    const problem = jobTypeProblem(listener.type);
    if (problem) {
      report(`task listener: ${problem}`);
      continue;
    }
    (specs[event as TaskListenerEvent] ??= []).push({
      elementId,
      type: listener.type as string,
      retries: typeof listener.retries === 'string' && listener.retries !== '' ? listener.retries : null,
      customHeaders: {},
    });
    any = true;
  }
  return any ? specs : null;
}
