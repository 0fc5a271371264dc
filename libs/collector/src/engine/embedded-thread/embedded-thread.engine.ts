import { Logger } from '@nestjs/common';
import { currentCorrelationId, traceparentOf, withCorrelationId } from '@eddy/observability';
import { extname, join } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { type EmbeddedProcessEngineOptions } from '../embedded/embedded.engine';
import { type ServiceTaskHandler, type ServiceTaskJob } from '../embedded/service-task.runner';
import { checkNewHandler } from '../embedded/transaction-outbox';
import { EngineError } from '../engine.errors';
import {
  type BpmnResource,
  type BroadcastSignalRequest,
  type CorrelateMessageRequest,
  type DeployedProcessDefinition,
  type EngineTaskUpdate,
  type EngineTransaction,
  type EngineTransactionHandler,
  type MessageCorrelationResult,
  type ProcessEngine,
  type SignalBroadcastResult,
  type StartedProcessInstance,
  type StartProcessInstanceRequest,
  type Unsubscribe,
  type Variables,
} from '../engine.port';
import {
  type ActivateJobsRequest,
  type ActivatedJob,
  type JobBpmnError,
  type JobFailure,
  type JobIncident,
  type JobResult,
  type JobWorkerApi,
} from '../job-worker.port';
import {
  decodeError,
  encodeError,
  type CallOrigin,
  type EncodedError,
  type EngineMethod,
  type EngineThreadStart,
  type FromEngineThread,
  type JobMethod,
  type SyncReply,
  type ToEngineThread,
} from './embedded-thread.protocol';

/** A clock that runs ahead of the real one by an offset the main thread moves and the engine's thread reads. */
export class SharedClockOffset {
  /** One Float64 in shared memory: the offset in milliseconds. */
  readonly cells = new Float64Array(new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT));

  advance(ms: number): void {
    this.cells[0] += ms;
  }
}

export interface EmbeddedEngineThreadOptions extends Omit<EmbeddedProcessEngineOptions, 'clock'> {
  /**
   * The engine's clock, ahead of the real one by this offset (a function cannot run on the engine's thread).
   * Default: the real clock.
   */
  clockOffset?: SharedClockOffset;
  /** How long `jobs.incidents()` waits for the engine's thread before it fails with `ENGINE_TIMEOUT`. Default 5 s. */
  incidentsTimeoutMs?: number;
}

/** What the adapter needs of a worker (Node's `Worker`, or a stand-in in the protocol's tests). */
export interface EngineThreadWorker {
  /** -1 once the thread has ended. */
  readonly threadId: number;
  postMessage(message: ToEngineThread, transfer?: readonly MessagePort[]): void;
  on(event: 'message', listener: (message: FromEngineThread) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  terminate(): Promise<number>;
}

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

const DEFAULT_INCIDENTS_TIMEOUT_MS = 5_000;
/** How often a synchronous wait looks whether the engine's thread is still alive. */
const LIVENESS_SLICE_MS = 50;

/**
 * The embedded engine on a worker thread of its own (`EDDY_ENGINE_THREAD=on`), behind the same ports: the
 * engine (bpmn-engine, FEEL, its SQLite file) uses a core of its own while the main thread keeps the
 * collector, the core and the projections.
 *
 * Every port operation is a message to the thread (`embedded-thread.protocol.ts`) answered when the engine has
 * done it, with the same results and the same `EngineError`s (code, message, details). Transactions are handed
 * to the main thread's handler and the engine's thread counts one as acknowledged only when the handler's
 * promise has resolved; a rejection goes back and the engine delivers the transaction again, as in process.
 * In-process job handlers (`serviceHandlers`) run here on the main thread, called by the engine's thread; their
 * outcome is always a step of its own, as an asynchronous handler's is in process.
 *
 * `jobs.incidents()` is synchronous in the port: it asks the thread on a channel of its own and blocks the
 * main thread until the answer (Atomics.wait), at most `incidentsTimeoutMs`; it is an operator's query, rare,
 * and the answer is the engine's current state, never a stale copy.
 *
 * A thread that ends unexpectedly fails every call under way and every later one with `CLOSED` (and a log line);
 * what it had stored stays in its file for the next start. Log codes `ENGINE-08x`.
 */
export class EmbeddedEngineThread implements ProcessEngine {
  private readonly logger = new Logger('EmbeddedEngineThread');
  private readonly loggers = new Map<string, Logger>();
  private readonly calls = new Map<number, PendingCall>();
  private nextCall = 0;
  private handler: EngineTransactionHandler | null = null;
  private readonly syncPort: MessagePort;
  private readonly syncWake = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  private syncSeq = 0;
  /** Set once the thread is gone: the error every call fails with from then on. */
  private ended: EngineError | null = null;
  private closing: Promise<void> | null = null;
  /** The thread ended without being closed; the error it ended with, if any. */
  private failure: Error | null = null;
  private readonly opened: Promise<void>;
  private settleOpen!: (error?: Error) => void;

