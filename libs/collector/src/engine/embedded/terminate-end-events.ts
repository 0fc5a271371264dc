/**
 * Terminate end events as Camunda 8 runs them: reaching one ends its flow scope (the process, or the embedded
 * or event sub-process it is in) by terminating every other element instance of that scope; the scope then
 * completes (the instance finishes, it is not cancelled). bpmn-elements would stop the other elements instead of
 * leaving them, so the compiler runs the event as a none end event and this file does the termination.
 */
import { type TaskCancellationReason } from '../engine.port';
import { type SerializedElement } from './dialect-specs';
import { type ElementApi, type OpenTask, type Runtime } from './instance-state';
import { scopeExecution } from './scope-executions';

const TERMINATE = 'bpmn:TerminateEventDefinition';

/** Whether an end event is a terminate end event. */
export function isTerminateEndEvent(element: SerializedElement): boolean {
  const definitions = element.behaviour.eventDefinitions ?? [];
  return element.type === 'bpmn:EndEvent' && definitions.length === 1 && definitions[0].type === TERMINATE;
}

/** Records a terminate end event and lets bpmn-engine run it as a none end event. */
export function readTerminateEndEvent(element: SerializedElement, into: Set<string>): void {
  delete element.behaviour.eventDefinitions;
  into.add(element.id);
}

/**
 * A terminate end event completed: every other element of its scope is left (in a multi-instance
 * sub-process: of its first inner instance, a limit). Open user tasks of the process
 * scope are cancelled as the instance ends (`instanceEnded`); those of a sub-process as interrupted.
 */
export function terminateScope(
  rt: Runtime,
  api: ElementApi,
  cancelTask: (open: OpenTask, reason: TaskCancellationReason) => void,
  hasEnded: (executionId: string) => boolean,
): void {
  const scopeId = rt.definition.compiled.parents.get(api.id) ?? null;
  if (scopeId === null) for (const open of Object.values(rt.meta.tasks)) cancelTask(open, 'instanceEnded');
  const scope = scopeExecution(rt, scopeId);
  // Elements that completed and are leaving (the terminate end event among them) are not terminated.
  for (const other of scope?.getPostponed() ?? []) if (!hasEnded(other.executionId)) other.discard();
}
