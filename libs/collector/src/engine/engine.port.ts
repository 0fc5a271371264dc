/**
 * The process engine port: what Eddy needs from a BPMN engine.
 *
 * Two adapters are planned: the embedded one (`embedded/embedded.engine.ts`, on bpmn-engine, state in
 * SQLite) and a Camunda 8 one (not written yet). The port follows Camunda 8's user-task model so that
 * the Camunda 8 adapter maps onto it one to one:
 *
 * - user tasks are `zeebe:userTask` elements; their attributes come from `zeebe:assignmentDefinition`,
 *   `zeebe:priorityDefinition`, `zeebe:formDefinition`, `zeebe:taskSchedule` and `zeebe:properties`;
 * - the task lifecycle events match Camunda 8's task listener event types (`creating`, `assigning`,
 *   `updating`, `completing`, `canceling`): {@link EngineTaskCreated}, {@link EngineTaskAssigned},
 *   {@link EngineTaskAttributesChanged} / {@link EngineTaskCandidatesChanged}, {@link EngineTaskCompleted},
 *   {@link EngineTaskCancelled}; besides, {@link EngineTaskVariablesChanged} tells that the variables an open task
 *   sees changed (Camunda 8 reports these as variable records of the instance, not through the listeners);
 * - the actions (assign, complete, update, correlate message, cancel instance) are the ones Camunda 8's
 *   REST API offers for user tasks and process instances.
 *
 * Everything an engine does is reported as {@link EngineTransaction}s through {@link ProcessEngine.onTransaction}:
 * at-least-once, those of one process instance one at a time and in order. Handlers must accept a transaction
 * delivered twice; every event carries an `eventId` derived from the engine so that a duplicate is detectable.
 */

/** Injection token of the {@link ProcessEngine}. */
export const PROCESS_ENGINE = Symbol('PROCESS_ENGINE');

/** Process variables: a JSON object. */
export type Variables = Record<string, unknown>;

/** A BPMN resource to deploy, or a DMN resource (`.dmn`) whose decisions business rule tasks call. */
export interface BpmnResource {
  /** The BPMN 2.0 XML in the Camunda 8 (zeebe) dialect, or DMN 1.3 XML (then no process is deployed). */
  xml: string;
  /** Name of the resource, usually its file name (`invoice-approval.bpmn`). */
  resourceName: string;
}

/** A process definition as deployed. */
export interface DeployedProcessDefinition {
  /** Unique id of this version of the definition. */
  id: string;
  /** The BPMN process id; all versions of a process share it. */
  key: string;
  /** From 1; grows when the deployed XML changes, stays when the same XML is deployed again. */
  version: number;
  name: string | null;
  /** `zeebe:versionTag` of the process. */
  versionTag: string | null;
  /** Form of the none start event (`zeebe:formDefinition`), if any. */
  formKey: string | null;
  /**
   * Process property `eddy:startableFromTasklist`; when absent, true if the process has a none start event.
   */
  startableFromTasklist: boolean;
  /** Process property `eddy:candidateStarterGroups` (comma-separated in the model). */
  candidateStarterGroups: string[];
  /** Process property `eddy:candidateStarterUsers` (comma-separated in the model). */
  candidateStarterUsers: string[];
  resourceName: string;
  tenantId: string | null;
}

/** What to start. */
export interface StartProcessInstanceRequest {
  /** The BPMN process id; the latest version is started. */
  definitionKey: string;
  variables?: Variables;
  businessKey?: string;
  /** The user on whose behalf the instance is started (the tasklist's user). */
  startUserId?: string;
  /**
   * An idempotency key: a start repeated with the same key starts nothing and answers with the instance
   * the first one started (the embedded engine remembers keys for seven days, durably with the instance's
   * first step; Camunda 8 has no such key, so its adapter ignores it).
   */
  requestId?: string;
}

