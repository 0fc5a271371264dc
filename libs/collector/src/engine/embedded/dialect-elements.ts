import {
  type DialectSpecs,
  type IoMappingSpec,
  type LoopSpec,
  type Mapping,
  type ModdleElement,
  type SerializedElement,
} from './dialect-specs';
import { readEventSubProcessStart } from './event-sub-process-starts';
import { checkFeelSyntax, isFeel } from './feel';
import { isSignalEvent, signalNameOf } from './signal-events';

/** What a check needs of the compiler. */
export interface DialectContext {
  processId: string;
  /** The sub-processes (event sub-processes among them) of the process, by id. */
  subProcesses: Map<string, SerializedElement>;
  specs: DialectSpecs;
  report(element: SerializedElement, reason: string): void;
  extension(behaviour: ModdleElement, type: string): ModdleElement | undefined;
  checkExtensions(element: SerializedElement, allowed: Set<string>): void;
  checkFeel(element: SerializedElement, attribute: string, value: unknown): void;
  /** Checks a timer event definition's duration, date or cycle. */
  checkTimer(element: SerializedElement, timer: ModdleElement): void;
  /** Reads the message an element refers to (`messageRef`) and subscribes the element to it. */
  messageEvent(element: SerializedElement, holder: ModdleElement): void;
}

const SCOPE_EXTENSIONS = new Set(['zeebe:Properties', 'zeebe:IoMapping']);
const MESSAGE_START_EXTENSIONS = new Set(['zeebe:Properties', 'zeebe:IoMapping', 'zeebe:FormDefinition']);
const SCRIPT_EXTENSIONS = new Set(['zeebe:Script', 'zeebe:Properties', 'zeebe:IoMapping']);
const DECISION_EXTENSIONS = new Set(['zeebe:CalledDecision', 'zeebe:Properties', 'zeebe:IoMapping']);

export function newDialectSpecs(): DialectSpecs {
  return {
    ioMappings: new Map(),
    parents: new Map(),
    scripts: new Map(),
    decisions: new Map(),
    loops: new Map(),
    messageStarts: new Map(),
    callActivities: new Map(),
    eventSubProcessStarts: new Map(),
    adHocSubProcesses: new Map(),
    signalStarts: new Map(),
    taskListeners: new Map(),
    signalCatches: new Map(),
    signalThrows: new Map(),
    terminateEnds: new Set(),
  };
}

/** The sub-processes (ad-hoc ones among them) of the elements read, by id. */
export function subProcessesOf(all: SerializedElement[]): Map<string, SerializedElement> {
  const scopes = new Set(['bpmn:SubProcess', 'bpmn:AdHocSubProcess']);
  return new Map(all.filter((e) => scopes.has(e.type)).map((e) => [e.id, e]));
}

/** Records what every element has in the dialect: its place among the sub-processes and its ioMapping. */
export function readCommonDialect(element: SerializedElement, ctx: DialectContext): void {
  if (element.parent && element.parent.id !== ctx.processId)
    ctx.specs.parents.set(element.id, element.parent.id);
  const ioMapping = ctx.extension(element.behaviour, 'zeebe:IoMapping');
  const spec = readIoMapping(ioMapping as never, (reason) => ctx.report(element, reason));
  if (spec) ctx.specs.ioMappings.set(element.id, spec);
}

/**
 * Checks an element that the dialect's later additions run (sub-processes, script and business rule tasks,
 * event-based gateways, link and escalation events, the start events of sub-processes); false when the
 * element is not one of them and the compiler checks it itself.
 */
