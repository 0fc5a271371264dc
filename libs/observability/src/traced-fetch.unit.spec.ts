import { afterEach, describe, expect, it } from '@jest/globals';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { tracedFetch } from './traced-fetch';
import { startTracing, stopTracing, withSpan } from './tracing';

afterEach(() => stopTracing());

/** A fetch that answers with the traceparent header of the request it was given. */
const echo: typeof fetch = async (input, init) => {
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  return new Response(headers.get('traceparent') ?? '', {
    headers: { 'x-kept': headers.get('x-kept') ?? '' },
  });
};

describe('tracedFetch', () => {
  it('adds the active span as traceparent to a Request and to a URL with init, keeping other headers', async () => {
    const exporter = new InMemorySpanExporter();
    startTracing({ serviceName: 'eddy-test' }, exporter);
    const traced = tracedFetch(echo);
    const [fromRequest, fromInit] = await withSpan('engine complete', { kind: 'client' }, () =>
      Promise.all([
        traced(new Request('http://camunda/v2/user-tasks/1/completion', { headers: { 'x-kept': 'a' } })),
        traced('http://camunda/v2/user-tasks/1/completion', { headers: { 'x-kept': 'b' } }),
      ]),
    );
    const span = exporter.getFinishedSpans()[0].spanContext();
    const expected = `00-${span.traceId}-${span.spanId}-01`;
    expect(await fromRequest.text()).toBe(expected);
    expect(fromRequest.headers.get('x-kept')).toBe('a');
    expect(await fromInit.text()).toBe(expected);
    expect(fromInit.headers.get('x-kept')).toBe('b');
  });

  it('sends requests unchanged outside a span and with tracing off', async () => {
    const exporter = new InMemorySpanExporter();
    startTracing({ serviceName: 'eddy-test' }, exporter);
    expect(await (await tracedFetch(echo)('http://camunda/v2/topology')).text()).toBe('');
    await stopTracing();
    const off = await withSpan('engine complete', {}, () => tracedFetch(echo)('http://camunda/v2/topology'));
    expect(await off.text()).toBe('');
  });
});
