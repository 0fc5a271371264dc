import { type Variables } from './engine.port';

/**
 * Job workers' access to the jobs of an engine that hands its jobs out itself (the embedded one), shaped like
 * Camunda 8's job endpoints: every job-based element (service and send tasks, message throw and end events
 * with a `zeebe:taskDefinition`, ...) waits as a job of its type until a worker activates and completes it,
 * unless an in-process handler is registered for the type.
 *
 * Errors: `EngineError` `UNKNOWN_JOB` (no such job: never created, completed, or cancelled with its element),
 * `INVALID_JOB_STATE` (an incident waits on it), `INVALID_ARGUMENT` naming the field, `CLOSED`.
 */
export interface JobWorkerApi {
  /**
   * Activates up to `maxJobsToActivate` jobs of `type` that no worker holds (new ones, failed ones whose
   * back-off has passed, and activated ones whose timeout has passed), for `timeoutMs`. When none is there,
   * waits up to `requestTimeoutMs` for one (long polling); a negative `requestTimeoutMs` answers at once.
   */
  activate(request: ActivateJobsRequest, signal?: AbortSignal): Promise<ActivatedJob[]>;

  /**
   * Completes a job: `variables` are merged into the instance's and the element is left. The job of an ad-hoc
   * sub-process run by a job worker takes a `result` (Camunda 8.8's job result): the elements to activate, and
   * whether the sub-process is to complete.
   */
  complete(jobKey: string, variables?: Variables, result?: JobResult | null): Promise<void>;

  /**
   * Fails a job: with `retries` above 0 it is handed out again after `retryBackOffMs`; with 0 it raises an
   * incident and the instance waits.
   */
  fail(jobKey: string, failure: JobFailure): Promise<void>;

  /**
   * Throws a BPMN error from the job: an error boundary event of its element catches it (matching `errorCode`,
   * or catching every code); when nothing catches it, an incident is raised and the instance waits.
   */
  throwError(jobKey: string, error: JobBpmnError): Promise<void>;

  /** The incidents that wait (jobs out of retries, errors nothing caught), oldest first. */
  incidents(): JobIncident[];

  /** Sets a job's retries (also while an incident waits on it, before the incident is resolved). */
  updateRetries(jobKey: string, retries: number): Promise<void>;

  /**
   * Resolves the incident of a job: it is handed out again. A job out of retries needs retries first
   * (`INVALID_JOB_STATE` otherwise); the incident of an error end event cannot be resolved (cancel the instance).
   */
  resolveIncident(incidentKey: string): Promise<void>;
}

/** Camunda 8.8's job result: of an ad-hoc sub-process's job (`type` `adHocSubProcess`) or a task listener's (`userTask`). */
export interface JobResult {
  type?: string;
  /** The elements to activate, each with variables for it. */
  activateElements?: { elementId: string; variables?: Variables | null }[];
  /** The ad-hoc sub-process completes (once its active elements are done, or at once with the next flag). */
  isCompletionConditionFulfilled?: boolean;
  /** With the completion: its active elements are cancelled. */
  isCancelRemainingInstances?: boolean;
  /** A task listener's job (`type` `userTask`): changes to the task of its transition. */
  corrections?: TaskCorrections;
  /** A task listener's job: rejects the assignment, update or completion it listens to (Camunda 8.8). */
  denied?: boolean;
  deniedReason?: string;
}

/** What a task listener's job result may change of the task. */
export interface TaskCorrections {
  assignee?: string | null;
  candidateUsers?: string[];
  candidateGroups?: string[];
  dueDate?: string | null;
  followUpDate?: string | null;
  priority?: number;
}

/** Injection token of the {@link JobWorkerApi}; provided when the engine hands its jobs out itself. */
export const JOB_WORKER_API = Symbol('JOB_WORKER_API');

export interface ActivateJobsRequest {
  type: string;
  worker: string;
  /** How long the worker holds the jobs before they are handed out again, in milliseconds. */
  timeoutMs: number;
  maxJobsToActivate: number;
  /** Long polling: how long to wait for a job when none is there; negative answers at once. */
  requestTimeoutMs: number;
  /** Only these variables are sent with the job (all when absent or empty). */
  fetchVariable?: string[];
}

/** A job as a worker receives it (Camunda 8's activated job). */
export interface ActivatedJob {
  jobKey: string;
  type: string;
  processInstanceKey: string;
  /** The BPMN process id. */
  processDefinitionId: string;
  processDefinitionVersion: number;
  processDefinitionKey: string;
  elementId: string;
  elementInstanceKey: string;
  customHeaders: Record<string, string>;
  worker: string;
  retries: number;
  /** Epoch milliseconds at which the job is handed out again unless completed or failed. */
  deadline: number;
  variables: Variables;
  tenantId: string;
}

export interface JobFailure {
  retries: number;
  errorMessage?: string;
  /** Wait before the job is handed out again, in milliseconds. Default 0. */
  retryBackOffMs?: number;
  variables?: Variables;
}

export interface JobBpmnError {
  errorCode: string;
  errorMessage?: string;
  variables?: Variables;
}

/** An incident that keeps an instance waiting at a job's element. */
export interface JobIncident {
  /** One incident per job (or error end event) that waits. */
  incidentKey: string;
  /** Null for an error end event's error that nothing caught. */
  jobKey: string | null;
  /** Camunda 8's error types: the job ran out of retries, or its BPMN error was not caught. */
  errorType: 'JOB_NO_RETRIES' | 'UNHANDLED_ERROR_EVENT';
  errorMessage: string;
  processInstanceKey: string;
  processDefinitionId: string;
  elementId: string;
  elementInstanceKey: string;
  creationTime: string;
  tenantId: string;
}