export function checkDialectElement(element: SerializedElement, ctx: DialectContext): boolean {
  const definitions = element.behaviour.eventDefinitions ?? [];
  const definitionTypes = definitions.map((d) => d.type);
  switch (element.type) {
    case 'bpmn:SubProcess':
    case 'bpmn:EventBasedGateway':
      ctx.checkExtensions(element, SCOPE_EXTENSIONS);
      return true;
    case 'bpmn:ReceiveTask':
      ctx.checkExtensions(element, SCOPE_EXTENSIONS);
      ctx.messageEvent(element, element.behaviour);
      return true;
    case 'bpmn:CallActivity':
      checkCallActivity(element, ctx);
      return true;
    case 'bpmn:ScriptTask':
      ctx.checkExtensions(element, SCRIPT_EXTENSIONS);
      checkScript(element, ctx);
      return true;
    case 'bpmn:BusinessRuleTask':
      ctx.checkExtensions(element, DECISION_EXTENSIONS);
      checkCalledDecision(element, ctx);
      return true;
    case 'bpmn:StartEvent':
      if (element.parent?.id !== ctx.processId) return checkSubProcessStart(element, definitions, ctx);
      if (isSignalEvent(element)) {
        ctx.checkExtensions(element, SCOPE_EXTENSIONS);
        readSignal(element, ctx.specs.signalStarts, ctx);
        return true;
      }
      if (definitions.length !== 1 || definitionTypes[0] !== 'bpmn:MessageEventDefinition') return false;
      checkMessageStart(element, definitions[0].behaviour, ctx);
      return true;
    case 'bpmn:IntermediateThrowEvent':
    case 'bpmn:IntermediateCatchEvent':
    case 'bpmn:EndEvent':
    case 'bpmn:BoundaryEvent': {
      const [only] = definitionTypes;
      if (definitions.length !== 1) return false;
      if (only === 'bpmn:LinkEventDefinition' && element.type.startsWith('bpmn:Intermediate')) {
        if (!definitions[0].behaviour.name) ctx.report(element, 'a link event needs a link name');
      } else if (only === 'bpmn:SignalEventDefinition') {
        const throws = element.type === 'bpmn:IntermediateThrowEvent' || element.type === 'bpmn:EndEvent';
        if (element.type === 'bpmn:BoundaryEvent' && element.behaviour.cancelActivity === false)
          ctx.report(element, 'non-interrupting signal boundary events are not supported');
        readSignal(element, throws ? ctx.specs.signalThrows : ctx.specs.signalCatches, ctx);
      } else if (only === 'bpmn:CompensateEventDefinition') {
        // compensations.ts checks them with the associations, once every element is read.
        if (element.type === 'bpmn:IntermediateCatchEvent')
          ctx.report(element, 'compensation catch events exist only as boundary events');
      } else if (only === 'bpmn:EscalationEventDefinition') {
        const escalation = definitions[0].behaviour.escalationRef;
        if (!escalation && element.type !== 'bpmn:BoundaryEvent')
          ctx.report(element, 'an escalation event needs an escalation');
      } else {
        return false;
      }
      ctx.checkExtensions(element, SCOPE_EXTENSIONS);
      return true;
    }
    default:
      return false;
  }
}

function readSignal(element: SerializedElement, into: Map<string, string>, ctx: DialectContext): void {
  const definition = element.behaviour.eventDefinitions![0].behaviour;
  const name = signalNameOf(definition, (reason) => ctx.report(element, reason));
  if (name) into.set(element.id, name);
}

function checkMessageStart(element: SerializedElement, definition: ModdleElement, ctx: DialectContext): void {
  ctx.checkExtensions(element, MESSAGE_START_EXTENSIONS);
  const name = (definition.messageRef as { name?: unknown } | undefined)?.name;
  if (typeof name !== 'string' || name.trim() === '') {
    ctx.report(element, 'a message start event needs a message with a name');
  } else if (isFeel(name)) {
    ctx.report(element, 'the message name of a message start event must be a literal');
  } else {
    ctx.specs.messageStarts.set(element.id, name);
  }
}

function checkSubProcessStart(
  element: SerializedElement,
  definitions: { type: string; behaviour: ModdleElement }[],
  ctx: DialectContext,
): boolean {
  ctx.checkExtensions(element, SCOPE_EXTENSIONS);
  if (!isEventSubProcess(element, ctx)) {
    if (definitions.length > 0)
      ctx.report(element, 'the start event of a sub-process must be a none start event');
    return true;
  }
  if (definitions.length !== 1) {
    ctx.report(element, 'the start event of an event sub-process needs exactly one event definition');
    return true;
  }
  const [definition] = definitions;
  const eventSubProcess = ctx.subProcesses.get(element.parent?.id ?? '')!;
  if (definition.type === 'bpmn:ErrorEventDefinition') {
    // error-event-sub-processes.ts runs them; Camunda 8's always interrupt.
    if (element.behaviour.isInterrupting === false)
      ctx.report(element, 'error start events of event sub-processes always interrupt');
    return true;
  }
  const start = readEventSubProcessStart(element, eventSubProcess, ctx.processId);
  if (!start) {
    ctx.report(element, `event sub-processes started by ${definition.type} are not supported`);
    return true;
  }
  if (start.kind === 'timer') ctx.checkTimer(element, definition.behaviour);
  if (start.kind === 'message') ctx.messageEvent(element, definition.behaviour);
  ctx.specs.eventSubProcessStarts.set(element.id, start);
  return true;
}

function isEventSubProcess(element: SerializedElement, ctx: DialectContext): boolean {
  const parent = element.parent ? ctx.subProcesses.get(element.parent.id) : undefined;
  return parent?.behaviour.triggeredByEvent === true;
}

