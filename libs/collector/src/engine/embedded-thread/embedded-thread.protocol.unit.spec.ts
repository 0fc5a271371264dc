import { EventEmitter } from 'node:events';
import { Worker, type MessagePort } from 'node:worker_threads';
import { describe, expect, it } from '@jest/globals';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { currentCorrelationId, withCorrelationId } from '@eddy/observability';
import { EngineError } from '../engine.errors';
import { type EngineTransaction } from '../engine.port';
import { EmbeddedEngineThread, type EngineThreadWorker } from './embedded-thread.engine';
import {
  decodeError,
  encodeError,
  type FromEngineThread,
  type ToEngineThread,
} from './embedded-thread.protocol';

/**
 * The main thread's side of the protocol against a stand-in for the engine's thread that records what it is
 * sent (structured-cloned, as `postMessage` does) and answers what a test makes it answer.
 */
class StandInThread extends EventEmitter implements EngineThreadWorker {
  readonly sent: ToEngineThread[] = [];
  threadId = 1;
  private readonly waiters: (() => void)[] = [];

  postMessage(message: ToEngineThread, transfer?: readonly MessagePort[]): void {
    this.sent.push(structuredClone(message, { transfer: transfer as MessagePort[] }));
    for (const wake of this.waiters.splice(0)) wake();
  }

  async terminate(): Promise<number> {
    this.threadId = -1;
    this.emit('exit', 1);
    return 1;
  }

  answer(message: FromEngineThread): void {
    this.emit('message', message);
  }

