import { Engine } from 'bpmn-engine';
import { SignalTask, SubProcess, Task } from 'bpmn-elements';
import { EngineError, type UnsupportedElement } from '../engine.errors';
import {
  addAdHocKeepers,
  detachActivatableElements,
  finishAdHocSubProcesses,
  isAdHocKeeper,
  readAdHocSubProcess,
} from './ad-hoc-sub-processes';
import { catchesError, errorCatchers, errorEndEvents, type ErrorCatch } from './error-events';
import {
  eventSubProcessCatching,
  readErrorEventSubProcesses,
  type ErrorEventSubProcesses,
} from './error-event-sub-processes';
import {
  detachCompensationBoundaries,
  readCompensations,
  type CompensationSpecs,
  type SerializedLink,
} from './compensations';
import { detachEventSubProcessTriggers } from './event-sub-process-starts';
import { extendJobEventTypes, jobElementSpec, runAsService, type JobElementSpec } from './jobs/job-elements';
import {
  checkDialectElement,
  checkLoop,
  checkTimeCycle,
  newDialectSpecs,
  readCommonDialect,
  subProcessesOf,
  type DialectContext,
} from './dialect-elements';
import { type DialectSpecs, type ModdleElement, type SerializedElement } from './dialect-specs';
import { checkFeelSyntax, isFeel } from './feel';
import { extendInclusiveGatewayType } from './inclusive-gateways';
import { extendSequenceFlowType } from './exclusive-merges';
import { readTaskListeners } from './task-listeners';
import {
  addExecutionListenerTasks,
  checkExecutionListeners,
  isListenerTask,
  listenerJob,
} from './execution-listeners';
import { isTerminateEndEvent, readTerminateEndEvent } from './terminate-end-events';
import {
  executableProcessIds,
  readZeebeModdle,
  unresolvedReferences,
  ZEEBE_MODDLE_OPTIONS,
  type UnresolvedReference,
} from './moddle-source';

/** The raw (unevaluated) zeebe attributes of a user task: literals or FEEL expressions. */
export interface UserTaskSpec {
  elementId: string;
  name: string | null;
  description: string | null;
  formKey: string | null;
  priority: string | null;
  dueDate: string | null;
  followUpDate: string | null;
  assignee: string | null;
  candidateUsers: string | null;
  candidateGroups: string | null;
}

/** A message catch event (intermediate or boundary) or receive task, and its subscription. */
export interface MessageEventSpec {
  elementId: string;
  /** Literal or FEEL. */
  messageName: string;
  /** FEEL or literal, from `zeebe:subscription correlationKey`. */
  correlationKey: string;
}

/** A process read from a BPMN resource, checked to be runnable by the embedded engine. */
export interface CompiledProcess extends DialectSpecs {
  key: string;
  name: string | null;
  versionTag: string | null;
  formKey: string | null;
  hasNoneStartEvent: boolean;
  startableFromTasklist: boolean;
  candidateStarterGroups: string[];
  candidateStarterUsers: string[];
  userTasks: Map<string, UserTaskSpec>;
  messageEvents: Map<string, MessageEventSpec>;
  /** Job-based elements (service and send tasks, message throw and end events ...) by element id. */
  jobElements: Map<string, JobElementSpec>;
  /** What can catch an error thrown at an element (its boundary events, the scopes around it), by element id. */
  errorCatchers: Map<string, ErrorCatch>;
  /** Error end events that nothing catches, with their error code: they raise an incident. */
  uncaughtErrorEnds: Map<string, string>;
  /** The error event sub-processes, and what else catches errors before them. */
  errorEventSubProcesses: ErrorEventSubProcesses;
  /** Compensation handlers and the compensation throw and end events (`compensations.ts`). */
  compensations: CompensationSpecs;
  /** bpmn-engine's serializable context, shared by every instance of this definition. */
  sourceContext: unknown;
}

interface SerializedContext {
  getExecutableProcesses(): SerializedElement[];
  getProcesses(): SerializedElement[];
  getActivities(scopeId?: string): SerializedElement[];
  getSequenceFlows(scopeId?: string): SerializedElement[];
  getAssociations(scopeId?: string): SerializedLink[];
}