  /** Job workers' access to the engine's jobs, on its thread. */
  readonly jobs: JobWorkerApi = {
    activate: (request: ActivateJobsRequest, signal?: AbortSignal) => this.activate(request, signal),
    complete: (jobKey: string, variables?: Variables, result?: JobResult | null) =>
      this.call('jobs', 'complete', [jobKey, variables, result]),
    fail: (jobKey: string, failure: JobFailure) => this.call('jobs', 'fail', [jobKey, failure]),
    throwError: (jobKey: string, error: JobBpmnError) => this.call('jobs', 'throwError', [jobKey, error]),
    incidents: () => this.incidents(),
    updateRetries: (jobKey: string, retries: number) => this.call('jobs', 'updateRetries', [jobKey, retries]),
    resolveIncident: (incidentKey: string) => this.call('jobs', 'resolveIncident', [incidentKey]),
  };

  /**
   * Serves the ports over `worker`, a thread running `embedded-thread.worker`; {@link open} starts one. The
   * instance is usable once {@link ready} resolves.
   */
  constructor(
    private readonly worker: EngineThreadWorker,
    private readonly serviceHandlers: Record<string, ServiceTaskHandler> = {},
    private readonly incidentsTimeoutMs = DEFAULT_INCIDENTS_TIMEOUT_MS,
  ) {
    this.opened = new Promise<void>((resolve, reject) => {
      this.settleOpen = (error) => (error ? reject(error) : resolve());
    });
    this.opened.catch(() => undefined);
    worker.on('message', (message: FromEngineThread) => this.receive(message));
    worker.on('error', (error: Error) => {
      this.failure = error;
    });
    worker.on('exit', (code: number) => this.exited(code));
    const channel = new MessageChannel();
    this.syncPort = channel.port1;
    this.post({ kind: 'attach', port: channel.port2, wake: this.syncWake }, [channel.port2]);
  }

  /** Starts the engine's thread and opens the engine in `options.dataDir` there. */
  static async open(options: EmbeddedEngineThreadOptions): Promise<EmbeddedEngineThread> {
    if (!options?.dataDir) throw new EngineError('INVALID_ARGUMENT', 'dataDir: a folder is required');
    if ('clock' in options)
      throw new EngineError(
        'INVALID_ARGUMENT',
        'clock: a function cannot run on the engine thread; give clockOffset instead',
      );
    const timeout = options.incidentsTimeoutMs ?? DEFAULT_INCIDENTS_TIMEOUT_MS;
    if (!Number.isInteger(timeout) || timeout < 1)
      throw new EngineError('INVALID_ARGUMENT', 'incidentsTimeoutMs: a positive whole number is required');
    const { serviceHandlers = {}, clockOffset, ...rest } = options;
    delete rest.incidentsTimeoutMs;
    for (const [type, handler] of Object.entries(serviceHandlers)) {
      if (typeof handler !== 'function')
        throw new EngineError('INVALID_ARGUMENT', `serviceHandlers.${type}: a function is required`);
    }
    const start: EngineThreadStart = {
      options: rest,
      serviceHandlerTypes: Object.keys(serviceHandlers),
      ...(clockOffset ? { clockOffset: clockOffset.cells } : {}),
    };
    const engine = new EmbeddedEngineThread(startWorker(start), serviceHandlers, timeout);
    try {
      await engine.ready();
    } catch (error) {
      // The thread that could not open the engine ends as expected, not as a failure to log.
      engine.closing = engine.worker.terminate().then(() => undefined);
      await engine.closing;
      throw error;
    }
    return engine;
  }

  /** Resolves once the engine is open on its thread; rejects with the error that kept it from opening. */
  ready(): Promise<void> {
    return this.opened;
  }

  deploy(resource: BpmnResource): Promise<DeployedProcessDefinition[]> {
    return this.call('engine', 'deploy', [resource]);
  }

