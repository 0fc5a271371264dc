/**
 * Shapes shared by the compiler (`zeebe-model.compiler.ts`), its dialect checks (`dialect-elements.ts`) and the
 * runtime parts that read what they compiled: types only, so that none of them imports another's code.
 */

import { type JobElementSpec } from './jobs/job-elements';

// Loose shapes of moddle-context-serializer's output: only what is read here.
export interface ModdleElement {
  $type: string;
  [attribute: string]: unknown;
}
export interface SerializedEventDefinition {
  type: string;
  behaviour: ModdleElement;
}
export interface SerializedElement {
  id: string;
  type: string;
  name?: string;
  parent?: { id: string; type: string };
  behaviour: ModdleElement & {
    eventDefinitions?: SerializedEventDefinition[];
    loopCharacteristics?: unknown;
    cancelActivity?: boolean;
    conditionExpression?: { body?: string; language?: string };
    attachedTo?: { id: string };
    messageRef?: { id: string; name?: string };
  };
}

/** One `zeebe:input` or `zeebe:output`: a FEEL expression (or a literal) and the variable it sets. */
export interface Mapping {
  source: string;
  /** A variable name or a path into one (`order.total`). */
  target: string;
}

/** The `zeebe:ioMapping` of an element. */
export interface IoMappingSpec {
  inputs: Mapping[];
  outputs: Mapping[];
}

/** The `zeebe:loopCharacteristics` of a multi-instance element. */
export interface LoopSpec {
  /** FEEL: the list whose items the instances run for. */
  inputCollection: string;
  /** The local variable that holds an instance's item. */
  inputElement: string | null;
  /** The variable that collects the instances' output elements, in the order of the items. */
  outputCollection: string | null;
  /** FEEL: what each instance adds to the output collection. */
  outputElement: string | null;
  /** FEEL: evaluated in the body's scope after each inner instance completes; true ends the body. */
  completionCondition: string | null;
}

/** A script task's `zeebe:script`: a FEEL expression whose value goes to the result variable. */
export interface ScriptSpec {
  expression: string;
  resultVariable: string;
}

/** A business rule task's `zeebe:calledDecision`: the decision (literal or FEEL) and its result variable. */
export interface CalledDecisionSpec {
  decisionId: string;
  resultVariable: string;
}

/** A call activity's `zeebe:calledElement` (call-activities.ts). */
export interface CallActivitySpec {
  /** The called process's id: literal or FEEL. */
  processId: string;
  /** Whether the child's variables are all set around the call activity when it completes (default true). */
  propagateAllChildVariables: boolean;
  /** Whether the child gets every variable the call activity sees, or only its input mappings' (default true). */
  propagateAllParentVariables: boolean;
}

/** What starts an event sub-process, read from its start event. */
export interface EventSubProcessStart {
  startEventId: string;
  eventSubProcessId: string;
  /** The sub-process the event sub-process is in; null when it is in the process itself. */
  scopeId: string | null;
  interrupting: boolean;
  /** Escalation event sub-processes are started by bpmn-engine; only their interruption is added. */
  kind: 'timer' | 'message' | 'escalation';
  /** The timer's `timeDuration`, `timeDate` or `timeCycle` (literal or FEEL); null for the other kinds. */
  timer: { timeDuration?: string; timeDate?: string; timeCycle?: string } | null;
}

/** A compensation intermediate throw or end event (`compensations.ts`). */
export interface CompensationThrowSpec {
  /** The one activity it compensates; null: every completed activity of its scope that has a handler. */
  activityRef: string | null;
  /** The sub-process whose activities it compensates; null for the process. */
  scopeId: string | null;
  /** It is inside an event sub-process of that scope. */
  inEventSubProcess: boolean;
}

/** An ad-hoc sub-process (`ad-hoc-sub-processes.ts`). */
export interface AdHocSubProcessSpec {
  id: string;
  /** The element added inside it that keeps it running between activations (and waits as its job). */
  keeperId: string;
  /** Its elements without incoming sequence flows: the ones that can be activated. */
  activatable: string[];
  /** FEEL: the ids of the elements to activate when it starts (`zeebe:adHoc activeElementsCollection`). */
  activeElementsCollection: string | null;
  /** FEEL: evaluated when one of its elements completes; true completes it. */
  completionCondition: string | null;
  cancelRemainingInstances: boolean;
  /** `zeebe:adHoc outputCollection`: the variable that collects an output element per completed element. */
  outputCollection: string | null;
  /** FEEL: what each completed element adds to the output collection. */
  outputElement: string | null;
  /** Run by a job worker (`zeebe:taskDefinition` on it), which activates elements through its job result. */
  byJobWorker: boolean;
}

/** The lifecycle events of a user task whose listeners the embedded engine runs (`task-listeners.ts`). */
export type TaskListenerEvent = 'creating' | 'assigning' | 'updating' | 'completing';

/** A user task's listeners by event, each list in model order. */
export type TaskListenerSpecs = Partial<Record<TaskListenerEvent, JobElementSpec[]>>;

/** What the compiler reads of the dialect's elements beyond user, service and message elements. */
export interface DialectSpecs {
  ioMappings: Map<string, IoMappingSpec>;
  /** Element id -> the id of the sub-process it is in (absent for elements of the process itself). */
  parents: Map<string, string>;
  scripts: Map<string, ScriptSpec>;
  decisions: Map<string, CalledDecisionSpec>;
  loops: Map<string, LoopSpec>;
  /** Message start event id -> the name of its message (a literal, as Camunda 8 requires). */
  messageStarts: Map<string, string>;
  callActivities: Map<string, CallActivitySpec>;
  /** Start events of timer, message and escalation event sub-processes, by id (`event-sub-process-starts.ts`). */
  eventSubProcessStarts: Map<string, EventSubProcessStart>;
  /** Signal start events of the process, by id -> the signal name (`signal-events.ts`). */
  signalStarts: Map<string, string>;
  /** Signal catch events (intermediate, boundary), by id -> the signal name. */
  signalCatches: Map<string, string>;
  /** Signal throw and end events, by id -> the signal name they broadcast. */
  signalThrows: Map<string, string>;
  /** The task listeners of user tasks by event, by user task id (`task-listeners.ts`). */
  taskListeners: Map<string, TaskListenerSpecs>;
  /** Terminate end events, by id (`terminate-end-events.ts`). */
  terminateEnds: Set<string>;
  /** Ad-hoc sub-processes by id. */
  adHocSubProcesses: Map<string, AdHocSubProcessSpec>;
}