const SUPPORTED_TYPES = new Set([
  'bpmn:StartEvent',
  'bpmn:EndEvent',
  'bpmn:IntermediateThrowEvent',
  'bpmn:IntermediateCatchEvent',
  'bpmn:BoundaryEvent',
  'bpmn:UserTask',
  'bpmn:ServiceTask',
  'bpmn:SendTask',
  'bpmn:BusinessRuleTask',
  'bpmn:Task',
  'bpmn:ManualTask',
  'bpmn:ExclusiveGateway',
  'bpmn:ParallelGateway',
  'bpmn:InclusiveGateway',
  // dialect-elements.ts
  'bpmn:SubProcess',
  'bpmn:ScriptTask',
  'bpmn:BusinessRuleTask',
  'bpmn:EventBasedGateway',
  'bpmn:ReceiveTask',
  'bpmn:CallActivity',
  // ad-hoc-sub-processes.ts
  'bpmn:AdHocSubProcess',
]);

// Root elements and artifacts that bpmn-engine lists beside the flow nodes: nothing to run.
const PASSIVE_TYPES = new Set([
  'bpmn:Message',
  'bpmn:Signal',
  'bpmn:Error',
  'bpmn:Escalation',
  'bpmn:DataObject',
  'bpmn:DataObjectReference',
  'bpmn:DataStoreReference',
  'bpmn:DataStore',
  'bpmn:TextAnnotation',
  'bpmn:Association',
  'bpmn:Group',
  'bpmn:Category',
]);

// Types bpmn-elements has no behaviour for: mapped to a placeholder so that the serializer does not stop at
// the first one, and then reported with their ids like every other unsupported element.
const TYPES_WITHOUT_BEHAVIOUR = [
  'bpmn:ComplexGateway',
  'bpmn:ChoreographyTask',
  'bpmn:SubChoreography',
  'bpmn:CallChoreography',
  'bpmn:ImplicitThrowEvent',
];

const USER_TASK_EXTENSIONS = new Set([
  'zeebe:UserTask',
  'zeebe:AssignmentDefinition',
  'zeebe:PriorityDefinition',
  'zeebe:FormDefinition',
  'zeebe:TaskSchedule',
  'zeebe:Properties',
  'zeebe:TaskHeaders',
  'zeebe:IoMapping',
  'zeebe:TaskListeners',
  // Early Camunda 8 models give user tasks one; Zeebe ignores it (a job worker user task's job type is
  // always io.camunda.zeebe:userTask), and so does the embedded engine.
  'zeebe:TaskDefinition',
]);
const SERVICE_TASK_EXTENSIONS = new Set([
  'zeebe:TaskDefinition',
  'zeebe:TaskHeaders',
  'zeebe:Properties',
  'zeebe:IoMapping',
]);
const JOB_EVENT_EXTENSIONS = SERVICE_TASK_EXTENSIONS;
// Embedded forms (zeebe:userTaskForm) are read by the tasklist's form catalog.
const PROCESS_EXTENSIONS = new Set(['zeebe:Properties', 'zeebe:VersionTag', 'zeebe:UserTaskForm']);
const COMMON_EXTENSIONS = new Set(['zeebe:Properties', 'zeebe:IoMapping']);
const AD_HOC_EXTENSIONS = new Set([...SERVICE_TASK_EXTENSIONS, 'zeebe:AdHoc']);

/** The engine's type resolver extension: see TYPES_WITHOUT_BEHAVIOUR. */
export function extendTypes(typeMapper: Record<string, unknown>): void {
  const dummy = (typeMapper['bpmn:DataObjectReference'] ?? null) as unknown;
  for (const type of TYPES_WITHOUT_BEHAVIOUR) typeMapper[type] = dummy;
  typeMapper['bpmn:AdHocSubProcess'] = SubProcess;
  // Manual tasks complete at once, as in Camunda 8 (bpmn-elements waits at them for a signal); the keeper of an
  // ad-hoc sub-process without a job worker is a manual task that waits. bpmn-elements calls a behaviour with
  // `new`: a function (not an arrow) whose returned activity is used.
  const [waits, completes] = [SignalTask, Task] as unknown as ((def: unknown, context: unknown) => unknown)[];
  typeMapper['bpmn:ManualTask'] = function (activityDef: SerializedElement, context: unknown) {
    return isAdHocKeeper(activityDef) ? waits(activityDef, context) : completes(activityDef, context);
  };
  extendJobEventTypes(typeMapper);
  extendInclusiveGatewayType(typeMapper);
  extendSequenceFlowType(typeMapper);
}

/**
 * Reads a BPMN resource in the zeebe dialect and compiles each of its executable processes (see
 * {@link compileBpmn}). Throws `EngineError` `INVALID_BPMN`, or `UNSUPPORTED_ELEMENT` naming every element of
 * every process that the embedded engine cannot run.
 */