function checkScript(element: SerializedElement, ctx: DialectContext): void {
  const script = ctx.extension(element.behaviour, 'zeebe:Script');
  if (ctx.extension(element.behaviour, 'zeebe:TaskDefinition')) {
    ctx.report(
      element,
      'script tasks run by a job worker are not supported; use a zeebe:script FEEL expression',
    );
    return;
  }
  const expression = script?.expression;
  const resultVariable = script?.resultVariable;
  if (!isFeel(expression) || typeof resultVariable !== 'string' || resultVariable.trim() === '') {
    ctx.report(element, 'a script task needs a zeebe:script with a FEEL expression and a resultVariable');
    return;
  }
  ctx.checkFeel(element, 'zeebe:script expression', expression);
  ctx.specs.scripts.set(element.id, { expression, resultVariable: resultVariable.trim() });
}

const CALL_ACTIVITY_EXTENSIONS = new Set(['zeebe:CalledElement', 'zeebe:IoMapping', 'zeebe:Properties']);

/** Checks a call activity at deployment and records its `zeebe:calledElement`. */
export function checkCallActivity(element: SerializedElement, ctx: DialectContext): void {
  ctx.checkExtensions(element, CALL_ACTIVITY_EXTENSIONS);
  const called = ctx.extension(element.behaviour, 'zeebe:CalledElement') as ModdleElement | undefined;
  const processId = typeof called?.processId === 'string' ? called.processId.trim() : '';
  if (processId === '') {
    ctx.report(element, 'a call activity needs a zeebe:calledElement processId');
    return;
  }
  ctx.checkFeel(element, 'zeebe:calledElement processId', processId);
  // zeebe-bpmn-moddle reads the attributes as booleans; a model may hold them as text.
  const flag = (value: unknown) => value !== false && value !== 'false';
  ctx.specs.callActivities.set(element.id, {
    processId,
    propagateAllChildVariables: flag(called?.propagateAllChildVariables),
    propagateAllParentVariables: flag(called?.propagateAllParentVariables),
  });
}

function checkCalledDecision(element: SerializedElement, ctx: DialectContext): void {
  if (ctx.extension(element.behaviour, 'zeebe:TaskDefinition')) {
    ctx.report(
      element,
      'business rule tasks run by a job worker are not supported; use zeebe:calledDecision',
    );
    return;
  }
  const called = ctx.extension(element.behaviour, 'zeebe:CalledDecision');
  const decisionId = called?.decisionId;
  const resultVariable = called?.resultVariable;
  if (
    typeof decisionId !== 'string' ||
    decisionId.trim() === '' ||
    typeof resultVariable !== 'string' ||
    resultVariable.trim() === ''
  ) {
    ctx.report(
      element,
      'a business rule task needs a zeebe:calledDecision with a decisionId and a resultVariable',
    );
    return;
  }
  ctx.checkFeel(element, 'decisionId', decisionId);
  ctx.specs.decisions.set(element.id, {
    decisionId: decisionId.trim(),
    resultVariable: resultVariable.trim(),
  });
}

// An ISO-8601 repeating interval: R[n]/[start/]duration (R/PT1H, R3/P1D, R2/2030-01-01T08:00:00Z/PT1H).
const REPEATING_INTERVAL = /^R\d*\/([^/\s]+\/)?P[\dYMWDTHS.,]+$/;

/** A timer cycle must be a repeating interval (or FEEL); Camunda's cron cycles are not run here. */
export function checkTimeCycle(
  element: SerializedElement,
  value: unknown,
  report: (element: SerializedElement, reason: string) => void,
): void {
  if (isFeel(value)) {
    try {
      checkFeelSyntax(value);
    } catch (error) {
      report(element, `timeCycle is not valid FEEL: ${(error as Error).message}`);
    }
    return;
  }
  if (typeof value !== 'string' || !REPEATING_INTERVAL.test(value.trim())) {
    report(
      element,
      `timeCycle "${String(value)}" must be an ISO-8601 repeating interval (cron cycles are not supported)`,
    );
  }
}

interface SerializedLoop {
  type: string;
  behaviour: ModdleElement & {
    completionCondition?: unknown;
    collection?: string;
    elementVariable?: string;
    isSequential?: boolean;
  };
}

/**
 * What bpmn-engine's loop is given as its input collection and completion condition: the runtime
 * (`multi-instance.ts`) evaluates the model's expressions in the element's scope and answers bpmn-engine's
 * questions with them.
 */
export const INPUT_COLLECTION = 'eddy:inputCollection';
export const COMPLETION_CONDITION = 'eddy:completionCondition';

// Elements whose multi-instance inner instances each run in a scope of their own (`multi-instance.ts`).
const MULTI_INSTANCE_TYPES = new Set([
  'bpmn:UserTask',
  'bpmn:ServiceTask',
  'bpmn:SendTask',
  'bpmn:BusinessRuleTask',
  'bpmn:ScriptTask',
  'bpmn:SubProcess',
  'bpmn:CallActivity',
  'bpmn:Task',
  'bpmn:ManualTask',
]);

