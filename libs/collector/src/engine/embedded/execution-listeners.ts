/**
 * Execution listeners (`zeebe:executionListeners`) as Camunda 8 runs them: each is a job of its type, named by
 * the element's id, that waits for a worker; the listeners of one event type run in turn, in model order. A
 * `start` listener runs before the element (its variables are seen by the element's input mappings and
 * expressions), an `end` listener after the element completed (after its output mappings); a listener job out
 * of retries is an incident that keeps the instance waiting.
 *
 * bpmn-engine has no listeners: before bpmn-engine reads the document, each listener becomes a service task of
 * the listener's job type, put on the sequence flows before the element (start) or after it (end), so that the
 * jobs, their retries, incidents and restarts are those of every other job. Where that cannot be as in Camunda
 * 8 (a joining gateway, the targets of an event-based gateway, elements without incoming flows, the end of the
 * process), the listener is refused at deployment, naming the element; so are the listeners Camunda 8 refuses.
 */
import { type ModdleElement, type SerializedElement } from './dialect-specs';
import { jobTypeProblem } from './job-types';
import { type JobElementSpec } from './jobs/job-elements';

/** Marks the service tasks added for listeners: the id of the element listened to, and the event type. */
const LISTENER_OF = 'eddyExecutionListenerOf';
const LISTENER_EVENT = 'eddyExecutionListenerEvent';

type EventType = 'start' | 'end';

interface ModdleNode {
  $type: string;
  id?: string;
  $parent?: ModdleNode;
  flowElements?: ModdleNode[];
  extensionElements?: { values?: ModdleNode[] };
  [attribute: string]: unknown;
}

interface ModdleReference {
  element: ModdleNode;
  property: string;
  id: string;
}

/** What of bpmn-moddle's result the listeners change: the elements, and the references that make flows. */
export interface ListenedModdleContext {
  rootElement: { rootElements?: unknown[] };
  references?: ModdleReference[];
  elementsById?: Record<string, unknown>;
}

interface ListenerDefinition {
  eventType?: unknown;
  type?: unknown;
  retries?: unknown;
  headers?: unknown;
}

function listenersOf(behaviour: { [attribute: string]: unknown }): ListenerDefinition[] {
  const values = (behaviour.extensionElements as { values?: ModdleElement[] } | undefined)?.values ?? [];
  const container = values.find((e) => e.$type === 'zeebe:ExecutionListeners');
  return (container?.listeners ?? []) as ListenerDefinition[];
}

const usable = (listener: ListenerDefinition, eventType: EventType) =>
  listener.eventType === eventType && jobTypeProblem(listener.type) === null;

/**
 * Adds the service tasks of the execution listeners to the read document (before bpmn-engine reads it); the
 * compiler's check ({@link checkExecutionListeners}) refuses what is not added as Camunda 8 would run it.
 */
export function addExecutionListenerTasks(context: ListenedModdleContext): void {
  const references = (context.references ??= []);
  const byId = (context.elementsById ??= {});
  const graph = { references, byId };
  const visit = (node: ModdleNode) => {
    for (const child of [...(node.flowElements ?? [])]) visit(child);
    const listeners = listenersOf(node);
    if (listeners.length === 0 || !node.id) return;
    const start = listeners.filter((l) => usable(l, 'start'));
    const end = listeners.filter((l) => usable(l, 'end'));
    if (node.$type === 'bpmn:Process') {
      // Before everything the process does: after each of its start events.
      for (const event of node.flowElements ?? [])
        if (event.$type === 'bpmn:StartEvent') chainAfter(graph, event, node.id, 'start', start);
      return;
    }
    if (start.length > 0) chainBefore(graph, node, start);
    if (end.length > 0) chainAfter(graph, node, node.id, 'end', end);
  };
  for (const root of context.rootElement.rootElements ?? []) visit(root as ModdleNode);
}

interface Graph {
  references: ModdleReference[];
  byId: Record<string, unknown>;
}