export async function compileBpmnResource(xml: string, resourceName: string): Promise<CompiledProcess[]> {
  if (typeof xml !== 'string' || xml.trim() === '') {
    throw new EngineError('INVALID_ARGUMENT', 'xml: a BPMN document is required');
  }
  let ids: string[];
  try {
    ids = await executableProcessIds(xml);
  } catch (error) {
    throw new EngineError(
      'INVALID_BPMN',
      `${resourceName}: cannot read the BPMN: ${(error as Error).message}`,
    );
  }
  if (ids.length <= 1) return [await compileBpmn(xml, resourceName)];
  const compiled: CompiledProcess[] = [];
  const problems: UnsupportedElement[] = [];
  for (const id of ids) {
    try {
      compiled.push(await compileBpmn(xml, resourceName, id));
    } catch (error) {
      if (!(error instanceof EngineError) || error.code !== 'UNSUPPORTED_ELEMENT') throw error;
      problems.push(...error.details);
    }
  }
  if (problems.length > 0) throw unsupported(resourceName, problems);
  return compiled;
}

function unsupported(resourceName: string, problems: UnsupportedElement[]): EngineError {
  const list = problems.map((p) => `${p.elementId} (${p.elementType}): ${p.reason}`).join('; ');
  return new EngineError(
    'UNSUPPORTED_ELEMENT',
    `${resourceName}: the embedded engine cannot run ${list}`,
    problems,
  );
}

/**
 * Reads one executable process of a BPMN resource in the zeebe dialect (the only one, or the one named) and
 * checks that the embedded engine can run every element of it. Throws `EngineError` `INVALID_BPMN` or
 * `UNSUPPORTED_ELEMENT` (naming each element) otherwise.
 */
