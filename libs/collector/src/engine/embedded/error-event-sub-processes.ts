/**
 * Error event sub-processes of the process, as Camunda 8 runs them: an error that no boundary event of the
 * element (or of a sub-process around it) catches starts the process's event sub-process whose error start
 * event catches its code (or every code), and interrupts everything else the instance was doing.
 *
 * bpmn-engine starts an event sub-process only for an event thrown with its id inside the process, and never
 * interrupts the process for it; a job's error it does not hand to event sub-processes at all. So a job error
 * that such an event sub-process catches is not given to bpmn-engine as the element's error: the event
 * sub-process is run and sent the error (as bpmn-engine itself does for a delegated throw), and every other
 * element of the process is discarded (`error-event-sub-process.start.ts`).
 */
import { type SerializedElement } from './dialect-specs';
import { codeOf, type ErrorCatch } from './error-events';

/** An event sub-process of the process started by an error start event. */
export interface ErrorEventSubProcess {
  id: string;
  /** The id of the `bpmn:error` its start event names; null when it names none (it catches every code). */
  errorRefId: string | null;
  /** The code it catches; null for every code. */
  code: string | null;
}

/** What is needed at run time to find the event sub-process that catches an error. */
export interface ErrorEventSubProcesses {
  /** The process's error event sub-processes, in document order. */
  list: ErrorEventSubProcess[];
  /** Error boundary events by the element they are attached to. */
  boundaries: Map<string, ErrorCatch>;
  /** Element id -> the id of the sub-process it is in (absent for elements of the process itself). */
  parents: Map<string, string>;
  /** Error end events whose error one of them catches, with the error code (set by the compiler). */
  errorEnds: Map<string, string>;
}

/** Reads the error event sub-processes of the process and the error boundary events in it. */
export function readErrorEventSubProcesses(
  all: readonly SerializedElement[],
  processId: string,
): ErrorEventSubProcesses {
  const byId = new Map(all.map((e) => [e.id, e]));
  const specs: ErrorEventSubProcesses = {
    list: [],
    boundaries: new Map(),
    parents: new Map(),
    errorEnds: new Map(),
  };
  for (const element of all) {
    if (element.parent && element.parent.id !== processId) specs.parents.set(element.id, element.parent.id);
    const definition = element.behaviour.eventDefinitions?.find(
      (d) => d.type === 'bpmn:ErrorEventDefinition',
    );
    if (!definition) continue;
    const code = codeOf(definition.behaviour, byId);
    if (element.type === 'bpmn:BoundaryEvent' && element.behaviour.attachedTo) {
      const at = element.behaviour.attachedTo.id;
      const caught = specs.boundaries.get(at) ?? { all: false, codes: [] };
      if (code === null) caught.all = true;
      else caught.codes.push(code);
      specs.boundaries.set(at, caught);
    } else if (element.type === 'bpmn:StartEvent' && element.parent) {
      const eventSubProcess = byId.get(element.parent.id);
      if (eventSubProcess?.behaviour.triggeredByEvent !== true || eventSubProcess.parent?.id !== processId)
        continue;
      const errorRefId = (definition.behaviour.errorRef as { id?: string } | undefined)?.id ?? null;
      specs.list.push({ id: eventSubProcess.id, errorRefId, code });
    }
  }
  return specs;
}

/**
 * The process's error event sub-process that catches an error thrown at an element, when no error boundary
 * event of the element or of a sub-process around it catches it first; an error thrown inside an event
 * sub-process is not caught by the event sub-processes of the process.
 */
export function eventSubProcessCatching(
  specs: ErrorEventSubProcesses,
  elementId: string,
  errorCode: string,
): ErrorEventSubProcess | undefined {
  if (specs.list.length === 0) return undefined;
  const ownIds = new Set(specs.list.map((esp) => esp.id));
  for (let id: string | undefined = elementId; id; id = specs.parents.get(id)) {
    if (ownIds.has(id) && id !== elementId) return undefined;
    const caught = specs.boundaries.get(id);
    if (caught && (caught.all || caught.codes.includes(errorCode))) return undefined;
  }
  return specs.list.find((esp) => esp.code === errorCode) ?? specs.list.find((esp) => esp.code === null);
}
