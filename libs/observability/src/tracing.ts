import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type Attributes,
  type Context,
  type Span,
  SpanKind,
  SpanStatusCode,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  trace,
} from '@opentelemetry/api';
import { parseTraceParent, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { currentCorrelationId, withCorrelationId, withoutCorrelationId } from './correlation';

export type { Span } from '@opentelemetry/api';

/**
 * OpenTelemetry traces of Eddy (`EDDY_TRACING_OTLP_URL`). Off by default, and then every helper
 * here returns at once without touching the OpenTelemetry API: no span objects, no context lookups.
 *
 * A command's trace crosses processes in two carriers: the W3C `traceparent` that the core writes
 * into the metadata of the events it appends (the relay reads them from the global log, far from
 * the request), and the `traceparent` header of each Kafka message. Every span carries the
 * correlation id of the event metadata as `eddy.correlation_id` (the one given, else the current one of
 * `correlation.ts`), and every log line written inside {@link withSpan} carries it, tracing on or off
 * ({@link logContext}).
 */
export interface TracingSettings {
  /** The OTLP/HTTP traces endpoint (`http://collector:4318/v1/traces`); without it, no tracing. */
  otlpUrl?: string;
  serviceName: string;
}

export const CORRELATION_ATTRIBUTE = 'eddy.correlation_id';
const TRACER_NAME = 'eddy';
/** Reads and writes every carrier of this module: W3C trace context, OpenTelemetry's own parser. */
const W3C = new W3CTraceContextPropagator();

let provider: NodeTracerProvider | null = null;

/** Whether traces are being recorded in this process. */
export function tracingEnabled(): boolean {
  return provider !== null;
}

/**
 * Starts tracing when `settings.otlpUrl` is set (or `exporter` is given: tests pass an in-memory
 * one, whose spans are exported one by one). Returns whether tracing is on.
 */
export function startTracing(settings: TracingSettings, exporter?: SpanExporter): boolean {
  if (provider) throw new Error('tracing is started already');
  if (!settings.otlpUrl && !exporter) return false;
  const processor: SpanProcessor = exporter
    ? new SimpleSpanProcessor(exporter)
    : new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.otlpUrl }), {
        scheduledDelayMillis: 1000,
      });
  const started = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName }),
    spanProcessors: [processor],
  });
  // The W3C trace context propagator and the AsyncLocalStorage context manager.
  started.register();
  provider = started;
  return true;
}

/** Exports what is buffered and turns tracing off; nothing when it is off. */
export async function stopTracing(): Promise<void> {
  const started = provider;
  if (started === null) return;
  provider = null;
  await started.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
}

/**
 * The headers of a request (an HTTP request's `IncomingHttpHeaders` are), of which a span reads the W3C trace
 * context: the `traceparent` it continues and the vendors' `tracestate` it keeps.
 */
export type TraceHeaders = Readonly<Record<string, string | string[] | undefined>>;

export interface SpanOptions {
  /**
   * The W3C `traceparent` this span continues (from event metadata or a Kafka header), or the trace context
   * headers of a request. One that is not W3C trace context is ignored: the span starts a new trace (or is a
   * child of the active span).
   */
  parent?: string | TraceHeaders;
  /** The correlation id of the event metadata: on the span and on every log line inside it. */
  correlationId?: string;
  kind?: 'internal' | 'server' | 'client' | 'producer' | 'consumer';
  attributes?: Attributes;
}

const KINDS = {
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
} as const;

/**
 * Runs `work` inside a span named `name` (the active one while it runs), in the correlation scope of
 * `options.correlationId`; its failure marks the span as an error and propagates. With tracing off:
 * `work()` in the correlation scope, nothing else.
 */
export function withSpan<T>(name: string, options: SpanOptions, work: () => Promise<T>): Promise<T> {
  if (provider === null) return withCorrelationId(options.correlationId, work);
  return withCorrelationId(options.correlationId, () => spanAround(name, options, work));
}

function spanAround<T>(name: string, options: SpanOptions, work: () => Promise<T>): Promise<T> {
  const parent = parentContext(options.parent);
  const span = startSpanIn(parent, name, options);
  return context.with(trace.setSpan(parent, span), async () => {
    let result: T;
    try {
      result = await work();
    } catch (error) {
      endFailed(span, error);
      throw error;
    }
    span.end();
    return result;
  });
}