/** The listeners' tasks in order, in the container of `beside`, linked by new sequence flows. */
function addTasks(
  graph: Graph,
  beside: ModdleNode,
  listenedId: string,
  eventType: EventType,
  listeners: ListenerDefinition[],
): ModdleNode[] {
  const container = beside.$parent!;
  // The element's task headers, and the listener's, which win.
  const headersOf = (holder: { [attribute: string]: unknown } | undefined) =>
    (((holder?.extensionElements as { values?: ModdleNode[] } | undefined)?.values ?? []).find(
      (e) => e.$type === 'zeebe:TaskHeaders',
    )?.values ?? []) as unknown[];
  const listened = graph.byId[listenedId] as ModdleNode | undefined;
  const tasks = listeners.map((listener, i) => {
    const task: ModdleNode = {
      $type: 'bpmn:ServiceTask',
      id: `${beside.id}__${eventType}-listener-${i + 1}`,
      $parent: container,
      extensionElements: {
        values: [
          {
            $type: 'zeebe:TaskDefinition',
            type: listener.type,
            ...(typeof listener.retries === 'string' && listener.retries !== ''
              ? { retries: listener.retries }
              : {}),
          },
          {
            $type: 'zeebe:TaskHeaders',
            values: [
              ...headersOf(listened),
              ...(((listener.headers as ModdleNode | undefined)?.values ?? []) as unknown[]),
            ],
          },
        ],
      },
      [LISTENER_OF]: listenedId,
      [LISTENER_EVENT]: eventType,
    };
    container.flowElements!.push(task);
    graph.byId[task.id!] = task;
    return task;
  });
  for (let i = 1; i < tasks.length; i++) addFlow(graph, tasks[i - 1], tasks[i]);
  return tasks;
}

function addFlow(graph: Graph, source: ModdleNode, target: ModdleNode): void {
  const container = source.$parent!;
  const flow: ModdleNode = {
    $type: 'bpmn:SequenceFlow',
    id: `${source.id}__to__${target.id}`,
    $parent: container,
  };
  container.flowElements!.push(flow);
  graph.byId[flow.id!] = flow;
  graph.references.push({ element: flow, property: 'bpmn:sourceRef', id: source.id! });
  graph.references.push({ element: flow, property: 'bpmn:targetRef', id: target.id! });
}

/** Start listeners: every sequence flow into the element leads to the first listener, the last to the element. */
function chainBefore(graph: Graph, node: ModdleNode, listeners: ListenerDefinition[]): void {
  const tasks = addTasks(graph, node, node.id!, 'start', listeners);
  for (const ref of graph.references)
    if (ref.property === 'bpmn:targetRef' && ref.id === node.id && ref.element.$type === 'bpmn:SequenceFlow')
      ref.id = tasks[0].id!;
  addFlow(graph, tasks.at(-1)!, node);
}

/**
 * End listeners (and the process's start listeners after a start event): the element's outgoing flows leave
 * from the last listener; an end event gets a none end event after its listeners.
 */
function chainAfter(
  graph: Graph,
  node: ModdleNode,
  listenedId: string,
  eventType: EventType,
  listeners: ListenerDefinition[],
): void {
  if (listeners.length === 0) return;
  const tasks = addTasks(graph, node, listenedId, eventType, listeners);
  const last = tasks.at(-1)!;
  let outgoing = 0;
  for (const ref of graph.references)
    if (
      ref.property === 'bpmn:sourceRef' &&
      ref.id === node.id &&
      ref.element.$type === 'bpmn:SequenceFlow'
    ) {
      ref.id = last.id!;
      outgoing++;
    }
  if (outgoing === 0) {
    const end: ModdleNode = { $type: 'bpmn:EndEvent', id: `${last.id}__end`, $parent: node.$parent };
    node.$parent!.flowElements!.push(end);
    graph.byId[end.id!] = end;
    addFlow(graph, last, end);
  }
  addFlow(graph, node, tasks[0]);
}

/** Whether the element is a listener's service task added by {@link addExecutionListenerTasks}. */
export function isListenerTask(element: SerializedElement): boolean {
  return typeof element.behaviour[LISTENER_OF] === 'string';
}