  listProcessDefinitions(): Promise<DeployedProcessDefinition[]> {
    return this.call('engine', 'listProcessDefinitions', []);
  }

  startProcessInstance(request: StartProcessInstanceRequest): Promise<StartedProcessInstance> {
    return this.call('engine', 'startProcessInstance', [request]);
  }

  cancelProcessInstance(instanceId: string): Promise<void> {
    return this.call('engine', 'cancelProcessInstance', [instanceId]);
  }

  assignTask(taskId: string, assignee: string | null): Promise<void> {
    return this.call('engine', 'assignTask', [taskId, assignee]);
  }

  completeTask(taskId: string, variables?: Variables): Promise<void> {
    return this.call('engine', 'completeTask', [taskId, variables]);
  }

  setTaskFollowUpDate(taskId: string, followUpDate: string | null): Promise<void> {
    return this.call('engine', 'setTaskFollowUpDate', [taskId, followUpDate]);
  }

  updateTask(taskId: string, update: EngineTaskUpdate): Promise<void> {
    return this.call('engine', 'updateTask', [taskId, update]);
  }

  correlateMessage(request: CorrelateMessageRequest): Promise<MessageCorrelationResult> {
    return this.call('engine', 'correlateMessage', [request]);
  }

  broadcastSignal(request: BroadcastSignalRequest): Promise<SignalBroadcastResult> {
    return this.call('engine', 'broadcastSignal', [request]);
  }

  onTransaction(handler: EngineTransactionHandler): Unsubscribe {
    checkNewHandler(this.handler, handler);
    this.handler = handler;
    this.post({ kind: 'subscribe' });
    return () => {
      if (this.handler !== handler) return;
      this.handler = null;
      this.post({ kind: 'unsubscribe' });
    };
  }

  /** Closes the engine on its thread (which settles the deliveries under way), then ends the thread. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.ended) await this.call('engine', 'close', []).catch(() => undefined);
      this.ended ??= closedError();
      await this.worker.terminate();
      this.syncPort.close();
    })();
    return this.closing;
  }

  private call<T>(target: 'engine', method: EngineMethod, args: unknown[]): Promise<T>;
  private call<T>(target: 'jobs', method: JobMethod, args: unknown[]): Promise<T>;
  private call<T>(target: 'engine' | 'jobs', method: EngineMethod | JobMethod, args: unknown[]): Promise<T> {
    return this.callWithId<T>(target, method, args).promise;
  }

  private callWithId<T>(
    target: 'engine' | 'jobs',
    method: EngineMethod | JobMethod,
    args: unknown[],
  ): { id: number; promise: Promise<T> } {
    const id = ++this.nextCall;
    const promise = new Promise<T>((resolve, reject) => {
      if (this.ended) return reject(this.ended);
      if (this.closing && method !== 'close') return reject(closedError());
      try {
        this.worker.postMessage({
          kind: 'call',
          id,
          target,
          method,
          args,
          ...callOrigin(),
        } as ToEngineThread);
      } catch (error) {
        return reject(
          new EngineError(
            'INVALID_ARGUMENT',
            `${method}: the arguments cannot be passed to the engine thread: ${(error as Error).message}`,
          ),
        );
      }
      this.calls.set(id, { resolve: resolve as (value: unknown) => void, reject });
    });
    return { id, promise };
  }

  private async activate(request: ActivateJobsRequest, signal?: AbortSignal): Promise<ActivatedJob[]> {
    const { id, promise } = this.callWithId<ActivatedJob[]>('jobs', 'activate', [request]);
    if (!signal) return promise;
    const abort = () => this.post({ kind: 'abort', id });
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
    try {
      return await promise;
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }

  private incidents(): JobIncident[] {
    if (this.ended) throw this.ended;
    const seq = ++this.syncSeq;
    this.syncPort.postMessage({ seq });
    const deadline = Date.now() + this.incidentsTimeoutMs;
    for (;;) {
      const seen = Atomics.load(this.syncWake, 0);
      for (let got = receiveMessageOnPort(this.syncPort); got; got = receiveMessageOnPort(this.syncPort)) {
        const reply = got.message as SyncReply;
        if (reply.seq !== seq) continue;
        if ('error' in reply) throw decodeError(reply.error);
        return reply.incidents;
      }
      // The exit event needs the event loop, which this wait blocks; a gone thread shows in its id at once.
      if (this.worker.threadId === -1) throw this.ended ?? endedError(null, this.failure);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new EngineError(
          'ENGINE_TIMEOUT',
          `incidents: the engine thread did not answer within ${this.incidentsTimeoutMs} ms`,
        );
      Atomics.wait(this.syncWake, 0, seen, Math.min(left, LIVENESS_SLICE_MS));
    }
  }

  private receive(message: FromEngineThread): void {
    switch (message.kind) {
      case 'ready':
        this.settleOpen();
        return;
      case 'openFailed':
        this.settleOpen(decodeError(message.error));
        return;
      case 'reply': {
        const pending = this.calls.get(message.id);
        if (!pending) return;
        this.calls.delete(message.id);
        if (message.error) pending.reject(decodeError(message.error));
        else pending.resolve(message.value);
        return;
      }
      case 'deliver':
        this.deliver(message.deliveryId, message.tx);
        return;
      case 'handle':
        this.runHandler(message.callId, message.type, message.job);
        return;
      case 'log': {
        const logger = this.loggerFor(message.context);
        withCorrelationId(message.correlationId, () => logger[message.level](message.message));
        return;
      }
      default: {
        const unknown: never = message;
        this.logger.error(`ENGINE-082 unknown message from the engine thread: ${JSON.stringify(unknown)}`);
      }
    }
  }

  private deliver(deliveryId: number, tx: EngineTransaction): void {
    const handler = this.handler;
    const settled = (error?: string) => this.post({ kind: 'settled', deliveryId, error });
    if (!handler) return settled('no transaction handler is registered');
    Promise.resolve()
      .then(() => handler(tx))
      .then(
        () => settled(),
        (error: unknown) => settled(error instanceof Error ? error.message : String(error)),
      );
  }

  private runHandler(callId: number, type: string, job: ServiceTaskJob): void {
    const answer = (outcome: { output?: Variables | null; error?: EncodedError }) => {
      try {
        this.post({ kind: 'handled', callId, ...outcome });
      } catch (error) {
        this.post({
          kind: 'handled',
          callId,
          error: encodeError(
            new Error(
              `the result of the handler of ${type} cannot be passed to the engine thread: ${(error as Error).message}`,
            ),
          ),
        });
      }
    };
    const handler = this.serviceHandlers[type];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`no in-process handler for job type ${type}`);
        return handler(job);
      })
      .then(
        (output) => answer({ output: output ?? null }),
        (error: unknown) => answer({ error: encodeError(error) }),
      );
  }

  /** Posts to the thread unless it is gone (a settlement that comes too late is of no use to anyone). */
  private post(message: ToEngineThread, transfer?: MessagePort[]): void {
    if (this.ended) return;
    this.worker.postMessage(message, transfer);
  }

