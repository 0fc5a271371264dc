import {
  type Attributes,
  type Context,
  type Span,
  SpanKind,
  SpanStatusCode,
  context,
  createContextKey,
  propagation,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

export type { Span } from '@opentelemetry/api';

/**
 * OpenTelemetry traces of Eddy (`EDDY_TRACING_OTLP_URL`). Off by default, and then every helper
 * here returns at once without touching the OpenTelemetry API: no span objects, no context lookups.
 *
 * A command's trace crosses processes in two carriers: the W3C `traceparent` that the core writes
 * into the metadata of the events it appends (the relay reads them from the global log, far from
 * the request), and the `traceparent` header of each Kafka message. Every span carries the
 * correlation id of the event metadata as `eddy.correlation_id`, and so does every log line written
 * inside one ({@link logContext}).
 */
export interface TracingSettings {
  /** The OTLP/HTTP traces endpoint (`http://collector:4318/v1/traces`); without it, no tracing. */
  otlpUrl?: string;
  serviceName: string;
}

export const CORRELATION_ATTRIBUTE = 'eddy.correlation_id';
const CORRELATION_KEY = createContextKey('eddy.correlation_id');
const TRACER_NAME = 'eddy';

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

export interface SpanOptions {
  /** The W3C `traceparent` this span continues (from event metadata or a Kafka header). */
  parent?: string;
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
 * Runs `work` inside a span named `name` (the active one while it runs); its failure marks the
 * span as an error and propagates. With tracing off: `work()`, nothing else.
 */
export function withSpan<T>(name: string, options: SpanOptions, work: () => Promise<T>): Promise<T> {
  if (provider === null) return work();
  const parent = parentContext(options.parent);
  const span = startSpanIn(parent, name, options);
  const inside = trace.setSpan(withCorrelation(parent, options.correlationId), span);
  return context.with(inside, async () => {
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
  if (provider === null) return undefined;
  const active = span ? trace.setSpan(context.active(), span) : context.active();
  if (!trace.getSpan(active)) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(active, carrier);
  return carrier.traceparent;
}

/**
 * What pino adds to each log line (its `mixin`): the trace and span ids and the correlation id of
 * the span the line is written in; nothing with tracing off or outside a span.
 */
export function logContext(): Record<string, string> {
  if (provider === null) return {};
  const active = context.active();
  const span = trace.getSpan(active);
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  const correlationId = active.getValue(CORRELATION_KEY);
  return typeof correlationId === 'string' ? { traceId, spanId, correlationId } : { traceId, spanId };
}

function startSpanIn(parent: Context, name: string, options: SpanOptions): Span {
  const attributes: Attributes = { ...options.attributes };
  const correlationId = options.correlationId ?? parent.getValue(CORRELATION_KEY);
  if (typeof correlationId === 'string') attributes[CORRELATION_ATTRIBUTE] = correlationId;
  return trace
    .getTracer(TRACER_NAME)
    .startSpan(name, { kind: KINDS[options.kind ?? 'internal'], attributes }, parent);
}

function parentContext(traceparent: string | undefined): Context {
  if (traceparent === undefined) return context.active();
  return propagation.extract(context.active(), { traceparent });
}

function withCorrelation(parent: Context, correlationId: string | undefined): Context {
  return correlationId === undefined ? parent : parent.setValue(CORRELATION_KEY, correlationId);
}