/** The job of a listener's service task, named by the element listened to. */
export function listenerJob(element: SerializedElement, job: JobElementSpec): JobElementSpec {
  return {
    ...job,
    elementId: element.behaviour[LISTENER_OF] as string,
    listener: element.behaviour[LISTENER_EVENT] as EventType,
  };
}

const GATEWAYS = new Set([
  'bpmn:ExclusiveGateway',
  'bpmn:ParallelGateway',
  'bpmn:InclusiveGateway',
  'bpmn:EventBasedGateway',
  'bpmn:ComplexGateway',
]);

/**
 * Checks the execution listeners of the process and its elements at deployment: each needs a job type and
 * the event type `start` or `end`, one event type and job type once per element, and an element that can
 * have it in Camunda 8 and here. Problems go to `report` with the element.
 */
export function checkExecutionListeners(
  process: SerializedElement,
  elements: SerializedElement[],
  flows: SerializedElement[],
  report: (element: SerializedElement, reason: string) => void,
): void {
  const incoming = new Map<string, string[]>();
  for (const flow of flows) {
    const { sourceId, targetId } = flow as unknown as { sourceId: string; targetId: string };
    incoming.set(targetId, [...(incoming.get(targetId) ?? []), sourceId]);
  }
  const byId = new Map(elements.map((e) => [e.id, e]));
  for (const element of [process, ...elements]) {
    if (isListenerTask(element)) continue;
    const seen = new Set<string>();
    for (const listener of listenersOf(element.behaviour)) {
      const problem = listenerProblem(element, listener, process, incoming, byId);
      if (problem) report(element, `execution listener: ${problem}`);
      const key = `${String(listener.eventType)} ${String(listener.type)}`;
      if (seen.has(key))
        report(element, `execution listener: ${key} is defined twice (each event type and job type once)`);
      seen.add(key);
    }
  }
}

function listenerProblem(
  element: SerializedElement,
  listener: ListenerDefinition,
  process: SerializedElement,
  incoming: Map<string, string[]>,
  byId: Map<string, SerializedElement>,
): string | null {
  if (typeof listener.type !== 'string' || listener.type.trim() === '') return 'a listener needs a job type';
  const typeProblem = jobTypeProblem(listener.type);
  if (typeProblem) return typeProblem;
  const { eventType } = listener;
  if (eventType !== 'start' && eventType !== 'end')
    return `event type ${String(eventType)} is not one of start, end`;
  const definitions = (element.behaviour.eventDefinitions ?? []).map((d) => d.type);
  if (element === process)
    return eventType === 'end'
      ? 'end listeners of the process are not supported by the embedded engine'
      : null;
  if (eventType === 'start') {
    if (element.type === 'bpmn:StartEvent')
      return 'start events cannot have start listeners (as in Camunda 8)';
    if (element.type === 'bpmn:BoundaryEvent')
      return 'boundary events cannot have start listeners (as in Camunda 8)';
    const sources = incoming.get(element.id) ?? [];
    if (sources.length === 0)
      return 'start listeners of an element without incoming sequence flows are not supported by the embedded engine';
    if (sources.some((id) => byId.get(id)?.type === 'bpmn:EventBasedGateway'))
      return 'start listeners of an event-based gateway target are not supported by the embedded engine';
    if (
      sources.length > 1 &&
      (element.type === 'bpmn:ParallelGateway' || element.type === 'bpmn:InclusiveGateway')
    )
      return 'start listeners of a joining gateway are not supported by the embedded engine';
    return null;
  }
  if (GATEWAYS.has(element.type)) return 'gateways cannot have end listeners (as in Camunda 8)';
  if (element.type === 'bpmn:EndEvent' && definitions.includes('bpmn:ErrorEventDefinition'))
    return 'error end events cannot have end listeners (as in Camunda 8)';
  if (definitions.includes('bpmn:EscalationEventDefinition') && element.type !== 'bpmn:BoundaryEvent')
    return 'escalation throw events run no end listeners in Camunda 8; they are not supported';
  return null;
}
