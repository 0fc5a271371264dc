/** A job as the instance's stored metadata holds it, by the bpmn-engine execution id of its element. */
export interface StoredJob {
  /** Numeric string, unique in this engine (Camunda 8's job keys are 64-bit numbers). */
  key: string;
  /** The job type; '' for the incident of an error end event that nothing caught (no job to hand out). */
  type: string;
  elementId: string;
  executionId: string;
  retries: number;
  customHeaders: Record<string, string>;
  /** The job of an execution listener of this event type: it cannot throw a BPMN error. */
  listener?: 'start' | 'end';
  /** `activatable`: waits for a worker; `activated`: a worker holds it until `deadline`; `incident`: stuck. */
  state: 'activatable' | 'activated' | 'incident';
  worker: string | null;
  /** Epoch ms at which an activated job is handed out again. */
  deadline: number | null;
  /** Epoch ms before which a failed job is not handed out (its retry back-off). */
  retryAt: number | null;
  errorMessage: string | null;
  incident: {
    errorType: 'JOB_NO_RETRIES' | 'UNHANDLED_ERROR_EVENT';
    errorMessage: string;
    creationTime: string;
  } | null;
}

/** bpmn-engine's service callback of the element a job waits in. */
export type JobCallback = (error: Error | null, output?: unknown) => void;
