/**
 * Compensation as Camunda 8 runs it, read and checked at deployment (`compensation.runtime.ts` runs it).
 *
 * A compensation boundary event on an activity (the compensation activity) is joined by an association to its
 * compensation handler, an activity with `isForCompensation="true"` and no sequence flows. A compensation
 * intermediate throw or end event compensates, in its scope (the process or the sub-process it is in; for one
 * inside an event sub-process, the scope around the event sub-process), the activity its `activityRef` names,
 * or without one every activity of the scope that completed and has a handler; it waits until those handlers
 * are done.
 *
 * bpmn-engine's own compensation would run the handlers of every scope without waiting and ignore
 * `activityRef`: so the throw and end events run with the service behaviour and the engine starts the handlers
 * itself, and the compensation boundary events lose their event definition in the compiled model (they are
 * left when their activity is, and do nothing; bpmn-engine's would hold their scope open at its end).
 */
import { type CompensationThrowSpec, type SerializedElement } from './dialect-specs';
import { type UnresolvedReference } from './moddle-source';

const COMPENSATE = 'bpmn:CompensateEventDefinition';

/** What the compiler read of compensation. */
export interface CompensationSpecs {
  /** Compensation activity id -> the id of its compensation handler. */
  handlers: Map<string, string>;
  /** Compensation throw and end events by id. */
  throws: Map<string, CompensationThrowSpec>;
}

/** A link that bpmn-engine's serializer lists with its source and target (a sequence flow, an association). */
export interface SerializedLink {
  id: string;
  sourceId: string;
  targetId: string;
}

export function isCompensationEvent(element: SerializedElement): boolean {
  const definitions = element.behaviour.eventDefinitions ?? [];
  return definitions.length === 1 && definitions[0].type === COMPENSATE;
}

/**
 * Reads the compensation boundary events, their handlers and the compensation throw and end events of a
 * process; reports, naming the element, a boundary event without exactly one handler, a handler with sequence
 * flows, an `activityRef` that names no activity or one without a compensation boundary event in the event's
 * scope, and a throw that would have to compensate inside a completed sub-process.
 */
export function readCompensations(
  all: readonly SerializedElement[],
  associations: readonly SerializedLink[],
  sequenceFlows: readonly SerializedLink[],
  unresolved: readonly UnresolvedReference[],
  processId: string,
  report: (element: SerializedElement, reason: string) => void,
): CompensationSpecs {
  const specs: CompensationSpecs = { handlers: new Map(), throws: new Map() };
  const byId = new Map(all.map((e) => [e.id, e]));
  const flowEnds = new Set(sequenceFlows.flatMap((f) => [f.sourceId, f.targetId]));
  const container = (element: SerializedElement) =>
    element.parent && element.parent.id !== processId ? element.parent.id : null;

  for (const boundary of all) {
    if (boundary.type !== 'bpmn:BoundaryEvent' || !isCompensationEvent(boundary)) continue;
    const activityId = boundary.behaviour.attachedTo?.id ?? '';
    const handlers = associations
      .filter((a) => a.sourceId === boundary.id || a.targetId === boundary.id)
      .map((a) => byId.get(a.sourceId === boundary.id ? a.targetId : a.sourceId))
      .filter((e): e is SerializedElement => e?.behaviour.isForCompensation === true);
    if (handlers.length !== 1) {
      report(
        boundary,
        handlers.length === 0
          ? 'a compensation boundary event needs a compensation handler: an activity with isForCompensation="true" joined to it by an association'
          : 'a compensation boundary event has one compensation handler, not several',
      );
      continue;
    }
    const [handler] = handlers;
    if (flowEnds.has(handler.id))
      report(handler, 'a compensation handler has no incoming or outgoing sequence flows');
    if (specs.handlers.has(activityId)) {
      report(boundary, `activity ${activityId} has another compensation boundary event`);
      continue;
    }
    specs.handlers.set(activityId, handler.id);
  }

  const compensatedInside = subProcessesCompensatedInside(specs, byId);
  for (const element of all) {
    const throws = element.type === 'bpmn:IntermediateThrowEvent' || element.type === 'bpmn:EndEvent';
    if (!throws || !isCompensationEvent(element)) continue;
    const definition = element.behaviour.eventDefinitions![0].behaviour;
    // Inside an event sub-process, the scope around it is compensated.
    const parent = element.parent ? byId.get(element.parent.id) : undefined;
    const scoped = parent?.behaviour.triggeredByEvent === true ? parent : element;
    const scopeId = container(scoped);
    const missing = unresolved.find((u) => u.element === definition.id && u.property === 'bpmn:activityRef');
    if (missing) {
      report(element, `activityRef "${missing.value}" names no activity`);
      continue;
    }
    const activityRef = (definition.activityRef as { id?: string } | undefined)?.id ?? null;
    if (activityRef !== null) {
      const activity = byId.get(activityRef);
      if (!specs.handlers.has(activityRef) || !activity || container(activity) !== scopeId) {
        report(
          element,
          `activityRef ${activityRef} must name an activity with a compensation boundary event in the scope of the event`,
        );
        continue;
      }
    } else {
      const inside = all.find((e) => compensatedInside.has(e.id) && container(e) === scopeId);
      if (inside)
        report(
          element,
          `compensating the activities inside the completed sub-process ${inside.id} is not supported; attach a compensation boundary event to the sub-process instead`,
        );
    }
    specs.throws.set(element.id, { activityRef, scopeId, inEventSubProcess: scoped !== element });
  }
  return specs;
}

/** After every check passed: bpmn-engine runs no compensation of its own (see the file's comment). */
export function detachCompensationBoundaries(all: readonly SerializedElement[]): void {
  for (const element of all)
    if (element.type === 'bpmn:BoundaryEvent' && isCompensationEvent(element))
      element.behaviour.eventDefinitions = undefined;
}

/** The (non-event) sub-processes with a compensation activity somewhere inside them. */
function subProcessesCompensatedInside(
  specs: CompensationSpecs,
  byId: Map<string, SerializedElement>,
): Set<string> {
  const found = new Set<string>();
  for (const activityId of specs.handlers.keys()) {
    for (let id = byId.get(activityId)?.parent?.id; id; id = byId.get(id)?.parent?.id) {
      const scope = byId.get(id);
      if (!scope || scope.behaviour.triggeredByEvent === true) break;
      found.add(id);
    }
  }
  return found;
}
