/**
 * Signal events as Camunda 8 runs them, read at deployment (`signals.ts` runs them): signal start events of
 * the process, signal intermediate catch events and interrupting signal boundary events, and signal
 * intermediate throw and end events, which broadcast their signal to every instance and process that waits
 * for it. Signals are matched by name, as in Camunda 8; the name must be a literal here.
 */
import { type ModdleElement, type SerializedElement } from './dialect-specs';
import { isFeel } from './feel';

/** The name of the signal an event definition refers to; undefined (reported) when it has none or a FEEL one. */
export function signalNameOf(
  definition: ModdleElement,
  report: (reason: string) => void,
): string | undefined {
  const raw = (definition.signalRef as { name?: unknown } | undefined)?.name;
  const name = typeof raw === 'string' ? raw.trim() : '';
  if (name === '') {
    report('a signal event needs a signal with a name');
    return undefined;
  }
  if (isFeel(name)) {
    report('the signal name must be a literal');
    return undefined;
  }
  return name;
}

/** Whether the element's only event definition is a signal's. */
export function isSignalEvent(element: SerializedElement): boolean {
  const definitions = element.behaviour.eventDefinitions ?? [];
  return definitions.length === 1 && definitions[0].type === 'bpmn:SignalEventDefinition';
}
