import { type Engine } from 'bpmn-engine';
import {
  type DeployedProcessDefinition,
  type EngineEvent,
  type EngineProcessInstance,
  type EngineTask,
  type Variables,
} from '../engine.port';
import { type StartRequestRecord } from './embedded-engine.store';
import { type TaskCorrections } from '../job-worker.port';
import { type StoredJob } from './jobs/stored-job';
import { type RuntimeTimers } from './runtime-timers';
import { type CompiledProcess } from './zeebe-model.compiler';

/** The local variables of an element instance (variable-scopes.ts), by bpmn-engine execution id. */
export interface LocalScope {
  elementId: string;
  variables: Variables;
  /** The execution id of the scope around it; absent when that is the process. */
  parent?: string;
}

/** The instance a child instance was called by: its call activity instance. */
export interface CallingInstance {
  instanceId: string;
  elementId: string;
  executionId: string;
}

/** A call activity instance waiting for its child instance (in the caller's stored state). */
export interface OpenCall {
  elementId: string;
  processId: string;
  childInstanceId: string;
}

/** A deployed definition with what the compiler read from its XML. */
export interface CompiledDefinition {
  deployed: DeployedProcessDefinition;
  compiled: CompiledProcess;
}

/** An open user task and the bpmn-engine execution it waits in. */
export interface OpenTask {
  executionId: string;
  task: EngineTask;
}

/** A message catch event an instance waits at, with its name and correlation key as evaluated. */
export interface Subscription {
  elementId: string;
  /** The execution id of the waiting element instance (absent in instances stored before it was kept). */
  executionId?: string;
  messageName: string;
  correlationKey: string;
}

/** A timer of an event sub-process as stored in the instance's state. */
export interface ArmedEventSubProcessTimer {
  /** Epoch milliseconds. */
  dueAt: number;
  /** The evaluated timer value (an ISO-8601 duration, date-time or repeating interval). */
  value: string;
  /** Repetitions left of a cycle, this one included (-1: without end); null for a duration or a date. */
  repeat: number | null;
}

/** What an ad-hoc sub-process that runs keeps in the instance's state, by its id. */
export interface AdHocState {
  /** Its job (with a job worker) is open. */
  jobOpen: boolean;
  /** It completes as soon as no element is active. */
  completing: boolean;
}

/** A completion of a compensation activity, in the instance's stored state (compensation.runtime.ts). */
export interface CompensableCompletion {
  elementId: string;
  /** The execution id of the scope it completed in; null for the process. */
  scope: string | null;
}

/** A compensation throw or end event waiting for its handlers, in the instance's stored state. */
export interface RunningCompensation {
  /** The sub-process the handlers run in; null for the process. */
  scopeId: string | null;
  /** Handlers running. */
  running: string[];
  /** Handlers to run again once the run of the same handler is done (in a step of their own). */
  queued: string[];
}

/** A user task operation that waits for its task listeners (`task-listener.runtime.ts`). */
export type PendingTaskOperation =
  | { event: 'creating' }
  | { event: 'assigning'; assignee: string | null }
  | { event: 'updating'; changes: Partial<Pick<EngineTask, 'priority' | 'dueDate' | 'followUpDate'>> }
  | { event: 'completing'; variables: Variables };

/** A user task whose task listeners run, by execution id, in the instance's state. */
export interface ListenedTask {
  /** The index of the listener whose job is open. */
  next: number;
  corrections: TaskCorrections;
  /** What takes effect once the listeners are done (absent in instances stored before: creating). */
  operation?: PendingTaskOperation;
}

/** What is stored of an instance beside bpmn-engine's state. */
export interface InstanceMeta {
  instance: EngineProcessInstance;
  variables: Variables;
  /** By bpmn-engine execution id of the user task. */
  tasks: Record<string, OpenTask>;
  /**
   * By execution id of the waiting message event, so that parallel instances of one element (in a
   * multi-instance sub-process) each have their own (by element id in instances stored before).
   */
  subscriptions: Record<string, Subscription>;
  /** Open jobs by bpmn-engine execution id of their element (absent in instances stored before jobs). */
  jobs?: Record<string, StoredJob>;
  seq: number;
  txSeq: number;
  /** Timers or service task handlers were running: the instance is loaded when the engine opens. */
  hasTimers: boolean;
  /** The variable scopes of element instances, by execution id (variable-scopes.ts). */
  locals?: Record<string, LocalScope>;
  /** The call activity instance that started this instance (call-activities.ts). */
  calledBy?: CallingInstance;
  /** Call activity instances waiting for their child, by execution id. */
  calls?: Record<string, OpenCall>;
  /** Armed timers of timer event sub-processes, by start event id (event-sub-process-triggers.ts). */
  eventSubProcessTimers?: Record<string, ArmedEventSubProcessTimer>;
  /** Non-interrupting event sub-processes that fired again while they ran, by id, to run when they are done. */
  eventSubProcessQueue?: string[];
  /** Signal catch events the instance waits at: element id -> signal name (signals.ts). */
  signalSubscriptions?: Record<string, string>;
  /** User tasks whose task listeners run, by execution id (task-listener.runtime.ts). */
  taskListeners?: Record<string, ListenedTask>;
  /** The running ad-hoc sub-processes, by id (ad-hoc-sub-process.runtime.ts). */
  adHoc?: Record<string, AdHocState>;
  /** Completed compensation activities not compensated yet, in order of completion (compensation.runtime.ts). */
  compensable?: CompensableCompletion[];
  /** Compensation throw and end events waiting for their handlers, by execution id. */
  compensating?: Record<string, RunningCompensation>;
}

/** bpmn-engine's element API as used here. */
export interface ElementApi {
  id: string;
  type: string;
  executionId: string;
  content?: { parent?: { id: string; type: string; executionId?: string } };
  signal(message?: unknown): void;
}

/** A running instance in memory: its stored part, its engine (when loaded) and what the current step did. */
export interface Runtime {
  meta: InstanceMeta;
  definition: CompiledDefinition;
  engine: Engine | null;
  timers: RuntimeTimers;
  /** Waiting user tasks and message events by execution id (refreshed by every wait, also those replayed on resume). */
  waiting: Map<string, ElementApi>;
  pending: EngineEvent[];
  completing: { executionId: string; variables: Variables } | null;
  engineMoved: boolean;
  metaChanged: boolean;
  /** The step changed process variables: open tasks that nothing else happened to are told so. */
  variablesChanged: boolean;
  ended: boolean;
  incident: Error | null;
  queue: Promise<unknown>;
  busy: number;
  /** Ids of the buffered messages this step delivered: removed from the store with its commit. */
  consumedMessages: string[];
  /** The request a new instance was started for: recorded with its first step's commit, in the same write. */
  startRequest: StartRequestRecord | null;
  /** Service task handlers that have not finished (their promise, or the wait before another attempt). */
  inFlight: number;
}

/** An engine event before the engine gives it its id and time. */
export type NewEngineEvent = DistributiveOmit<EngineEvent, 'eventId' | 'occurredAt'>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Adds an event to the step's transaction; its id is unique per instance and stable across redeliveries. */
export function emitEvent(
  rt: Runtime,
  elementInstanceId: string,
  event: NewEngineEvent,
  occurredAt: string,
): void {
  const meta = rt.meta;
  rt.metaChanged = true;
  rt.pending.push({
    ...event,
    eventId: `${meta.instance.id}:${elementInstanceId}:${++meta.seq}`,
    occurredAt,
  } as EngineEvent);
}

export function isObject(value: unknown): value is Variables {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