export async function compileBpmn(
  xml: string,
  resourceName: string,
  processId?: string,
): Promise<CompiledProcess> {
  if (typeof xml !== 'string' || xml.trim() === '') {
    throw new EngineError('INVALID_ARGUMENT', 'xml: a BPMN document is required');
  }
  let context: SerializedContext;
  let unresolved: UnresolvedReference[];
  try {
    const moddleContext = await readZeebeModdle(xml, processId);
    unresolved = unresolvedReferences(moddleContext);
    addAdHocKeepers(moddleContext.rootElement.rootElements as never);
    addExecutionListenerTasks(moddleContext as never);
    const parser = new Engine({
      moddleContext,
      moddleOptions: ZEEBE_MODDLE_OPTIONS,
      typeResolver: extendTypes as never,
    });
    const definitions = await parser.getDefinitions();
    context = (definitions[0]?.environment.options as { source?: SerializedContext } | undefined)
      ?.source as SerializedContext;
    if (!context) throw new Error('no definitions element');
  } catch (error) {
    throw new EngineError(
      'INVALID_BPMN',
      `${resourceName}: cannot read the BPMN: ${(error as Error).message}`,
    );
  }

  const executable = context.getExecutableProcesses();
  if (executable.length !== 1) {
    throw new EngineError(
      'INVALID_BPMN',
      processId
        ? `${resourceName}: holds no executable process ${processId}`
        : `${resourceName}: holds ${executable.length} executable processes; compile them one by one`,
    );
  }
  const process = executable[0];
  const problems: UnsupportedElement[] = [];
  const report = (element: SerializedElement, reason: string) =>
    problems.push({ elementId: element.id, elementType: element.type, reason });

  checkExtensions(process, PROCESS_EXTENSIONS, report);
  const processProperties = properties(process.behaviour);

  const all = context.getActivities();
  const messages = new Map(all.filter((e) => e.type === 'bpmn:Message').map((m) => [m.id, m]));
  const userTasks = new Map<string, UserTaskSpec>();
  const messageEvents = new Map<string, MessageEventSpec>();
  const jobElements = new Map<string, JobElementSpec>();
  const jobOf = (element: SerializedElement) =>
    jobElementSpec(
      element.id,
      extension(element.behaviour, 'zeebe:TaskDefinition'),
      extension(element.behaviour, 'zeebe:TaskHeaders'),
    );
  let startEvent: SerializedElement | undefined;
  const subProcesses = subProcessesOf(all);
  const dialect: DialectContext = {
    processId: process.id,
    subProcesses,
    specs: newDialectSpecs(),
    report,
    extension,
    checkExtensions: (element, allowed) => checkExtensions(element, allowed, report),
    checkFeel: (element, attribute, value) => checkFeel(element, attribute, value, report),
    checkTimer: (element, timer) => checkTimer(element, timer, report),
    messageEvent: (element, holder) => {
      const spec = messageSpec(element, holder, messages, report);
      if (spec) messageEvents.set(element.id, spec);
    },
  };

  for (const element of all) {
    if (PASSIVE_TYPES.has(element.type) || isAdHocKeeper(element)) continue;
    if (isListenerTask(element)) {
      readCommonDialect(element, dialect);
      jobElements.set(element.id, listenerJob(element, jobOf(element)!));
      continue;
    }
    if (!SUPPORTED_TYPES.has(element.type)) {
      report(element, 'element type not supported by the embedded engine');
      continue;
    }
    if (element.parent?.id !== process.id && !subProcesses.has(element.parent?.id ?? '')) {
      report(
        element,
        `inside ${element.parent?.type ?? 'an element'} ${element.parent?.id ?? ''}, which the embedded engine cannot run`,
      );
      continue;
    }
    readCommonDialect(element, dialect);
    const behaviour = element.behaviour;
    checkLoop(element, dialect);
    const definitions = behaviour.eventDefinitions ?? [];
    if (checkDialectElement(element, dialect)) continue;

    switch (element.type) {
      case 'bpmn:StartEvent':
        if (definitions.length > 0) report(element, `${definitions[0].type} start events are not supported`);
        else startEvent = element;
        checkExtensions(
          element,
          new Set(['zeebe:FormDefinition', 'zeebe:Properties', 'zeebe:IoMapping']),
          report,
        );
        break;
      case 'bpmn:EndEvent':
      case 'bpmn:IntermediateThrowEvent': {
        const job = jobOf(element);
        const kind = definitions[0]?.type;
        if (kind === 'bpmn:MessageEventDefinition' && job) {
          // Camunda 8 runs a message throw or end event with a task definition as a job.
          jobElements.set(element.id, job);
          runAsService(element.behaviour);
          checkExtensions(element, JOB_EVENT_EXTENSIONS, report);
          break;
        }
        if (kind === 'bpmn:MessageEventDefinition')
          report(element, 'a message throw event needs a zeebe:taskDefinition type (it runs as a job)');
        else if (isTerminateEndEvent(element)) readTerminateEndEvent(element, dialect.specs.terminateEnds);
        else if (!(kind === 'bpmn:ErrorEventDefinition' && element.type === 'bpmn:EndEvent') && kind)
          report(element, `${kind} is not supported here`);
        checkExtensions(element, COMMON_EXTENSIONS, report);
        break;
      }
      case 'bpmn:IntermediateCatchEvent':
      case 'bpmn:BoundaryEvent': {
        if (definitions.length !== 1) {
          report(
            element,
            'exactly one timer, message or (on a boundary) error event definition is supported',
          );
          break;
        }
        const definition = definitions[0];
        if (definition.type === 'bpmn:ErrorEventDefinition' && element.type === 'bpmn:BoundaryEvent') {
          if (behaviour.cancelActivity === false) report(element, 'error boundary events always interrupt');
        } else if (definition.type === 'bpmn:TimerEventDefinition') {
          checkTimer(element, definition.behaviour, report);
        } else if (definition.type === 'bpmn:MessageEventDefinition') {
          // bpmn-engine catches such a message once; Camunda 8 catches it each time it arrives.
          if (element.type === 'bpmn:BoundaryEvent' && behaviour.cancelActivity === false) {
            report(element, 'non-interrupting message boundary events are not supported');
          }
          const spec = messageSpec(element, definition.behaviour, messages, report);
          if (spec) messageEvents.set(element.id, spec);
        } else {
          report(element, `${definition.type} is not supported`);
        }
        checkExtensions(element, COMMON_EXTENSIONS, report);
        break;
      }
      case 'bpmn:UserTask': {
        checkExtensions(element, USER_TASK_EXTENSIONS, report);
        userTasks.set(element.id, userTaskSpec(element, report));
        const listeners = readTaskListeners(
          element.id,
          extension(behaviour, 'zeebe:TaskListeners'),
          (reason) => report(element, reason),
        );
        if (listeners) dialect.specs.taskListeners.set(element.id, listeners);
        break;
      }
      case 'bpmn:ServiceTask':
      case 'bpmn:SendTask':
      case 'bpmn:BusinessRuleTask': {
        checkExtensions(element, SERVICE_TASK_EXTENSIONS, report);
        const job = jobOf(element);
        if (!job) report(element, 'a zeebe:taskDefinition type is required (as Camunda 8 requires it)');
        else {
          checkFeel(element, 'zeebe:taskDefinition type', job.type, report);
          checkFeel(element, 'zeebe:taskDefinition retries', job.retries, report);
          jobElements.set(element.id, job);
        }
        break;
      }
      case 'bpmn:AdHocSubProcess': {
        checkExtensions(element, AD_HOC_EXTENSIONS, report);
        const job = jobOf(element);
        const spec = readAdHocSubProcess(
          element,
          extension(behaviour, 'zeebe:AdHoc'),
          job !== null,
          (reason) => report(element, reason),
        );
        checkFeel(element, 'activeElementsCollection', spec.activeElementsCollection, report);
        checkFeel(element, 'completionCondition', spec.completionCondition, report);
        checkFeel(element, 'outputElement', spec.outputElement, report);
        if (job) {
          checkFeel(element, 'zeebe:taskDefinition type', job.type, report);
          // The keeper inside waits as the sub-process's job, named by the sub-process's id.
          jobElements.set(spec.keeperId, job);
        }
        dialect.specs.adHocSubProcesses.set(element.id, spec);
        break;
      }
      case 'bpmn:Task':
      case 'bpmn:ManualTask':
      case 'bpmn:ExclusiveGateway':
      case 'bpmn:ParallelGateway':
      case 'bpmn:InclusiveGateway':
        checkExtensions(element, COMMON_EXTENSIONS, report);
        break;
    }
  }

  for (const flow of context.getSequenceFlows()) {
    const condition = flow.behaviour.conditionExpression;
    if (!condition) continue;
    const body = condition.body ?? '';
    if (!isFeel(body)) {
      report(flow, 'condition expressions must be FEEL (start with "=")');
      continue;
    }
    checkFeel(flow, 'conditionExpression', body, report);
  }

  checkExecutionListeners(process, all, context.getSequenceFlows(), report);
  finishAdHocSubProcesses(all, context.getSequenceFlows(), dialect.specs.adHocSubProcesses, report);
  const compensations = readCompensations(
    all,
    context.getAssociations(),
    context.getSequenceFlows() as unknown as SerializedLink[],
    unresolved,
    process.id,
    report,
  );

  if (problems.length > 0) throw unsupported(resourceName, problems);
  detachEventSubProcessTriggers(all, dialect.specs.eventSubProcessStarts);
  detachActivatableElements(all, dialect.specs.adHocSubProcesses);
  detachCompensationBoundaries(all);

  const catchers = errorCatchers(all);
  const uncaughtErrorEnds = new Map<string, string>();
  const errorEventSubProcesses = readErrorEventSubProcesses(all, process.id);
  for (const [elementId, code] of errorEndEvents(all)) {
    if (!catchesError(catchers.get(elementId), code)) uncaughtErrorEnds.set(elementId, code);
    else if (eventSubProcessCatching(errorEventSubProcesses, elementId, code))
      errorEventSubProcesses.errorEnds.set(elementId, code);
    else continue;
    runAsService(all.find((e) => e.id === elementId)!.behaviour);
  }
  // They wait for their handlers (compensation.runtime.ts).
  for (const element of all) if (compensations.throws.has(element.id)) runAsService(element.behaviour);

  const startable = processProperties.get('eddy:startableFromTasklist');
  if (startable !== undefined && startable !== 'true' && startable !== 'false') {
    throw new EngineError(
      'INVALID_BPMN',
      `${resourceName}: process ${process.id} property eddy:startableFromTasklist must be "true" or "false"`,
    );
  }
  return {
    key: process.id,
    name: stringOrNull(process.behaviour.name),
    versionTag: stringOrNull(extension(process.behaviour, 'zeebe:VersionTag')?.value),
    formKey: startEvent ? formKey(startEvent.behaviour) : null,
    hasNoneStartEvent: startEvent !== undefined,
    startableFromTasklist: startable === undefined ? startEvent !== undefined : startable === 'true',
    candidateStarterGroups: splitList(processProperties.get('eddy:candidateStarterGroups')),
    candidateStarterUsers: splitList(processProperties.get('eddy:candidateStarterUsers')),
    userTasks,
    messageEvents,
    jobElements,
    errorCatchers: catchers,
    uncaughtErrorEnds,
    errorEventSubProcesses,
    compensations,
    ...dialect.specs,
    sourceContext: context,
  };
}