  private exited(code: number): void {
    const unexpected = this.ended === null && this.closing === null;
    this.ended ??= this.closing ? closedError() : endedError(code, this.failure);
    if (unexpected) this.logger.error(`ENGINE-080 ${this.ended.message}`);
    this.settleOpen(this.ended);
    for (const pending of this.calls.values()) pending.reject(this.ended);
    this.calls.clear();
    this.syncPort.close();
  }

  private loggerFor(context: string): Logger {
    let logger = this.loggers.get(context);
    if (!logger) {
      logger = new Logger(context);
      this.loggers.set(context, logger);
    }
    return logger;
  }
}

/** The correlation id and trace of the work running now, for the engine's thread to continue. */
function callOrigin(): CallOrigin {
  const correlationId = currentCorrelationId();
  const traceparent = traceparentOf();
  return {
    ...(correlationId === undefined ? {} : { correlationId }),
    ...(traceparent === undefined ? {} : { traceparent }),
  };
}

const closedError = () => new EngineError('CLOSED', 'the engine has been closed');

const endedError = (code: number | null, failure: Error | null) =>
  new EngineError(
    'CLOSED',
    `the engine thread ended unexpectedly${code === null ? '' : ` (exit code ${code})`}${failure ? `: ${failure.message}` : ''}`,
  );

/**
 * Starts `embedded-thread.worker` on a thread. From the TypeScript sources (jest, tsx) the thread registers tsx
 * before it loads the file; the built application runs the compiled JavaScript beside this file.
 */
function startWorker(start: EngineThreadStart): Worker {
  const extension = extname(__filename);
  const file = join(__dirname, `embedded-thread.worker${extension}`);
  return extension === '.ts'
    ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true, workerData: start })
    : new Worker(file, { workerData: start });
}
