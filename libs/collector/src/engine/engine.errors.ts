/** What went wrong in a {@link EngineError}. */
export type EngineErrorCode =
  /** The BPMN XML cannot be read. */
  | 'INVALID_BPMN'
  /** A DMN resource cannot be read or holds what the engine cannot evaluate; the message names the element. */
  | 'INVALID_DMN'
  /** The BPMN holds elements or attributes the engine cannot run; `details` names each element. */
  | 'UNSUPPORTED_ELEMENT'
  /** An argument is missing or malformed; the message names the field. */
  | 'INVALID_ARGUMENT'
  | 'UNKNOWN_PROCESS_DEFINITION'
  | 'UNKNOWN_PROCESS_INSTANCE'
  /** No open task has this id (never created, or already completed or cancelled). */
  | 'UNKNOWN_TASK'
  /** No job has this key (never created, or already completed, failed for good or cancelled with its element). */
  | 'UNKNOWN_JOB'
  /** No incident has this key (never raised, or resolved). */
  | 'UNKNOWN_INCIDENT'
  /** The job exists but cannot take this action in its state (an incident waits on it). */
  | 'INVALID_JOB_STATE'
  /** The task exists but cannot take this action now: the task listeners of another transition run. */
  | 'INVALID_TASK_STATE'
  /** The process has no none start event. */
  | 'NOT_STARTABLE'
  /** The engine has been closed. */
  | 'CLOSED'
  /** The process that runs the engine did not answer in time (an api process without the collector role). */
  | 'ENGINE_TIMEOUT';

/** One element the engine cannot run. */
export interface UnsupportedElement {
  elementId: string;
  elementType: string;
  reason: string;
}

/** An error of a process engine adapter, with a code a caller can act on. */
export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly details: UnsupportedElement[] = [],
  ) {
    super(message);
    this.name = 'EngineError';
  }
}
