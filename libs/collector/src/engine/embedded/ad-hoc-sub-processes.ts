/**
 * Ad-hoc sub-processes as Camunda 8.8 runs them, read at deployment (`ad-hoc-sub-process.runtime.ts` runs
 * them). Its elements without incoming sequence flows do not start with it: they are activated, by the ids
 * of `zeebe:adHoc activeElementsCollection` when it starts, or by the job result of its job worker when it has
 * a `zeebe:taskDefinition` (an AI agent, for one). It completes when its completion condition holds after an
 * element completed (without one, when no element is active any more), or when its job worker says so.
 *
 * bpmn-engine has no ad-hoc sub-process: it runs one as an embedded sub-process. So that its elements do not
 * all start with it, they are marked as started by an event; so that it does not complete when no element is
 * active, a keeper element is added inside it: a manual task that waits until the sub-process is to complete,
 * or, for a job worker, a service task that is the sub-process's job.
 */
import { type AdHocSubProcessSpec, type ModdleElement, type SerializedElement } from './dialect-specs';
import { isFeel } from './feel';

/** Marks the keeper element added to an ad-hoc sub-process, with the sub-process's id. */
const KEEPER_OF = 'eddyAdHocKeeperOf';

interface ModdleNode {
  $type: string;
  id?: string;
  name?: string;
  flowElements?: ModdleNode[];
  extensionElements?: { values?: ModdleNode[] };
  [attribute: string]: unknown;
}

/** Adds the keeper element to every ad-hoc sub-process of the read document (before bpmn-engine reads it). */
export function addAdHocKeepers(rootElements: ModdleNode[] | undefined): void {
  const visit = (node: ModdleNode) => {
    for (const child of node.flowElements ?? []) visit(child);
    if (node.$type !== 'bpmn:AdHocSubProcess' || !node.id) return;
    const byJobWorker = (node.extensionElements?.values ?? []).some(
      (e) => e.$type === 'zeebe:TaskDefinition',
    );
    node.flowElements = [
      ...(node.flowElements ?? []),
      {
        $type: byJobWorker ? 'bpmn:ServiceTask' : 'bpmn:ManualTask',
        id: keeperIdOf(node.id),
        name: node.name,
        $parent: node,
        [KEEPER_OF]: node.id,
      },
    ];
  };
  for (const root of rootElements ?? []) visit(root);
}

export function keeperIdOf(adHocSubProcessId: string): string {
  return `${adHocSubProcessId}__keeper`;
}

/** Whether the element is a keeper the compiler added (it is not checked as a modelled element). */
export function isAdHocKeeper(element: SerializedElement): boolean {
  return typeof element.behaviour[KEEPER_OF] === 'string';
}

/**
 * Reads an ad-hoc sub-process's `zeebe:adHoc`, completion condition and cancel flag; the elements it can
 * activate are added by {@link finishAdHocSubProcesses}.
 */
export function readAdHocSubProcess(
  element: SerializedElement,
  zeebeAdHoc: ModdleElement | undefined,
  byJobWorker: boolean,
  report: (reason: string) => void,
): AdHocSubProcessSpec {
  const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);
  const asFeel = (value: string | null) => (value === null || isFeel(value) ? value : `=${value}`);
  const condition = element.behaviour.completionCondition as { body?: string } | undefined;
  const completionCondition = text(condition?.body);
  if (completionCondition !== null && !isFeel(completionCondition))
    report('the completion condition must be FEEL (start with "=")');
  const outputCollection = text(zeebeAdHoc?.outputCollection);
  const outputElement = asFeel(text(zeebeAdHoc?.outputElement));
  if ((outputCollection === null) !== (outputElement === null))
    report('zeebe:adHoc needs both outputCollection and outputElement, or neither');
  return {
    id: element.id,
    keeperId: keeperIdOf(element.id),
    activatable: [],
    activeElementsCollection: asFeel(text(zeebeAdHoc?.activeElementsCollection)),
    completionCondition,
    cancelRemainingInstances: element.behaviour.cancelRemainingInstances !== false,
    outputCollection,
    outputElement,
    byJobWorker,
  };
}

/**
 * Finds the elements each ad-hoc sub-process can activate (its elements without incoming sequence flows) and
 * marks them so that bpmn-engine does not start them with the sub-process. Reports one with none.
 */
export function finishAdHocSubProcesses(
  all: readonly SerializedElement[],
  flows: readonly SerializedElement[],
  specs: ReadonlyMap<string, AdHocSubProcessSpec>,
  report: (element: SerializedElement, reason: string) => void,
): void {
  if (specs.size === 0) return;
  const targets = new Set(flows.map((f) => (f as unknown as { targetId: string }).targetId));
  for (const element of all) {
    const spec = element.parent ? specs.get(element.parent.id) : undefined;
    if (!spec || isAdHocKeeper(element) || targets.has(element.id)) continue;
    if (element.type === 'bpmn:BoundaryEvent' || element.behaviour.triggeredByEvent === true) continue;
    spec.activatable.push(element.id);
  }
  for (const spec of specs.values()) {
    const adHoc = all.find((e) => e.id === spec.id)!;
    if (spec.activatable.length === 0) report(adHoc, 'an ad-hoc sub-process needs at least one activity');
  }
}

/** After every check passed: the activatable elements no longer start with their sub-process. */
export function detachActivatableElements(
  all: readonly SerializedElement[],
  specs: ReadonlyMap<string, AdHocSubProcessSpec>,
): void {
  const activatable = new Set([...specs.values()].flatMap((s) => s.activatable));
  for (const element of all) if (activatable.has(element.id)) element.behaviour.triggeredByEvent = true;
}
