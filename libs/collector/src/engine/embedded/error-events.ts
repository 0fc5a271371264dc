/**
 * BPMN errors in the zeebe dialect: which errors can be caught where, so that an error that nothing catches
 * raises an incident and keeps the instance waiting (as Camunda 8 does) instead of being lost.
 *
 * What is mapped to bpmn-engine:
 * - a worker's `/error` (and an in-process handler's) goes to bpmn-engine as the job element's error with its
 *   code; error boundary events on the element, or on a sub-process around it, catch it by `errorCode`
 *   (one that names no error catches every code), and so do error start events of event sub-processes
 *   around it;
 * - error end events throw their error's code the same way; one that nothing around it catches raises an
 *   incident where bpmn-engine would end the instance normally.
 */

/** The errors that can be caught at an element: by its boundary events and by the scopes around it. */
export interface ErrorCatch {
  /** A catch event that names no error catches every error. */
  all: boolean;
  codes: string[];
}

interface ElementLike {
  id: string;
  type: string;
  parent?: { id: string; type: string };
  behaviour: {
    errorCode?: unknown;
    triggeredByEvent?: unknown;
    attachedTo?: { id: string };
    eventDefinitions?: { type: string; behaviour: { [attribute: string]: unknown } }[];
  };
}

/**
 * For every element of the process, what can catch an error thrown there, by element id (elements where
 * nothing can are left out).
 */
export function errorCatchers(elements: readonly ElementLike[]): Map<string, ErrorCatch> {
  const byId = new Map(elements.map((e) => [e.id, e]));
  // What catches errors thrown inside a scope or by an element: its own boundary events (by attached element)
  // and the error start events of event sub-processes (by the scope they sit in).
  const direct = new Map<string, ErrorCatch>();
  for (const element of elements) {
    const definitions = (element.behaviour.eventDefinitions ?? []).filter(
      (d) => d.type === 'bpmn:ErrorEventDefinition',
    );
    if (definitions.length === 0) continue;
    let at: string | undefined;
    if (element.type === 'bpmn:BoundaryEvent') at = element.behaviour.attachedTo?.id;
    else if (element.type === 'bpmn:StartEvent' && element.parent) {
      const eventSubProcess = byId.get(element.parent.id);
      if (eventSubProcess?.behaviour.triggeredByEvent) at = eventSubProcess.parent?.id;
    }
    if (!at) continue;
    for (const definition of definitions) add(direct, at, codeOf(definition.behaviour, byId));
  }
  const catchers = new Map<string, ErrorCatch>();
  for (const element of elements) {
    const caught: ErrorCatch = { all: false, codes: [] };
    // The element itself, then each scope around it, up to the process.
    for (let id: string | undefined = element.id; id; id = byId.get(id)?.parent?.id) {
      const here = direct.get(id);
      if (!here) continue;
      caught.all ||= here.all;
      caught.codes.push(...here.codes);
    }
    if (caught.all || caught.codes.length > 0) catchers.set(element.id, caught);
  }
  return catchers;
}

/** Whether an error with this code is caught. */
export function catchesError(caught: ErrorCatch | undefined, errorCode: string): boolean {
  return !!caught && (caught.all || caught.codes.includes(errorCode));
}

/** The error codes thrown by error end events, by element id. */
export function errorEndEvents(elements: readonly ElementLike[]): Map<string, string> {
  const byId = new Map(elements.map((e) => [e.id, e]));
  const found = new Map<string, string>();
  for (const element of elements) {
    if (element.type !== 'bpmn:EndEvent') continue;
    const definition = element.behaviour.eventDefinitions?.find(
      (d) => d.type === 'bpmn:ErrorEventDefinition',
    );
    if (!definition) continue;
    const code = codeOf(definition.behaviour, byId);
    found.set(element.id, code ?? '');
  }
  return found;
}

/**
 * The code of the error an event definition references: null when it references none (a catch event then
 * catches every code); an error without a code has the code '' (bpmn-engine compares codes: it catches
 * nothing but a catch-all).
 */
export function codeOf(
  definition: { [attribute: string]: unknown },
  byId: Map<string, ElementLike>,
): string | null {
  const errorId = (definition.errorRef as { id?: string } | undefined)?.id;
  if (!errorId) return null;
  const code = byId.get(errorId)?.behaviour.errorCode;
  return typeof code === 'string' ? code : '';
}

function add(map: Map<string, ErrorCatch>, at: string, code: string | null): void {
  let caught = map.get(at);
  if (!caught) map.set(at, (caught = { all: false, codes: [] }));
  if (code === null) caught.all = true;
  else if (code !== '') caught.codes.push(code);
}
