import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from '@jest/globals';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import express from 'express';
import { nameHttpRequestSpan, traceHttpRequests } from './traced-http-requests';
import { startTracing, stopTracing, traceOriginOf, withSpan } from './tracing';

const TRACE_ID = 'a'.repeat(32);
const CALLER_SPAN = 'b'.repeat(16);
const CALLER = `00-${TRACE_ID}-${CALLER_SPAN}-01`;

let server: Server | undefined;

afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  await stopTracing();
});

/**
 * An Express app as Nest builds it: the middleware first, then the JSON body parser, then routes whose
 * handlers do their work in a span of their own and answer with the trace context they ran in.
 */
async function serve(): Promise<string> {
  const app = express();
  app.use(traceHttpRequests({ untracedPaths: ['/health'] }));
  app.use(express.json({ limit: '4mb' }));
  app.post('/api/things/:id', async (req, res) => {
    const origin = await withSpan('command Thing', {}, async () => traceOriginOf());
    res.json({ origin, length: (req.body as { text: string }).text.length });
  });
  app.get('/health/ready', (_req, res) => void res.json({ origin: traceOriginOf() ?? null }));
  app.get('/broken', (_req, res) => void res.status(503).json({}));
  app.post('/graphql', async (_req, res) => {
    await withSpan('resolve', {}, async () =>
      nameHttpRequestSpan('mutation claim', { 'graphql.operation.type': 'mutation' }),
    );
    res.json({});
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server!.once('listening', resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

/** A body of many chunks: the parser's callbacks come from the socket, long after the middleware ran. */
const TEXT = 'x'.repeat(2_000_000);

const post = (url: string, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ text: TEXT }),
  });

describe('traceHttpRequests', () => {
  it("continues a request's traceparent and tracestate through the body parser into the handler's spans", async () => {
    const exporter = new InMemorySpanExporter();
    startTracing({ serviceName: 'eddy-test' }, exporter);
    const url = await serve();
    const answer = await post(`${url}/api/things/t-1`, {
      traceparent: CALLER,
      tracestate: 'vendor=opaque',
    });
    expect(answer.status).toBe(200);
    const { origin, length } = (await answer.json()) as { origin: { traceparent: string }; length: number };
    expect(length).toBe(TEXT.length);
    const [command, request] = exporter.getFinishedSpans();
    expect(request.name).toBe('POST /api/things/:id');
    expect(request.kind).toBe(1); // server
    expect(request.spanContext().traceId).toBe(TRACE_ID);
    expect(request.parentSpanContext?.spanId).toBe(CALLER_SPAN);
    expect(request.spanContext().traceState?.serialize()).toBe('vendor=opaque');
    expect(request.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/api/things/:id',
      'url.path': '/api/things/t-1',
      'http.response.status_code': 200,
    });
    expect(request.status.code).toBe(0);
    expect(command.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(origin.traceparent).toBe(`00-${TRACE_ID}-${command.spanContext().spanId}-01`);
  });

  it('starts a new trace for a request without a traceparent or with a malformed one, and answers it as usual', async () => {
    const exporter = new InMemorySpanExporter();
    startTracing({ serviceName: 'eddy-test' }, exporter);
    const url = await serve();
    const malformed = [`00-${TRACE_ID}-${CALLER_SPAN}`, `00-${'0'.repeat(32)}-${CALLER_SPAN}-01`, 'garbage'];
    for (const traceparent of malformed)
      expect((await post(`${url}/api/things/t-2`, { traceparent })).status).toBe(200);
    expect((await post(`${url}/api/things/t-3`)).status).toBe(200);
    const requests = exporter.getFinishedSpans().filter((s) => s.name === 'POST /api/things/:id');
    expect(requests).toHaveLength(4);
    for (const request of requests) {
      expect(request.parentSpanContext).toBeUndefined();
      expect(request.spanContext().traceId).not.toBe(TRACE_ID);
    }
    expect(new Set(requests.map((r) => r.spanContext().traceId)).size).toBe(4);
  });

  it('marks an answer from 500 up as an error, and leaves the untraced paths and tracing off alone', async () => {
    const exporter = new InMemorySpanExporter();
    startTracing({ serviceName: 'eddy-test' }, exporter);
    const url = await serve();
    expect((await fetch(`${url}/broken`)).status).toBe(503);
    const ready = await fetch(`${url}/health/ready`, { headers: { traceparent: CALLER } });
    expect(await ready.json()).toEqual({ origin: null });
    const [broken] = exporter.getFinishedSpans();
    expect(exporter.getFinishedSpans()).toHaveLength(1);
    expect(broken.name).toBe('GET /broken');
    expect(broken.status).toEqual({ code: 2, message: 'answered 503' });

    await stopTracing();
    const off = await post(`${url}/api/things/t-4`, { traceparent: CALLER });
    expect(await off.json()).toEqual({ length: TEXT.length });
  });

  it('lets the handler name the request span after what the request carried, also from inside its own spans', async () => {
    const exporter = new InMemorySpanExporter();
    startTracing({ serviceName: 'eddy-test' }, exporter);
    const url = await serve();
    expect((await post(`${url}/graphql`)).status).toBe(200);
    const [resolve, request] = exporter.getFinishedSpans();
    expect(resolve.name).toBe('resolve');
    expect(request.name).toBe('mutation claim');
    expect(request.attributes).toMatchObject({
      'graphql.operation.type': 'mutation',
      'http.route': '/graphql',
    });
    nameHttpRequestSpan('outside any request');
    expect(exporter.getFinishedSpans()).toHaveLength(2);
  });
});
