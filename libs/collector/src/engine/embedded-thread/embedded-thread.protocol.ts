import { type MessagePort } from 'node:worker_threads';
import { EngineError, type EngineErrorCode, type UnsupportedElement } from '../engine.errors';
import { type EngineTransaction, type ProcessEngine, type Variables } from '../engine.port';
import { type JobIncident, type JobWorkerApi } from '../job-worker.port';
import { type ServiceTaskJob } from '../embedded/service-task.runner';
import { type EmbeddedProcessEngineOptions } from '../embedded/embedded.engine';

/**
 * The messages between the main thread and the thread that runs the embedded engine. Every message is a plain
 * object that the structured clone algorithm of `postMessage` copies as it is (no functions, no class
 * instances): errors travel as {@link EncodedError}, functions stay on the main thread and are called by id.
 */

/** The port operations the main thread calls on the engine's thread, each answered by a {@link Reply}. */
export type EngineMethod = Exclude<keyof ProcessEngine, 'onTransaction'>;
/** The job worker operations called likewise; `incidents` is answered on the synchronous channel. */
export type JobMethod = Exclude<keyof JobWorkerApi, 'incidents'>;

export const ENGINE_METHODS: readonly EngineMethod[] = [
  'deploy',
  'listProcessDefinitions',
  'startProcessInstance',
  'cancelProcessInstance',
  'assignTask',
  'completeTask',
  'setTaskFollowUpDate',
  'updateTask',
  'correlateMessage',
  'broadcastSignal',
  'close',
];
export const JOB_METHODS: readonly JobMethod[] = [
  'activate',
  'complete',
  'fail',
  'throwError',
  'updateRetries',
  'resolveIncident',
];

/** An error as it crosses the thread boundary: an `EngineError` keeps its code and details. */
export type EncodedError =
  | { engineError: { code: EngineErrorCode; message: string; details: UnsupportedElement[] } }
  | { name: string; message: string };

export function encodeError(error: unknown): EncodedError {
  if (error instanceof EngineError) {
    return { engineError: { code: error.code, message: error.message, details: error.details } };
  }
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

export function decodeError(encoded: EncodedError): Error {
  if ('engineError' in encoded) {
    const { code, message, details } = encoded.engineError;
    return new EngineError(code, message, details);
  }
  const error = new Error(encoded.message);
  error.name = encoded.name;
  return error;
}

/** What the engine's thread is started with (`workerData`). */
export interface EngineThreadStart {
  /** The embedded engine's options that can cross the boundary. */
  options: Omit<EmbeddedProcessEngineOptions, 'serviceHandlers' | 'clock'>;
  /** Job types with an in-process handler on the main thread. */
  serviceHandlerTypes: string[];
  /** One Float64: how many milliseconds the engine's clock runs ahead of the real one (absent: none). */
  clockOffset?: Float64Array;
}

/**
 * The work a call was made in on the main thread: the engine's thread continues its correlation id (log lines)
 * and its trace (the `traceparent` of the transactions the call's step makes).
 */
export interface CallOrigin {
  correlationId?: string;
  traceparent?: string;
}

/** Main thread to engine thread. */
export type ToEngineThread =
  /** The synchronous channel: `wake` counts answers (Atomics), `port` carries them. */
  | { kind: 'attach'; port: MessagePort; wake: Int32Array }
  | ({ kind: 'call'; id: number; target: 'engine'; method: EngineMethod; args: unknown[] } & CallOrigin)
  | ({ kind: 'call'; id: number; target: 'jobs'; method: JobMethod; args: unknown[] } & CallOrigin)
  /** The caller of `jobs.activate` gave up (its AbortSignal). */
  | { kind: 'abort'; id: number }
  | { kind: 'subscribe' }
  | { kind: 'unsubscribe' }
  /** The main thread's transaction handler accepted the delivery, or rejected it (`error`). */
  | { kind: 'settled'; deliveryId: number; error?: string }
  /** An in-process job handler returned (`output`) or threw (`error`). */
  | { kind: 'handled'; callId: number; output?: Variables | null; error?: EncodedError };

/** Engine thread to main thread. */
export type FromEngineThread =
  | { kind: 'ready' }
  | { kind: 'openFailed'; error: EncodedError }
  | { kind: 'reply'; id: number; value?: unknown; error?: EncodedError }
  | { kind: 'deliver'; deliveryId: number; tx: EngineTransaction }
  | { kind: 'handle'; callId: number; type: string; job: ServiceTaskJob }
  | { kind: 'log'; level: LogLevel; context: string; message: string; correlationId?: string };

export type LogLevel = 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';

/** A question on the synchronous channel (only `incidents()` asks one) and its answer. */
export interface SyncRequest {
  seq: number;
}
export type SyncReply = { seq: number; incidents: JobIncident[] } | { seq: number; error: EncodedError };
