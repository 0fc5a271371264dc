/**
 * The start events of event sub-processes started by a timer or a message, and the interrupting ones started
 * by an escalation, read at deployment (`event-sub-process-triggers.ts` runs them).
 *
 * bpmn-engine starts an event sub-process only for an event thrown inside the process, and never interrupts
 * the process for it: a timer or a message never starts one. So the start event of a timer or message event
 * sub-process loses its event definition in the compiled model (bpmn-engine runs it as a none start event),
 * and the engine arms the timer and opens the message subscription itself while the scope around the event
 * sub-process runs, as Camunda 8 does.
 */
import { type EventSubProcessStart, type SerializedElement } from './dialect-specs';

/**
 * Reads the start event of an event sub-process with one timer, message or escalation event definition;
 * undefined for any other definition.
 */
export function readEventSubProcessStart(
  start: SerializedElement,
  eventSubProcess: SerializedElement,
  processId: string,
): EventSubProcessStart | undefined {
  const [definition] = start.behaviour.eventDefinitions ?? [];
  const kinds = {
    'bpmn:TimerEventDefinition': 'timer',
    'bpmn:MessageEventDefinition': 'message',
    'bpmn:EscalationEventDefinition': 'escalation',
  } as const;
  const kind = kinds[definition?.type as keyof typeof kinds];
  if (!kind) return undefined;
  const text = (value: unknown) =>
    typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  const scopeId = eventSubProcess.parent?.id;
  return {
    startEventId: start.id,
    eventSubProcessId: eventSubProcess.id,
    scopeId: !scopeId || scopeId === processId ? null : scopeId,
    interrupting: start.behaviour.isInterrupting !== false,
    kind,
    timer:
      kind === 'timer'
        ? {
            timeDuration: text(definition.behaviour.timeDuration),
            timeDate: text(definition.behaviour.timeDate),
            timeCycle: text(definition.behaviour.timeCycle),
          }
        : null,
  };
}

/**
 * Makes the start events of timer and message event sub-processes none start events in the compiled model:
 * the engine starts those event sub-processes itself (see the file's comment).
 */
export function detachEventSubProcessTriggers(
  all: readonly SerializedElement[],
  starts: ReadonlyMap<string, EventSubProcessStart>,
): void {
  for (const element of all) {
    const start = starts.get(element.id);
    if (start && start.kind !== 'escalation') element.behaviour.eventDefinitions = undefined;
  }
}