type Report = (element: SerializedElement, reason: string) => void;

function extensions(behaviour: ModdleElement): ModdleElement[] {
  const container = behaviour.extensionElements as { values?: ModdleElement[] } | undefined;
  return container?.values ?? [];
}

function extension(behaviour: ModdleElement, type: string): ModdleElement | undefined {
  return extensions(behaviour).find((e) => e.$type === type);
}

function properties(behaviour: ModdleElement): Map<string, string> {
  const list = (extension(behaviour, 'zeebe:Properties')?.properties ?? []) as {
    name?: string;
    value?: string;
  }[];
  return new Map(list.filter((p) => p.name).map((p) => [p.name as string, p.value ?? '']));
}

function checkExtensions(element: SerializedElement, allowed: Set<string>, report: Report): void {
  for (const ext of extensions(element.behaviour)) {
    // Zeebe ignores extension elements of other namespaces (a migration tool's notes, Camunda 7's), and so
    // does the embedded engine.
    if (!ext.$type.startsWith('zeebe:')) continue;
    // Read, for every element, by execution-listeners.ts.
    if (ext.$type === 'zeebe:ExecutionListeners') continue;
    if (!allowed.has(ext.$type)) report(element, `extension ${ext.$type} is not supported here`);
  }
}

function checkFeel(element: SerializedElement, attribute: string, value: unknown, report: Report): void {
  if (!isFeel(value)) return;
  try {
    checkFeelSyntax(value);
  } catch (error) {
    report(element, `${attribute} is not valid FEEL: ${(error as Error).message}`);
  }
}

