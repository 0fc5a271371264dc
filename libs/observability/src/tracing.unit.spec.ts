import { afterEach, describe, expect, it } from '@jest/globals';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  CORRELATION_ATTRIBUTE,
  logContext,
  startSpan,
  startTracing,
  stopTracing,
  traceparentOf,
  tracingEnabled,
  withSpan,
} from './tracing';

afterEach(() => stopTracing());

describe('tracing', () => {
  it('is off without an OTLP endpoint: work runs, no trace context, nothing on log lines', async () => {
    expect(startTracing({ serviceName: 'eddy-test' })).toBe(false);
    expect(tracingEnabled()).toBe(false);
    const seen = await withSpan('command', { correlationId: 'corr-1' }, async () => ({
      traceparent: traceparentOf(),
      log: logContext(),
    }));
    expect(seen).toEqual({ traceparent: undefined, log: {} });
    expect(
      startSpan('relay publish', { parent: '00-' + '1'.repeat(32) + '-' + '2'.repeat(16) + '-01' }),
    ).toBe(undefined);
  });

  it('puts the correlation id on the span, on its children and on the log lines written inside', async () => {
    const exporter = new InMemorySpanExporter();
    startTracing({ serviceName: 'eddy-test' }, exporter);
    const log = await withSpan('command', { correlationId: 'corr-1' }, () =>
      withSpan('append', {}, async () => logContext()),
    );
    const [append, command] = exporter.getFinishedSpans();
    expect(command.name).toBe('command');
    expect(append.parentSpanContext?.spanId).toBe(command.spanContext().spanId);
    expect(command.attributes[CORRELATION_ATTRIBUTE]).toBe('corr-1');
    expect(append.attributes[CORRELATION_ATTRIBUTE]).toBe('corr-1');
    expect(log).toEqual({
      traceId: command.spanContext().traceId,
      spanId: append.spanContext().spanId,
      correlationId: 'corr-1',
    });
    expect(command.resource.attributes['service.name']).toBe('eddy-test');
  });

  it('continues a trace from a W3C traceparent, and gives the traceparent of a span', async () => {
    const exporter = new InMemorySpanExporter();
    startTracing({ serviceName: 'eddy-test' }, exporter);
    const traceId = 'a'.repeat(32);
    const parent = `00-${traceId}-${'b'.repeat(16)}-01`;
    const span = startSpan('relay publish', { parent, correlationId: 'corr-2', kind: 'producer' })!;
    const own = traceparentOf(span);
    span.end();
    const [finished] = exporter.getFinishedSpans();
    expect(finished.spanContext().traceId).toBe(traceId);
    expect(finished.parentSpanContext?.spanId).toBe('b'.repeat(16));
    expect(own).toBe(`00-${traceId}-${finished.spanContext().spanId}-01`);
    expect(traceparentOf()).toBeUndefined();
  });

  it('marks a failed span as an error and lets the failure through', async () => {
    const exporter = new InMemorySpanExporter();
    startTracing({ serviceName: 'eddy-test' }, exporter);
    await expect(
      withSpan('command', {}, async () => {
        throw new Error('store unreachable');
      }),
    ).rejects.toThrow('store unreachable');
    const [failed] = exporter.getFinishedSpans();
    expect(failed.status).toEqual({ code: 2, message: 'store unreachable' });
  });
});