/**
 * Reads a multi-instance element's `zeebe:loopCharacteristics` and hands its input collection and element to
 * bpmn-engine's loop (which reads `collection` and `elementVariable`). Standard loops are refused, and so is
 * multi-instance on elements that wait by element (receive tasks) or that Camunda 8 does not allow.
 */
export function checkLoop(element: SerializedElement, ctx: DialectContext): void {
  const loop = element.behaviour.loopCharacteristics as SerializedLoop | undefined;
  if (!loop) return;
  if (loop.type !== 'bpmn:MultiInstanceLoopCharacteristics') {
    ctx.report(element, 'standard loops are not supported (use multi-instance)');
    return;
  }
  if (!MULTI_INSTANCE_TYPES.has(element.type)) {
    ctx.report(element, `multi-instance is not supported on ${element.type}`);
    return;
  }
  const zeebe = ctx.extension(loop.behaviour, 'zeebe:LoopCharacteristics');
  const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);
  const inputCollection = text(zeebe?.inputCollection);
  if (!inputCollection) {
    ctx.report(element, 'a multi-instance element needs zeebe:loopCharacteristics inputCollection');
    return;
  }
  const condition = loop.behaviour.completionCondition;
  const completionCondition = text(
    typeof condition === 'object' && condition !== null ? (condition as { body?: unknown }).body : condition,
  );
  if (completionCondition && !isFeel(completionCondition)) {
    ctx.report(element, 'a completion condition must be FEEL (start with "=")');
    return;
  }
  const outputCollection = text(zeebe?.outputCollection);
  if (outputCollection && !TARGET.test(outputCollection)) {
    ctx.report(element, `outputCollection "${outputCollection}" is not a variable name`);
    return;
  }
  const spec: LoopSpec = {
    inputCollection: isFeel(inputCollection) ? inputCollection : `=${inputCollection}`,
    inputElement: text(zeebe?.inputElement),
    outputCollection,
    outputElement: text(zeebe?.outputElement),
    completionCondition,
  };
  ctx.checkFeel(element, 'inputCollection', spec.inputCollection);
  ctx.checkFeel(element, 'outputElement', spec.outputElement);
  ctx.checkFeel(element, 'completionCondition', spec.completionCondition);
  loop.behaviour.collection = INPUT_COLLECTION;
  if (spec.inputElement) loop.behaviour.elementVariable = spec.inputElement;
  if (completionCondition) loop.behaviour.completionCondition = COMPLETION_CONDITION;
  ctx.specs.loops.set(element.id, spec);
}

const TARGET = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;
// Names FEEL reads as something else than a variable: a variable of that name could never be read back.
const RESERVED_NAMES = new Set(['null', 'true', 'false', 'not', 'and', 'or', 'in', 'if', 'then', 'else']);
RESERVED_NAMES.add('for').add('return').add('some').add('every').add('satisfies').add('function');

interface ModdleMapping {
  source?: unknown;
  target?: unknown;
}

/**
 * Reads and checks the `zeebe:ioMapping` of an element at deployment: every source must be valid FEEL and
 * every target a variable name or path that is not a FEEL keyword. Problems go to `report` with the element.
 */
export function readIoMapping(
  ioMapping: { inputParameters?: ModdleMapping[]; outputParameters?: ModdleMapping[] } | undefined,
  report: (reason: string) => void,
): IoMappingSpec | undefined {
  if (!ioMapping) return undefined;
  const read = (kind: 'input' | 'output', list: ModdleMapping[] | undefined): Mapping[] =>
    (list ?? []).flatMap((m) => {
      const target = typeof m.target === 'string' ? m.target.trim() : '';
      const source = typeof m.source === 'string' ? m.source : '';
      if (!TARGET.test(target)) {
        report(`${kind} mapping target "${target}" is not a variable name`);
        return [];
      }
      if (RESERVED_NAMES.has(target.split('.')[0])) {
        report(`${kind} mapping target "${target}" is a reserved FEEL name`);
        return [];
      }
      // Without a source, Camunda copies the variable of the target's name.
      const expression = source.trim() === '' ? `=${target}` : source;
      if (expression.trimStart().startsWith('=')) {
        try {
          checkFeelSyntax(expression);
        } catch (error) {
          report(`${kind} mapping ${target}: source is not valid FEEL: ${(error as Error).message}`);
          return [];
        }
      }
      return [{ source: expression, target }];
    });
  const spec = {
    inputs: read('input', ioMapping.inputParameters),
    outputs: read('output', ioMapping.outputParameters),
  };
  return spec.inputs.length + spec.outputs.length > 0 ? spec : undefined;
}