function checkTimer(element: SerializedElement, timer: ModdleElement, report: Report): void {
  if (timer.timeCycle) {
    checkTimeCycle(element, timer.timeCycle, report);
    return;
  }
  const value = (timer.timeDuration ?? timer.timeDate) as string | undefined;
  if (!value) report(element, 'the timer has neither timeDuration nor timeDate');
  else checkFeel(element, timer.timeDuration ? 'timeDuration' : 'timeDate', value, report);
}

function messageSpec(
  element: SerializedElement,
  definition: ModdleElement,
  messages: Map<string, SerializedElement>,
  report: Report,
): MessageEventSpec | undefined {
  const ref = definition.messageRef as { id: string; name?: string } | undefined;
  const message = ref ? messages.get(ref.id) : undefined;
  if (!ref || !message || !ref.name) {
    report(element, 'the message event needs a message with a name');
    return undefined;
  }
  const correlationKey = extension(message.behaviour, 'zeebe:Subscription')?.correlationKey;
  if (typeof correlationKey !== 'string' || correlationKey.trim() === '') {
    report(element, `message ${ref.id} needs a zeebe:subscription correlationKey`);
    return undefined;
  }
  checkFeel(element, 'correlationKey', correlationKey, report);
  checkFeel(element, 'message name', ref.name, report);
  return { elementId: element.id, messageName: ref.name, correlationKey };
}

function formKey(behaviour: ModdleElement): string | null {
  const form = extension(behaviour, 'zeebe:FormDefinition');
  if (!form) return null;
  return stringOrNull(form.formKey) ?? stringOrNull(form.externalReference) ?? stringOrNull(form.formId);
}

function userTaskSpec(element: SerializedElement, report: Report): UserTaskSpec {
  const b = element.behaviour;
  const assignment = extension(b, 'zeebe:AssignmentDefinition');
  const schedule = extension(b, 'zeebe:TaskSchedule');
  const documentation = (b.documentation as { text?: string }[] | undefined)?.[0]?.text;
  const spec: UserTaskSpec = {
    elementId: element.id,
    name: stringOrNull(b.name),
    description: properties(b).get('description') ?? stringOrNull(documentation),
    formKey: formKey(b),
    priority: stringOrNull(extension(b, 'zeebe:PriorityDefinition')?.priority),
    dueDate: stringOrNull(schedule?.dueDate),
    followUpDate: stringOrNull(schedule?.followUpDate),
    assignee: stringOrNull(assignment?.assignee),
    candidateUsers: stringOrNull(assignment?.candidateUsers),
    candidateGroups: stringOrNull(assignment?.candidateGroups),
  };
  for (const [attribute, value] of Object.entries(spec)) checkFeel(element, attribute, value, report);
  return spec;
}

function stringOrNull(value: unknown): string | null {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value !== '' ? value : null;
}

/** `"a, b,c"` -> `['a', 'b', 'c']`. */
export function splitList(value: string | undefined | null): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
