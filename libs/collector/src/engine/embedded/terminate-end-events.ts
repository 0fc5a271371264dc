/**
 * Terminate end events as Camunda 8 runs them: reaching one ends its flow scope (the process, or the embedded
 * or event sub-process it is in) by terminating every other element instance of that scope; the scope then
 * completes (the instance finishes, it is not cancelled). bpmn-elements would stop the other elements instead of
 * leaving them, so the compiler runs the event as a none end event and `terminate-end-event.runtime.ts` does
 * the termination.
 */
import { type SerializedElement } from './dialect-specs';

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