/**
 * How long a start is remembered by its `requestId` (the embedded engine), and how long the collector keeps
 * the answers it gave to engine requests across roles: one week, so that a request delivered again within
 * it starts nothing, whether or not its answer was kept.
 */
export const START_REQUEST_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export interface StartedProcessInstance {
  instanceId: string;
  definitionId: string;
}

/** A message to correlate to waiting message catch events. */
export interface CorrelateMessageRequest {
  /** The BPMN message name. */
  name: string;
  /** Compared with the evaluated `zeebe:subscription correlationKey` of each waiting subscription. */
  correlationKey: string;
  /** Merged into the variables of every instance the message is correlated to. */
  variables?: Variables;
  /** Identifies the message: a second message with the same id changes nothing (as in Camunda 8). */
  messageId?: string;
  /**
   * How long a message that finds no waiting subscription is kept and correlated to the first one that
   * opens, in milliseconds (Camunda 8's time to live); 0 (the default) keeps nothing.
   */
  timeToLiveMs?: number;
}

export interface MessageCorrelationResult {
  /** Instances the message was correlated to now; empty when none was waiting (then it is buffered for its time to live). */
  instanceIds: string[];
}

/** A user task as the engine sees it. Dates are ISO-8601 strings. */
export interface EngineTask {
  /** Stable and unique across all instances of this engine. */
  id: string;
  name: string | null;
  /** The BPMN element id of the user task. */
  taskDefinitionKey: string;
  /** `zeebe:property name="description"`, else the element's documentation. */
  description: string | null;
  /** `zeebe:formDefinition` formKey, externalReference or formId. */
  formKey: string | null;
  /** `zeebe:priorityDefinition`, 0..100; 50 when not modelled (Camunda 8's default). */
  priority: number;
  createTime: string;
  dueDate: string | null;
  followUpDate: string | null;
  assignee: string | null;
  candidateUsers: string[];
  candidateGroups: string[];
  processInstanceId: string;
  processDefinitionId: string;
  /** The BPMN process id. */
  processDefinitionKey: string;
  processName: string | null;
  businessKey: string | null;
  tenantId: string | null;
}

/**
 * The attributes of an open task that a user may edit (Camunda 8's user task update): only the given
 * ones change; a null date removes it.
 */
export interface EngineTaskUpdate {
  /** 0..100. */
  priority?: number;
  dueDate?: string | null;
  followUpDate?: string | null;
}

/** A process instance as the engine sees it. */
export interface EngineProcessInstance {
  id: string;
  processDefinitionId: string;
  processDefinitionKey: string;
  processName: string | null;
  businessKey: string | null;
  tenantId: string | null;
  startTime: string;
  /** The instance whose call activity started this one (absent when none did). */
  parentInstanceId?: string;
}

interface EngineEventBase {
  /** Unique, derived from the engine (`${instanceId}:${elementInstanceId}:${seq}`): a duplicate has the same id. */
  eventId: string;
  /** ISO-8601 time at which the engine made the change. */
  occurredAt: string;
}

/** A user task was created (Camunda 8 `creating`). `task` holds its attributes as evaluated. */
export interface EngineTaskCreated extends EngineEventBase {
  type: 'task.created';
  task: EngineTask;
}

/** The assignee changed (Camunda 8 `assigning`); `assignee` null means the task was unassigned. */
export interface EngineTaskAssigned extends EngineEventBase {
  type: 'task.assigned';
  task: EngineTask;
  assignee: string | null;
}

/** Attributes of the task that can change while it is open. */
export type ChangeableTaskAttribute =
  'name' | 'description' | 'priority' | 'dueDate' | 'followUpDate' | 'formKey';

/** Attributes other than assignee and candidates changed (Camunda 8 `updating`). */
export interface EngineTaskAttributesChanged extends EngineEventBase {
  type: 'task.attributesChanged';
  task: EngineTask;
  changed: ChangeableTaskAttribute[];
}

