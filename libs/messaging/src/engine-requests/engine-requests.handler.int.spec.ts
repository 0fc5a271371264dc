import { EngineError } from '@eddy/collector/engine/engine.errors';
import type { EngineRequests } from '@eddy/collector/engine/engine.port';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { startTracing, stopTracing, traceparentOf } from '@eddy/observability';
import {
  EngineClosingError,
  EngineRequestsHandler,
  type ReceivedEngineRequest,
} from './engine-requests.handler';
import { HandledRequestsStore } from './handled-requests.store';

const silentLog = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** An engine that counts its starts and fails with `failure` when one is set. */
function countingEngine() {
  const calls: string[] = [];
  let failure: Error | null = null;
  const engine: EngineRequests = {
    startProcessInstance: async (request) => {
      calls.push(`start ${request.definitionKey} for ${request.requestId}`);
      if (failure) throw failure;
      return { instanceId: `instance-${calls.length}`, definitionId: `${request.definitionKey}:1` };
    },
    correlateMessage: async (request) => {
      calls.push(`message ${request.name}`);
      return { instanceIds: ['instance-1'] };
    },
    broadcastSignal: async (request) => {
      calls.push(`signal ${request.signalName}`);
      return { instanceIds: ['instance-2'] };
    },
  };
  return { engine, calls, fail: (error: Error) => (failure = error) };
}

function recordingPublisher() {
  const sent: { topic: string; key: string; value: unknown; headers?: unknown }[] = [];
  return {
    sent,
    send: async (record: {
      topic: string;
      messages: { key: string; value: string; headers?: unknown }[];
    }) => {
      for (const m of record.messages)
        sent.push({ topic: record.topic, key: m.key, value: JSON.parse(m.value), headers: m.headers });
    },
  };
}

const request = (
  value: unknown,
  requestId = 'r-1',
  deadline = Date.now() + 60_000,
  headers: Record<string, string> = {},
): ReceivedEngineRequest => ({
  topic: 'engine-requests',
  partition: 0,
  offset: '3',
  value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
  headers: {
    'eddy-request-id': requestId,
    'eddy-reply-to': 'api-1',
    'eddy-reply-deadline': String(deadline),
    ...headers,
  },
});
const start = { kind: 'startProcessInstance', request: { definitionKey: 'handover', startUserId: 'carl' } };