/**
 * A span that is not made active (one per event of a batch, ended by the caller once the batch is
 * acknowledged), or undefined with tracing off.
 */
export function startSpan(name: string, options: SpanOptions): Span | undefined {
  if (provider === null) return undefined;
  return startSpanIn(parentContext(options.parent), name, options);
}

/** Ends `span` as failed by `error`. */
export function endFailed(span: Span, error: unknown): void {
  span.recordException(error as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: String((error as Error)?.message ?? error) });
  span.end();
}

/** The W3C `traceparent` of `span`, or of the active span; undefined with tracing off or no span. */
export function traceparentOf(span?: Span): string | undefined {
  if (provider === null) return carried.getStore();
  const active = span ? trace.setSpan(context.active(), span) : context.active();
  if (!trace.getSpan(active)) return undefined;
  const carrier: Record<string, string> = {};
  W3C.inject(active, carrier, defaultTextMapSetter);
  return carrier.traceparent;
}

/** The `traceparent` that a traced caller handed over, where no tracer runs (see {@link withCarriedTraceparent}). */
const carried = new AsyncLocalStorage<string>();

/**
 * Runs `work` so that {@link traceparentOf} answers `traceparent` where no tracer runs: on the embedded engine's
 * thread, whose caller on the main thread made the call in a span, so that the transactions of the step carry
 * that span on. With a tracer here, or without a `traceparent`, just `work()`.
 */
export function withCarriedTraceparent<T>(traceparent: string | undefined, work: () => T): T {
  if (traceparent === undefined || provider !== null) return work();
  return carried.run(traceparent, work);
}

/**
 * Where a record written inside a traced span lets its reader continue the trace (a view change pushed
 * to a subscriber, an engine transaction handed to the collector): the W3C `traceparent` of that span
 * and the correlation id of its work.
 */
export interface TraceOrigin {
  traceparent: string;
  correlationId?: string;
}

/** The {@link TraceOrigin} of `span` (else of the active span); undefined with tracing off or no span. */
export function traceOriginOf(span?: Span, correlationId = currentCorrelationId()): TraceOrigin | undefined {
  const traceparent = traceparentOf(span);
  if (traceparent === undefined) return undefined;
  return correlationId === undefined ? { traceparent } : { traceparent, correlationId };
}

/** Whether `value` is a W3C `traceparent` (`00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`). */
export function isTraceparent(value: string): boolean {
  return parseTraceParent(value) !== null;
}

/**
 * Runs `work` outside the correlation scope and the active span: for a loop that starts lazily inside
 * one command's work (a consumer that connects on the first request) and then serves all later ones.
 */
export function runDetached<T>(work: () => T): T {
  return withoutCorrelationId(() => (provider === null ? work() : context.with(ROOT_CONTEXT, work)));
}

/**
 * What pino adds to each log line (its `mixin`): the correlation id of the work the line is written
 * in (tracing on or off), and with tracing on the trace and span ids of the active span.
 */
export function logContext(): Record<string, string> {
  const correlationId = currentCorrelationId();
  const fields: Record<string, string> = correlationId === undefined ? {} : { correlationId };
  if (provider === null) return fields;
  const span = trace.getSpan(context.active());
  if (!span) return fields;
  const { traceId, spanId } = span.spanContext();
  return { traceId, spanId, ...fields };
}

function startSpanIn(parent: Context, name: string, options: SpanOptions): Span {
  const attributes: Attributes = { ...options.attributes };
  const correlationId = options.correlationId ?? currentCorrelationId();
  if (correlationId !== undefined) attributes[CORRELATION_ATTRIBUTE] = correlationId;
  return trace
    .getTracer(TRACER_NAME)
    .startSpan(name, { kind: KINDS[options.kind ?? 'internal'], attributes }, parent);
}

function parentContext(parent: string | TraceHeaders | undefined): Context {
  if (parent === undefined) return context.active();
  const headers = typeof parent === 'string' ? { traceparent: parent } : parent;
  return W3C.extract(context.active(), headers, defaultTextMapGetter);
}