/** Candidate users or groups changed (Camunda 8 `updating` with `candidateUsers`/`candidateGroups`). */
export interface EngineTaskCandidatesChanged extends EngineEventBase {
  type: 'task.candidatesChanged';
  /** The task with its new lists. */
  task: EngineTask;
  /** The lists before this change: what was taken away is only known from them. */
  previous: Pick<EngineTask, 'candidateUsers' | 'candidateGroups'>;
}

/**
 * The process variables visible at an open task changed in this step without anything else happening to the
 * task (another task completed with variables, a service task or a message set some). The transaction's
 * `variables` carry the new ones, so that the task's payload follows the process.
 */
export interface EngineTaskVariablesChanged extends EngineEventBase {
  type: 'task.variablesChanged';
  task: EngineTask;
}

/** The task was completed (Camunda 8 `completing`); `variables` are the ones it was completed with. */
export interface EngineTaskCompleted extends EngineEventBase {
  type: 'task.completed';
  task: EngineTask;
  variables: Variables;
}

/** Why a task ended without being completed. */
export type TaskCancellationReason =
  /** An interrupting boundary event on the task fired. */
  | 'boundaryEvent'
  /** The process instance was cancelled. */
  | 'instanceCancelled'
  /** The instance ended otherwise (a terminate end event, an incident). */
  | 'instanceEnded';

/** The task was deleted without completion (Camunda 8 `canceling`). */
export interface EngineTaskCancelled extends EngineEventBase {
  type: 'task.cancelled';
  task: EngineTask;
  reason: TaskCancellationReason;
}

export interface EngineProcessInstanceStarted extends EngineEventBase {
  type: 'processInstance.started';
  instance: EngineProcessInstance;
  /** The variables the instance was started with. */
  variables: Variables;
  /** The user who started the instance, when a person did (Camunda 8 reports no such user: null). */
  startUserId?: string | null;
}

/** The instance reached its end. */
export interface EngineProcessInstanceFinished extends EngineEventBase {
  type: 'processInstance.finished';
  instance: EngineProcessInstance;
}

/** The instance was cancelled, or failed with an incident the embedded engine cannot resolve. */
export interface EngineProcessInstanceCancelled extends EngineEventBase {
  type: 'processInstance.cancelled';
  instance: EngineProcessInstance;
  reason: 'cancelled' | 'incident';
  /** The error, when `reason` is `incident`. */
  error?: string;
}

export type EngineTaskEvent =
  | EngineTaskCreated
  | EngineTaskAssigned
  | EngineTaskAttributesChanged
  | EngineTaskCandidatesChanged
  | EngineTaskVariablesChanged
  | EngineTaskCompleted
  | EngineTaskCancelled;

export type EngineProcessInstanceEvent =
  EngineProcessInstanceStarted | EngineProcessInstanceFinished | EngineProcessInstanceCancelled;

export type EngineEvent = EngineTaskEvent | EngineProcessInstanceEvent;

/**
 * What one engine step changed: everything between two wait states of one process instance (a start up
 * to the first waiting task, a completion up to the next one, a timer that fired ...), in order.
 */
export interface EngineTransaction {
  /** Unique id of the transaction; a redelivery carries the same id. */
  id: string;
  processInstanceId: string;
  events: EngineEvent[];
  /**
   * The process variables visible at each task that appears in `events`, by task id, as they were when the
   * transaction was committed.
   */
  variables: Record<string, Variables>;
  /**
   * The W3C trace context of what made the step, when tracing is on (OpenTelemetry): the engine client's
   * call (assign, complete ...) or the listener job of Camunda 8. The collector's span continues it, so a
   * completion and the task it leads to are one trace. Absent for a step of the engine's own (a timer).
   */
  traceparent?: string;
}

/**
 * Receives the engine's transactions. The engine considers a transaction acknowledged once the promise
 * resolves; when it rejects, the same transaction is delivered again after a back-off.
 */
export type EngineTransactionHandler = (tx: EngineTransaction) => Promise<void>;

