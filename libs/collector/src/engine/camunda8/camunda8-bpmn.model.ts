import { EngineError } from '../engine.errors';
import type { DeployedProcessDefinition } from '../engine.port';

// bpmn-moddle ships no types; only what is used here is declared.
interface ModdleElement {
  $type: string;
  id?: string;
  name?: string;
  isExecutable?: boolean;
  versionTag?: string;
  values?: ModdleElement[];
  flowElements?: ModdleElement[];
  eventDefinitions?: ModdleElement[];
  documentation?: { text?: string }[];
  extensionElements?: ModdleElement;
  listeners?: ModdleElement[];
  properties?: { name?: string; value?: string }[];
  [attribute: string]: unknown;
}
interface Moddle {
  fromXML(xml: string): Promise<{ rootElement: ModdleElement; warnings: { message: string }[] }>;
  toXML(element: ModdleElement, options?: { format?: boolean }): Promise<{ xml: string }>;
  create(type: string, attributes?: Record<string, unknown>): ModdleElement;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const BpmnModdle = require('bpmn-moddle') as new (packages: Record<string, object>) => Moddle;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const zeebePackage = require('zeebe-bpmn-moddle/resources/zeebe.json') as object;

function moddle(): Moddle {
  return new BpmnModdle({ zeebe: zeebePackage });
}

/** The job types of the listeners the adapter adds to every process it deploys. */
export interface Camunda8ListenerTypes {
  /** Job type of the user task listeners (every event type: creating, assigning, updating, completing, canceling). */
  userTask: string;
  /** Job type of the process's start and end execution listeners. */
  processInstance: string;
}

/** The task listener event types of Camunda 8.8 that Eddy listens to. */
export const TASK_LISTENER_EVENT_TYPES = [
  'creating',
  'assigning',
  'updating',
  'completing',
  'canceling',
] as const;

/** What the adapter needs to know of a user task that a listener job does not carry. */
export interface Camunda8UserTaskModel {
  name: string | null;
  description: string | null;
}

/** One process of a BPMN resource, as far as Eddy reads it: what a deployed definition reports of it, and its tasks. */
export interface Camunda8ProcessModel extends Pick<
  DeployedProcessDefinition,
  | 'name'
  | 'versionTag'
  | 'formKey'
  | 'startableFromTasklist'
  | 'candidateStarterGroups'
  | 'candidateStarterUsers'
> {
  /** BPMN process id. */
  id: string;
  /** By element id. */
  userTasks: Map<string, Camunda8UserTaskModel>;
}

async function parse(xml: string, resourceName: string): Promise<ModdleElement> {
  if (typeof xml !== 'string' || xml.trim() === '') {
    throw new EngineError('INVALID_ARGUMENT', `${resourceName}: xml: a BPMN document is required`);
  }
  try {
    const { rootElement } = await moddle().fromXML(xml);
    if (rootElement?.$type !== 'bpmn:Definitions') throw new Error('no definitions element');
    return rootElement;
  } catch (error) {
    throw new EngineError(
      'INVALID_BPMN',
      `${resourceName}: cannot read the BPMN: ${(error as Error).message}`,
    );
  }
}

function executableProcesses(definitions: ModdleElement): ModdleElement[] {
  const roots = (definitions['rootElements'] as ModdleElement[] | undefined) ?? [];
  return roots.filter((e) => e.$type === 'bpmn:Process' && e.isExecutable !== false);
}

/** Every flow element of a process, sub-processes included. */
function allFlowElements(container: ModdleElement): ModdleElement[] {
  const out: ModdleElement[] = [];
  for (const element of container.flowElements ?? []) {
    out.push(element);
    if (element.flowElements) out.push(...allFlowElements(element));
  }
  return out;
}

function extension(element: ModdleElement, type: string): ModdleElement | undefined {
  return element.extensionElements?.values?.find((v) => v.$type === type);
}

function zeebeProperties(element: ModdleElement): Map<string, string> {
  const props = extension(element, 'zeebe:Properties')?.properties ?? [];
  return new Map(props.filter((p) => p.name).map((p) => [p.name as string, p.value ?? '']));
}

function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function formKeyOf(element: ModdleElement): string | null {
  const form = extension(element, 'zeebe:FormDefinition');
  const key = form?.['formKey'] ?? form?.['externalReference'] ?? form?.['formId'];
  return typeof key === 'string' && key !== '' ? key : null;
}

function documentation(element: ModdleElement): string | null {
  const text = element.documentation
    ?.map((d) => d.text ?? '')
    .join('\n')
    .trim();
  return text ? text : null;
}

/**
 * Reads the executable processes of a BPMN resource: names, the Eddy process properties
 * (`eddy:startableFromTasklist`, `eddy:candidateStarterGroups`, `eddy:candidateStarterUsers`) and the
 * names and descriptions of the user tasks. Camunda 8 decides what it can run; only an unreadable
 * document or a bad Eddy property is an error here (`INVALID_BPMN`, naming the process and property).
 */
export async function readProcessModels(xml: string, resourceName: string): Promise<Camunda8ProcessModel[]> {
  const definitions = await parse(xml, resourceName);
  return executableProcesses(definitions).map((process) => {
    const id = process.id ?? '';
    const properties = zeebeProperties(process);
    const elements = allFlowElements(process);
    const noneStart = elements.find(
      (e) => e.$type === 'bpmn:StartEvent' && (e.eventDefinitions ?? []).length === 0,
    );
    const startable = properties.get('eddy:startableFromTasklist');
    if (startable !== undefined && startable !== 'true' && startable !== 'false') {
      throw new EngineError(
        'INVALID_BPMN',
        `${resourceName}: process ${id} property eddy:startableFromTasklist must be "true" or "false"`,
      );
    }
    const userTasks = new Map<string, Camunda8UserTaskModel>();
    for (const element of elements) {
      if (element.$type !== 'bpmn:UserTask' || !element.id) continue;
      userTasks.set(element.id, {
        name: element.name ?? null,
        description: zeebeProperties(element).get('description') ?? documentation(element),
      });
    }
    const versionTag = extension(process, 'zeebe:VersionTag')?.['value'];
    return {
      id,
      name: process.name ?? null,
      versionTag: typeof versionTag === 'string' && versionTag !== '' ? versionTag : null,
      formKey: noneStart ? formKeyOf(noneStart) : null,
      startableFromTasklist: startable === undefined ? noneStart !== undefined : startable === 'true',
      candidateStarterGroups: splitList(properties.get('eddy:candidateStarterGroups')),
      candidateStarterUsers: splitList(properties.get('eddy:candidateStarterUsers')),
      userTasks,
    };
  });
}

/**
 * Adds a listener of `jobType` for each event type to `element`'s `zeebe:TaskListeners` or
 * `zeebe:ExecutionListeners`, creating the list when the model has none, unless it is there already.
 */
function addListeners(
  m: Moddle,
  element: ModdleElement,
  kind: 'Task' | 'Execution',
  jobType: string,
  eventTypes: readonly string[],
): void {
  if (!element.extensionElements) {
    element.extensionElements = m.create('bpmn:ExtensionElements', { values: [] });
  }
  const values = (element.extensionElements.values ??= []);
  let container = extension(element, `zeebe:${kind}Listeners`);
  if (!container) {
    container = m.create(`zeebe:${kind}Listeners`, { listeners: [] });
    values.push(container);
  }
  const listeners = (container.listeners ??= []);
  for (const eventType of eventTypes) {
    if (listeners.some((l) => l['type'] === jobType && l['eventType'] === eventType)) continue;
    listeners.push(m.create(`zeebe:${kind}Listener`, { eventType, type: jobType, retries: '3' }));
  }
}

/**
 * Adds Eddy's listeners to a BPMN resource before it is deployed to Camunda 8: a user task listener of
 * `types.userTask` for each of the five task listener event types on every Camunda user task
 * (`zeebe:userTask`), and start and end execution listeners of `types.processInstance` on every executable
 * process. Listeners of the model itself stay, and run before Eddy's. Applying it twice adds nothing.
 */
export async function withEddyListeners(
  xml: string,
  resourceName: string,
  types: Camunda8ListenerTypes,
): Promise<string> {
  const m = moddle();
  const definitions = await parse(xml, resourceName);
  for (const process of executableProcesses(definitions)) {
    addListeners(m, process, 'Execution', types.processInstance, ['start', 'end']);
    for (const element of allFlowElements(process)) {
      if (element.$type !== 'bpmn:UserTask' || !extension(element, 'zeebe:UserTask')) continue;
      addListeners(m, element, 'Task', types.userTask, TASK_LISTENER_EVENT_TYPES);
    }
  }
  const { xml: out } = await m.toXML(definitions, { format: true });
  return out;
}
