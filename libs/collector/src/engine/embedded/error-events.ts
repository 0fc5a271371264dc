/**
 * BPMN errors in the zeebe dialect: which errors the error boundary events of an element catch, so that a
 * job's error that nothing catches raises an incident (as Camunda 8 does) instead of ending the instance.
 *
 * What is mapped to bpmn-engine: error boundary events (interrupting) on job-based elements catch the errors
 * a worker throws through `/error` with their `errorCode`, or every code when they name no error.
 */

/** The errors an element's boundary events catch. */
export interface ErrorCatch {
  /** A boundary event that names no error catches every error. */
  all: boolean;
  codes: string[];
}

interface ElementLike {
  id: string;
  type: string;
  behaviour: {
    errorCode?: unknown;
    attachedTo?: { id: string };
    eventDefinitions?: { type: string; behaviour: { [attribute: string]: unknown } }[];
  };
}

/** The error codes caught on each element that has error boundary events, by element id. */
export function errorCatchers(elements: readonly ElementLike[]): Map<string, ErrorCatch> {
  const errors = new Map(elements.filter((e) => e.type === 'bpmn:Error').map((e) => [e.id, e]));
  const catchers = new Map<string, ErrorCatch>();
  for (const element of elements) {
    const attachedTo = element.behaviour.attachedTo?.id;
    if (element.type !== 'bpmn:BoundaryEvent' || !attachedTo) continue;
    for (const definition of element.behaviour.eventDefinitions ?? []) {
      if (definition.type !== 'bpmn:ErrorEventDefinition') continue;
      let caught = catchers.get(attachedTo);
      if (!caught) catchers.set(attachedTo, (caught = { all: false, codes: [] }));
      const errorId = (definition.behaviour.errorRef as { id?: string } | undefined)?.id;
      if (!errorId) {
        caught.all = true;
        continue;
      }
      // bpmn-engine compares the thrown code with the referenced error's: one without a code catches nothing.
      const code = errors.get(errorId)?.behaviour.errorCode;
      if (typeof code === 'string' && code !== '') caught.codes.push(code);
    }
  }
  return catchers;
}

/** Whether an error with this code is caught. */
export function catchesError(caught: ErrorCatch | undefined, errorCode: string): boolean {
  return !!caught && (caught.all || caught.codes.includes(errorCode));
}