/** Stops a delivery started by {@link ProcessEngine.onTransaction}. */
export type Unsubscribe = () => void;

/**
 * A BPMN engine as Eddy uses it. Every action that changes an instance resolves once the change and the
 * transaction it produced are stored by the engine (not once the transaction has been delivered).
 *
 * Errors: `EngineError` (see `engine.errors.ts`) with a `code` naming the problem and the field or element.
 */
export interface ProcessEngine {
  /**
   * Deploys the processes of one BPMN resource. Elements the engine cannot run are reported here, with their
   * ids, not discovered while an instance runs.
   */
  deploy(resource: BpmnResource): Promise<DeployedProcessDefinition[]>;

  /** The latest version of every deployed process. */
  listProcessDefinitions(): Promise<DeployedProcessDefinition[]>;

  /** Starts the latest version of a process at its none start event. */
  startProcessInstance(request: StartProcessInstanceRequest): Promise<StartedProcessInstance>;

  /** Cancels a running instance: its open tasks are cancelled, then the instance. */
  cancelProcessInstance(instanceId: string): Promise<void>;

  /** Sets (or, with null, removes) the assignee of an open task. */
  assignTask(taskId: string, assignee: string | null): Promise<void>;

  /** Completes an open task; `variables` are merged into the process variables before the process continues. */
  completeTask(taskId: string, variables?: Variables): Promise<void>;

  /** Sets (or, with null, removes) the follow-up date of an open task (ISO-8601 date-time). */
  setTaskFollowUpDate(taskId: string, followUpDate: string | null): Promise<void>;

  /**
   * Changes the priority and the due and follow-up dates of an open task in one step, reported as one
   * `task.attributesChanged` naming the attributes that changed.
   */
  updateTask(taskId: string, update: EngineTaskUpdate): Promise<void>;

  /** Correlates a message to the waiting message events whose name and correlation key match. */
  correlateMessage(request: CorrelateMessageRequest): Promise<MessageCorrelationResult>;

  /**
   * Broadcasts a signal, as Camunda 8 does: every signal catch event of that name that an instance waits at
   * receives it, and every process whose signal start event names it starts.
   */
  broadcastSignal(request: BroadcastSignalRequest): Promise<SignalBroadcastResult>;

  /**
   * Starts delivering transactions to `handler`: those of one process instance one at a time, in the order
   * the engine committed them, each until the handler's promise resolves (a rejection is retried with
   * back-off, nothing is skipped, nothing of the instance behind it goes first). Transactions of different
   * instances may be with the handler at the same time (the embedded engine's are, a bounded number; the
   * Camunda 8 adapter's go one at a time), so a handler must not rely on an order across instances.
   * Transactions committed before a handler is registered wait for it. One handler at a time.
   */
  onTransaction(handler: EngineTransactionHandler): Unsubscribe;

  /** Stops timers and delivery and releases the engine's resources. Running instances stay stored. */
  close(): Promise<void>;
}

/** A signal to broadcast (Camunda 8's `POST /v2/signals/broadcast`). */
export interface BroadcastSignalRequest {
  signalName: string;
  /** Merged into each instance the signal reaches or starts. */
  variables?: Variables;
}

export interface SignalBroadcastResult {
  /** The instances the signal reached or started; empty on Camunda 8, which does not say. */
  instanceIds: string[];
}

/**
 * What the api role asks of a process engine: starting processes (the tasklist) and correlating messages
 * (`POST /api/messages`). In a process with the `collector` role it is the engine itself; in an api process
 * without it, a client that hands the request to the collector process and waits for its answer.
 */
export type EngineRequests = Pick<
  ProcessEngine,
  'startProcessInstance' | 'correlateMessage' | 'broadcastSignal'
>;

/** Injection token of the {@link EngineRequests}. */
export const ENGINE_REQUESTS = Symbol('ENGINE_REQUESTS');