  /** The first message sent of this kind that matches, once it has been sent. */
  async received<K extends ToEngineThread['kind']>(
    kind: K,
    matches: (message: Extract<ToEngineThread, { kind: K }>) => boolean = () => true,
  ): Promise<Extract<ToEngineThread, { kind: K }>> {
    for (;;) {
      const found = this.sent.find(
        (m): m is Extract<ToEngineThread, { kind: K }> => m.kind === kind && matches(m as never),
      );
      if (found) return found;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Dies as a thread does: an error, then the exit. */
  die(error: Error, code = 1): void {
    this.threadId = -1;
    this.emit('error', error);
    this.emit('exit', code);
  }
}

const tx: EngineTransaction = { id: 'i-1:1', processInstanceId: 'i-1', events: [], variables: {} };

const opened = async (handlers = {}, incidentsTimeoutMs?: number) => {
  const thread = new StandInThread();
  const engine = new EmbeddedEngineThread(thread, handlers, incidentsTimeoutMs);
  thread.answer({ kind: 'ready' });
  await engine.ready();
  return { thread, engine };
};

describe('the engine thread protocol', () => {
  it('keeps the code, message and details of an EngineError across the boundary', () => {
    const error = new EngineError('UNSUPPORTED_ELEMENT', 'Review: cannot run', [
      { elementId: 'Review', elementType: 'bpmn:UserTask', reason: 'cannot run' },
    ]);
    const decoded = decodeError(structuredClone(encodeError(error)));
    expect(decoded).toBeInstanceOf(EngineError);
    expect(decoded).toMatchObject({ code: error.code, message: error.message, details: error.details });
    expect(decodeError(encodeError(new TypeError('bad')))).toMatchObject({
      name: 'TypeError',
      message: 'bad',
    });
    expect(decodeError(encodeError('plain'))).toMatchObject({ message: 'plain' });
  });

  it('rejects a call with the EngineError the thread answered', async () => {
    const { thread, engine } = await opened();
    const completing = engine.completeTask('t-1', { approved: true });
    const call = await thread.received('call', (m) => m.method === 'completeTask');
    expect(call.args).toEqual(['t-1', { approved: true }]);
    thread.answer({
      kind: 'reply',
      id: call.id,
      error: encodeError(new EngineError('UNKNOWN_TASK', 'taskId: no open task t-1')),
    });
    await expect(completing).rejects.toMatchObject({
      code: 'UNKNOWN_TASK',
      message: 'taskId: no open task t-1',
    });
  });

  it('hands the thread the correlation id of the work a call is made in, and logs its lines in it', async () => {
    const { thread, engine } = await opened();
    void withCorrelationId('corr-7', () => engine.assignTask('t-1', 'sue'));
    expect(await thread.received('call', (m) => m.method === 'assignTask')).toMatchObject({
      correlationId: 'corr-7',
    });
    expect((await thread.received('call', () => true)).traceparent).toBeUndefined();

    const seen: (string | undefined)[] = [];
    Logger.overrideLogger({
      log: () => void seen.push(currentCorrelationId()),
      error: () => undefined,
      warn: () => undefined,
    });
    try {
      thread.answer({
        kind: 'log',
        level: 'log',
        context: 'EmbeddedProcessEngine',
        message: 'm',
        correlationId: 'corr-8',
      });
    } finally {
      Logger.overrideLogger(new ConsoleLogger());
    }
    expect(seen).toEqual(['corr-8']);
  });

  it('refuses arguments that cannot be copied to the thread, naming the operation', async () => {
    const { engine } = await opened();
    await expect(engine.completeTask('t-1', { callback: () => undefined })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('completeTask'),
    });
  });

  it('fails the calls under way and every later one when the thread dies, and the opening one', async () => {
    const { thread, engine } = await opened();
    const listing = engine.listProcessDefinitions();
    await thread.received('call');
    thread.die(new Error('out of memory'), 134);
    await expect(listing).rejects.toMatchObject({
      code: 'CLOSED',
      message: 'the engine thread ended unexpectedly (exit code 134): out of memory',
    });
    await expect(engine.deploy({ xml: '', resourceName: 'a.bpmn' })).rejects.toMatchObject({
      code: 'CLOSED',
    });
    expect(() => engine.jobs.incidents()).toThrow(expect.objectContaining({ code: 'CLOSED' }) as never);

    const opening = new StandInThread();
    const never = new EmbeddedEngineThread(opening);
    opening.die(new Error('cannot load'));
    await expect(never.ready()).rejects.toMatchObject({
      code: 'CLOSED',
      message: expect.stringContaining('cannot load'),
    });
  });

  it('fails the calls under way when a real thread exits, instead of waiting for ever', async () => {
    const thread = new Worker('setTimeout(() => process.exit(3), 50)', { eval: true });
    const engine = new EmbeddedEngineThread(thread);
    await expect(engine.ready()).rejects.toMatchObject({
      code: 'CLOSED',
      message: expect.stringContaining('exit code 3'),
    });
  });

  it('acknowledges a delivery once the handler has accepted it, and fails it back when the handler rejects', async () => {
    const { thread, engine } = await opened();
    let reject = false;
    engine.onTransaction(async () => {
      if (reject) throw new Error('the core is down');
    });
    await thread.received('subscribe');
    thread.answer({ kind: 'deliver', deliveryId: 1, tx });
    expect(await thread.received('settled', (m) => m.deliveryId === 1)).toEqual({
      kind: 'settled',
      deliveryId: 1,
    });
    reject = true;
    thread.answer({ kind: 'deliver', deliveryId: 2, tx });
    expect(await thread.received('settled', (m) => m.deliveryId === 2)).toMatchObject({
      error: 'the core is down',
    });
  });

  it('fails back a delivery that finds no handler, so that it comes again', async () => {
    const { thread, engine } = await opened();
    const unsubscribe = engine.onTransaction(async () => undefined);
    unsubscribe();
    await thread.received('unsubscribe');
    thread.answer({ kind: 'deliver', deliveryId: 7, tx });
    expect(await thread.received('settled', (m) => m.deliveryId === 7)).toMatchObject({
      error: 'no transaction handler is registered',
    });
  });

  it('refuses a second transaction handler, as the engine in process does', async () => {
    const { engine } = await opened();
    engine.onTransaction(async () => undefined);
    expect(() => engine.onTransaction(async () => undefined)).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('handler'),
      }) as never,
    );
  });

  it('runs an in-process job handler for the thread and answers with its result or its error', async () => {
    const { thread } = await opened({
      charge: () => ({ charged: true }),
      decline: () => {
        throw new Error('card declined');
      },
      unsendable: () => ({ callback: () => undefined }),
    });
    const job = { processInstanceId: 'i-1', elementId: 'Charge', variables: {} };
    thread.answer({ kind: 'handle', callId: 1, type: 'charge', job: { ...job, type: 'charge' } });
    thread.answer({ kind: 'handle', callId: 2, type: 'decline', job: { ...job, type: 'decline' } });
    thread.answer({ kind: 'handle', callId: 3, type: 'unsendable', job: { ...job, type: 'unsendable' } });
    thread.answer({ kind: 'handle', callId: 4, type: 'unknown', job: { ...job, type: 'unknown' } });
    expect(await thread.received('handled', (m) => m.callId === 1)).toMatchObject({
      output: { charged: true },
    });
    expect(await thread.received('handled', (m) => m.callId === 2)).toMatchObject({
      error: { message: 'card declined' },
    });
    expect(await thread.received('handled', (m) => m.callId === 3)).toMatchObject({
      error: { message: expect.stringContaining('cannot be passed to the engine thread') },
    });
    expect(await thread.received('handled', (m) => m.callId === 4)).toMatchObject({
      error: { message: 'no in-process handler for job type unknown' },
    });
  });

  it('times out incidents() when the thread does not answer, naming the operation', async () => {
    const { engine } = await opened({}, 100);
    expect(() => engine.jobs.incidents()).toThrow(
      expect.objectContaining({
        code: 'ENGINE_TIMEOUT',
        message: expect.stringContaining('incidents'),
      }) as never,
    );
  });

  it('tells the thread when the caller of a long poll gives up', async () => {
    const { thread, engine } = await opened();
    const abort = new AbortController();
    const polling = engine.jobs.activate(
      { type: 'charge', worker: 'w', timeoutMs: 1_000, maxJobsToActivate: 1, requestTimeoutMs: 60_000 },
      abort.signal,
    );
    const call = await thread.received('call', (m) => m.method === 'activate');
    abort.abort();
    expect(await thread.received('abort')).toEqual({ kind: 'abort', id: call.id });
    thread.answer({ kind: 'reply', id: call.id, value: [] });
    await expect(polling).resolves.toEqual([]);
  });
});
