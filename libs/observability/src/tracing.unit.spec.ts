import { afterEach, describe, expect, it } from '@jest/globals';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import {
  CORRELATION_ATTRIBUTE,
  isTraceparent,
  logContext,
  runDetached,
  startSpan,
  traceOriginOf,
  startTracing,
  stopTracing,
  traceparentOf,
  tracingEnabled,
  withCarriedTraceparent,
  withSpan,
} from './tracing';

afterEach(() => stopTracing());

describe('tracing', () => {
  it('is off without an OTLP endpoint: work runs, no trace context, only the correlation id on log lines', async () => {
    expect(startTracing({ serviceName: 'eddy-test' })).toBe(false);
    expect(tracingEnabled()).toBe(false);
    const seen = await withSpan('command', { correlationId: 'corr-1' }, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return { traceparent: traceparentOf(), origin: traceOriginOf(), log: logContext() };
    });
    expect(seen).toEqual({ traceparent: undefined, origin: undefined, log: { correlationId: 'corr-1' } });
    expect(logContext()).toEqual({});
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

  it('answers a carried traceparent where no tracer runs, in the asynchronous continuations of the work', async () => {
    const carried = `00-${'c'.repeat(32)}-${'d'.repeat(16)}-01`;
    const seen = await withCarriedTraceparent(carried, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return traceparentOf();
    });
    expect(seen).toBe(carried);
    expect(traceparentOf()).toBeUndefined();

    // A tracer of its own wins: its span, not the carried one.
    startTracing({ serviceName: 'eddy-test' }, new InMemorySpanExporter());
    expect(withCarriedTraceparent(carried, () => traceparentOf())).toBeUndefined();
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

  it('keeps the correlation id of the outer work in nested spans, and none in detached work', async () => {
    const exporter = new InMemorySpanExporter();
    startTracing({ serviceName: 'eddy-test' }, exporter);
    const seen = await withSpan('collect transaction', { correlationId: 'tx-1' }, async () => {
      const inner = await withSpan('command CreateTask', {}, async () => traceOriginOf());
      const detached = runDetached(() => ({ log: logContext(), origin: traceOriginOf() }));
      return { inner, detached };
    });
    const [command, collect] = exporter.getFinishedSpans();
    expect(command.attributes[CORRELATION_ATTRIBUTE]).toBe('tx-1');
    expect(command.parentSpanContext?.spanId).toBe(collect.spanContext().spanId);
    expect(seen.inner).toEqual({
      traceparent: `00-${command.spanContext().traceId}-${command.spanContext().spanId}-01`,
      correlationId: 'tx-1',
    });
    expect(seen.detached).toEqual({ log: {}, origin: undefined });
  });

  it('tells W3C trace context from anything else', () => {
    expect(isTraceparent(`00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`)).toBe(true);
    expect(isTraceparent(`00-${'0'.repeat(32)}-${'b'.repeat(16)}-01`)).toBe(false);
    expect(isTraceparent(`00-${'a'.repeat(32)}-${'0'.repeat(16)}-01`)).toBe(false);
    expect(isTraceparent(`ff-${'a'.repeat(32)}-${'b'.repeat(16)}-01`)).toBe(false);
    expect(isTraceparent(`00-${'A'.repeat(32)}-${'b'.repeat(16)}-01`)).toBe(false);
    expect(isTraceparent('not-a-trace')).toBe(false);
  });

  it("gives pino's mixin the correlation id of the work a line is written in, with tracing off", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { mixin: logContext },
      { write: (line: string) => void lines.push(JSON.parse(line)) },
    );
    await withSpan('command ClaimTask', { correlationId: 'corr-9' }, async () => {
      await Promise.resolve();
      logger.warn('CORE-001 inside');
    });
    logger.warn('outside');
    expect(lines.map((l) => [l.msg, l.correlationId])).toEqual([
      ['CORE-001 inside', 'corr-9'],
      ['outside', undefined],
    ]);
  });
});
