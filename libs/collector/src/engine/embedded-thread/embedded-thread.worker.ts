/**
 * The engine's thread: runs an {@link EmbeddedProcessEngine} and serves the main thread's
 * `EmbeddedEngineThread` by the messages of `embedded-thread.protocol.ts`. Loaded only as a worker.
 */
import { Logger, type LoggerService } from '@nestjs/common';
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { currentCorrelationId, withCarriedTraceparent, withCorrelationId } from '@eddy/observability';
import { EmbeddedProcessEngine } from '../embedded/embedded.engine';
import { type ServiceTaskHandler, type ServiceTaskJob } from '../embedded/service-task.runner';
import { type EngineTransaction, type Unsubscribe, type Variables } from '../engine.port';
import { EngineError } from '../engine.errors';
import {
  decodeError,
  encodeError,
  ENGINE_METHODS,
  JOB_METHODS,
  type EngineThreadStart,
  type FromEngineThread,
  type LogLevel,
  type SyncReply,
  type SyncRequest,
  type ToEngineThread,
} from './embedded-thread.protocol';

interface Pending<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

/** Log lines go to the main thread's logger, so that its levels and format apply to them. */
function forwardingLogger(send: (message: FromEngineThread) => void): LoggerService {
  const forward =
    (level: LogLevel) =>
    (message: unknown, ...params: unknown[]) => {
      const context = typeof params.at(-1) === 'string' ? (params.at(-1) as string) : 'EmbeddedProcessEngine';
      const correlationId = currentCorrelationId();
      send({
        kind: 'log',
        level,
        context,
        message: String(message),
        ...(correlationId ? { correlationId } : {}),
      });
    };
  return {
    log: forward('log'),
    error: forward('error'),
    warn: forward('warn'),
    debug: forward('debug'),
    verbose: forward('verbose'),
    fatal: forward('fatal'),
  };
}

async function serve(start: EngineThreadStart, port: MessagePort): Promise<void> {
  const send = (message: FromEngineThread) => port.postMessage(message);
  Logger.overrideLogger(forwardingLogger(send));

  let nextCall = 0;
  const handlerCalls = new Map<number, Pending<Variables | void>>();
  const callHandler = (type: string, job: ServiceTaskJob) =>
    new Promise<Variables | void>((resolve, reject) => {
      const callId = ++nextCall;
      handlerCalls.set(callId, { resolve, reject });
      send({ kind: 'handle', callId, type, job });
    });
  const serviceHandlers: Record<string, ServiceTaskHandler> = Object.fromEntries(
    start.serviceHandlerTypes.map((type) => [type, (job: ServiceTaskJob) => callHandler(type, job)]),
  );
  const offset = start.clockOffset;

  let engine: EmbeddedProcessEngine;
  try {
    engine = await EmbeddedProcessEngine.open({
      ...start.options,
      serviceHandlers,
      ...(offset ? { clock: () => new Date(Date.now() + offset[0]) } : {}),
    });
  } catch (error) {
    send({ kind: 'openFailed', error: encodeError(error) });
    return;
  }

  let nextDelivery = 0;
  const deliveries = new Map<number, Pending<void>>();
  const deliver = (tx: EngineTransaction) =>
    new Promise<void>((resolve, reject) => {
      const deliveryId = ++nextDelivery;
      deliveries.set(deliveryId, { resolve, reject });
      send({ kind: 'deliver', deliveryId, tx });
    });
  let unsubscribe: Unsubscribe | null = null;
  const activations = new Map<number, AbortController>();

  const call = async (message: Extract<ToEngineThread, { kind: 'call' }>): Promise<unknown> => {
    if (message.target === 'engine') {
      if (!ENGINE_METHODS.includes(message.method))
        throw new EngineError('INVALID_ARGUMENT', `method: ${String(message.method)} is no engine operation`);
      const method = engine[message.method] as (...args: unknown[]) => Promise<unknown>;
      return method.apply(engine, message.args);
    }
    if (!JOB_METHODS.includes(message.method))
      throw new EngineError('INVALID_ARGUMENT', `method: ${String(message.method)} is no job operation`);
    if (message.method === 'activate') {
      const abort = new AbortController();
      activations.set(message.id, abort);
      try {
        return await engine.jobs.activate(message.args[0] as never, abort.signal);
      } finally {
        activations.delete(message.id);
      }
    }
    const method = engine.jobs[message.method] as (...args: unknown[]) => Promise<unknown>;
    return method.apply(engine.jobs, message.args);
  };

  const settle = <T>(pending: Map<number, Pending<T>>, id: number, error: Error | undefined, value: T) => {
    const waiting = pending.get(id);
    if (!waiting) return;
    pending.delete(id);
    if (error) waiting.reject(error);
    else waiting.resolve(value);
  };

  port.on('message', (message: ToEngineThread) => {
    switch (message.kind) {
      case 'attach':
        answerSynchronously(engine, message.port, message.wake);
        return;
      case 'call':
        withCorrelationId(message.correlationId, () =>
          withCarriedTraceparent(message.traceparent, () => call(message)),
        ).then(
          (value) => send({ kind: 'reply', id: message.id, value }),
          (error: unknown) => send({ kind: 'reply', id: message.id, error: encodeError(error) }),
        );
        return;
      case 'abort':
        activations.get(message.id)?.abort();
        return;
      case 'subscribe':
        unsubscribe?.();
        unsubscribe = engine.onTransaction(deliver);
        return;
      case 'unsubscribe':
        unsubscribe?.();
        unsubscribe = null;
        return;
      case 'settled':
        settle(
          deliveries,
          message.deliveryId,
          message.error === undefined ? undefined : new Error(message.error),
          undefined,
        );
        return;
      case 'handled':
        settle(
          handlerCalls,
          message.callId,
          message.error ? decodeError(message.error) : undefined,
          message.output ?? undefined,
        );
        return;
      default: {
        const unknown: never = message;
        throw new Error(`unknown message ${JSON.stringify(unknown)}`);
      }
    }
  });
  send({ kind: 'ready' });
}

/** Answers `incidents()` on the synchronous channel: the answer first, then the count the main thread waits on. */
function answerSynchronously(engine: EmbeddedProcessEngine, port: MessagePort, wake: Int32Array): void {
  port.on('message', ({ seq }: SyncRequest) => {
    let reply: SyncReply;
    try {
      reply = { seq, incidents: engine.jobs.incidents() };
    } catch (error) {
      reply = { seq, error: encodeError(error) };
    }
    port.postMessage(reply);
    Atomics.add(wake, 0, 1);
    Atomics.notify(wake, 0);
  });
}

if (!isMainThread && parentPort) {
  void serve(workerData as EngineThreadStart, parentPort);
}
