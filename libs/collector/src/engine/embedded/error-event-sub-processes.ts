/**
 * Error event sub-processes, of the process and of embedded sub-processes, as Camunda 8 runs them: an error
 * thrown at an element goes outwards, scope by scope: the element's error boundary events, then the error
 * event sub-processes of the scope it is in (the one whose error start event catches its code, else one that
 * catches every code), then the boundary events of that scope, the event sub-processes of the scope around
 * it, and so on up to the process. An error event sub-process interrupts everything else its scope runs.
 *
 * bpmn-engine starts an event sub-process only for an event thrown with its id inside its scope, and never
 * interrupts the scope for it; a job's error it does not hand to event sub-processes at all. So a job error
 * that such an event sub-process catches is not given to bpmn-engine as the element's error: the event
 * sub-process is run in its scope and sent the error (as bpmn-engine itself does for a delegated throw), and
 * every other element of that scope is discarded (`error-event-sub-process.start.ts`).
 */
import { type SerializedElement } from './dialect-specs';
import { codeOf, type ErrorCatch } from './error-events';

/** An event sub-process started by an error start event. */
export interface ErrorEventSubProcess {
  id: string;
  /** The sub-process it is in; null when it is in the process itself. */
  scopeId: string | null;
  /** The id of the `bpmn:error` its start event names; null when it names none (it catches every code). */
  errorRefId: string | null;
  /** The code it catches; null for every code. */
  code: string | null;
}

/** What is needed at run time to find the event sub-process that catches an error. */
export interface ErrorEventSubProcesses {
  /** The error event sub-processes of the process and of its sub-processes, in document order. */
  list: ErrorEventSubProcess[];
  /** Error boundary events by the element they are attached to. */
  boundaries: Map<string, ErrorCatch>;
  /** Element id -> the id of the sub-process it is in (absent for elements of the process itself). */
  parents: Map<string, string>;
  /** Error end events whose error one of them catches, with the error code (set by the compiler). */
  errorEnds: Map<string, string>;
}

/** Reads the error event sub-processes of the process and its sub-processes, and the error boundary events. */
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
      if (eventSubProcess?.behaviour.triggeredByEvent !== true) continue;
      const errorRefId = (definition.behaviour.errorRef as { id?: string } | undefined)?.id ?? null;
      const scope = eventSubProcess.parent?.id;
      const scopeId = !scope || scope === processId ? null : scope;
      specs.list.push({ id: eventSubProcess.id, scopeId, errorRefId, code });
    }
  }
  return specs;
}

/**
 * The error event sub-process that catches an error thrown at an element, when no error boundary event of the
 * element, or of a sub-process around it on the way out, catches it first. An error thrown inside an event
 * sub-process is not caught by the event sub-processes of the scope that event sub-process is in.
 */
export function eventSubProcessCatching(
  specs: ErrorEventSubProcesses,
  elementId: string,
  errorCode: string,
): ErrorEventSubProcess | undefined {
  if (specs.list.length === 0) return undefined;
  const ownIds = new Set(specs.list.map((esp) => esp.id));
  for (let id: string | undefined = elementId; id; id = specs.parents.get(id)) {
    const caught = specs.boundaries.get(id);
    if (caught && (caught.all || caught.codes.includes(errorCode))) return undefined;
    if (ownIds.has(id) && id !== elementId) continue;
    const scopeId = specs.parents.get(id) ?? null;
    const here = specs.list.filter((esp) => esp.scopeId === scopeId);
    const esp = here.find((e) => e.code === errorCode) ?? here.find((e) => e.code === null);
    if (esp) return esp;
  }
  return undefined;
}