describe('EngineRequestsHandler', () => {
  let dir: string;
  let store: HandledRequestsStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'eddy-engine-requests-'));
    store = HandledRequestsStore.inFolder(dir);
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts a process and answers the waiting api instance with its id on the replies topic', async () => {
    const { engine, calls } = countingEngine();
    const publisher = recordingPublisher();
    await new EngineRequestsHandler(engine, publisher, store, 'replies', silentLog).handle(request(start));
    // The request id goes to the engine, which starts at most once per id even if the answer is never kept.
    expect(calls).toEqual(['start handover for r-1']);
    expect(publisher.sent).toEqual([
      {
        topic: 'replies',
        key: 'api-1',
        value: { ok: true, result: { instanceId: 'instance-1', definitionId: 'handover:1' } },
        headers: { 'eddy-request-id': 'r-1' },
      },
    ]);
  });

  it('broadcasts a signal and answers with the instances it reached', async () => {
    const { engine, calls } = countingEngine();
    const publisher = recordingPublisher();
    const signal = {
      kind: 'broadcastSignal',
      request: { signalName: 'stock-arrived', variables: { sku: 'A' } },
    };
    await new EngineRequestsHandler(engine, publisher, store, 'replies', silentLog).handle(request(signal));
    expect(calls).toEqual(['signal stock-arrived']);
    expect(publisher.sent).toMatchObject([{ value: { ok: true, result: { instanceIds: ['instance-2'] } } }]);
    // A signal without a name is refused, naming the field.
    await new EngineRequestsHandler(engine, publisher, store, 'replies', silentLog).handle(
      request({ kind: 'broadcastSignal', request: {} }, 'r-2'),
    );
    expect(publisher.sent[1]).toMatchObject({
      value: {
        ok: false,
        error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('signalName') },
      },
    });
  });

  it('answers a request delivered again with the kept answer, also after a restart, and starts nothing more', async () => {
    const { engine, calls } = countingEngine();
    const publisher = recordingPublisher();
    await new EngineRequestsHandler(engine, publisher, store, 'replies', silentLog).handle(request(start));
    store.close();
    store = HandledRequestsStore.inFolder(dir);
    await new EngineRequestsHandler(engine, publisher, store, 'replies', silentLog).handle(request(start));
    expect(calls).toEqual(['start handover for r-1']);
    expect(publisher.sent.map((s) => s.value)).toEqual([
      { ok: true, result: { instanceId: 'instance-1', definitionId: 'handover:1' } },
      { ok: true, result: { instanceId: 'instance-1', definitionId: 'handover:1' } },
    ]);
  });

  it("answers the engine's error with its code, a request after its deadline REQUEST_EXPIRED, and bad input INVALID_ARGUMENT", async () => {
    const { engine, calls, fail } = countingEngine();
    const publisher = recordingPublisher();
    const handler = new EngineRequestsHandler(engine, publisher, store, 'replies', silentLog);
    await handler.handle(request(start, 'late', Date.now() - 1));
    await handler.handle(request({ kind: 'startProcessInstance', request: {} }, 'bad'));
    await handler.handle(request('not json', 'garbled'));
    fail(new EngineError('UNKNOWN_PROCESS_DEFINITION', 'definitionKey: no process handover deployed'));
    await handler.handle(request(start, 'unknown'));
    expect(calls).toEqual(['start handover for unknown']);
    expect(publisher.sent.map((s) => [s.headers, s.value])).toEqual([
      [
        { 'eddy-request-id': 'late' },
        { ok: false, error: expect.objectContaining({ code: 'REQUEST_EXPIRED' }) },
      ],
      [
        { 'eddy-request-id': 'bad' },
        {
          ok: false,
          error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^request\.definitionKey: /) },
        },
      ],
      [
        { 'eddy-request-id': 'garbled' },
        { ok: false, error: expect.objectContaining({ code: 'INVALID_ARGUMENT' }) },
      ],
      [
        { 'eddy-request-id': 'unknown' },
        {
          ok: false,
          error: {
            code: 'UNKNOWN_PROCESS_DEFINITION',
            message: 'definitionKey: no process handover deployed',
          },
        },
      ],
    ]);
  });

  it('leaves a request for the next delivery while the engine closes: no answer, nothing kept', async () => {
    const { engine, fail } = countingEngine();
    const publisher = recordingPublisher();
    fail(new EngineError('CLOSED', 'the engine has been closed'));
    const handler = new EngineRequestsHandler(engine, publisher, store, 'replies', silentLog);
    await expect(handler.handle(request(start))).rejects.toThrow(EngineClosingError);
    expect(publisher.sent).toEqual([]);
    expect(store.answered('r-1')).toBeNull();
  });

  it("calls the engine in a span that continues the requester's traceparent, and a malformed one starts a new trace", async () => {
    const exporter = new InMemorySpanExporter();
    startTracing({ serviceName: 'eddy-test' }, exporter);
    try {
      const seen: (string | undefined)[] = [];
      const { engine } = countingEngine();
      const traced: EngineRequests = {
        ...engine,
        correlateMessage: async (r) => (seen.push(traceparentOf()), engine.correlateMessage(r)),
      };
      const publisher = recordingPublisher();
      const handler = new EngineRequestsHandler(traced, publisher, store, 'replies', silentLog);
      const message = { kind: 'correlateMessage', request: { name: 'paid', correlationKey: 'o-1' } };
      const requester = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
      await handler.handle(request(message, 'm-1', undefined, { traceparent: requester }));
      await handler.handle(request(message, 'm-2', undefined, { traceparent: 'not-w3c' }));
      const [receive, fresh] = exporter.getFinishedSpans();
      expect(receive.name).toBe('engine request receive');
      expect(receive.spanContext().traceId).toBe('a'.repeat(32));
      expect(receive.parentSpanContext?.spanId).toBe('b'.repeat(16));
      expect(receive.attributes['messaging.destination.name']).toBe('engine-requests');
      expect(seen[0]).toBe(`00-${'a'.repeat(32)}-${receive.spanContext().spanId}-01`);
      expect(fresh.parentSpanContext).toBeUndefined();
      expect(fresh.spanContext().traceId).not.toBe('a'.repeat(32));
      expect(seen[1]).toBe(`00-${fresh.spanContext().traceId}-${fresh.spanContext().spanId}-01`);
      expect(publisher.sent.map((s) => s.value)).toEqual([
        { ok: true, result: { instanceIds: ['instance-1'] } },
        { ok: true, result: { instanceIds: ['instance-1'] } },
      ]);
    } finally {
      await stopTracing();
    }
  });
});
