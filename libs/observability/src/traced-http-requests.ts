import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Attributes, context, createContextKey, SpanStatusCode, trace } from '@opentelemetry/api';
import { type Span, startSpan, tracingEnabled } from './tracing';

/** Where the context of a request's work keeps its request's span, also inside the spans of that work. */
const REQUEST_SPAN = createContextKey('eddy.http_request_span');
/** The request spans that {@link nameHttpRequestSpan} named: the route does not rename them. */
const named = new WeakSet<Span>();

/** What Express adds to a request once a route matched it (`/api/messages`, `/v2/jobs/:jobKey/completion`). */
type RoutedRequest = IncomingMessage & { baseUrl?: string; route?: { path?: unknown } };

export interface TracedHttpRequestsOptions {
  /** Paths (and what lies below them) whose requests get no span: the probes' and the scraper's. */
  untracedPaths?: readonly string[];
}

/**
 * The middleware (Express, Connect) that puts every HTTP request of this server in a span of kind server,
 * with tracing on: the command API, messages, signals, jobs, the admin API and GraphQL over HTTP alike,
 * and whatever they call (the core's command, a request to another role) is a child of it. A request whose
 * `traceparent` header (with its `tracestate`) is W3C trace context continues that trace, read by
 * OpenTelemetry's W3C propagator; a malformed one, or none, starts a new trace and is no error. The span is
 * named by the method and, once a route matched, the route (`POST /api/commands`), unless the handler named
 * it after what the request carried ({@link nameHttpRequestSpan}); it ends when the answer
 * has been sent or the connection closed, with `http.response.status_code`, and is an error from 500 up.
 * Register it first, so that what the body parser refuses is in a span too (the parser keeps the context
 * of its caller for its callbacks, although the body's chunks come from the socket).
 * With tracing off: `next()` and nothing else.
 */
export function traceHttpRequests(
  options: TracedHttpRequestsOptions = {},
): (request: IncomingMessage, response: ServerResponse, next: () => void) => void {
  const untraced = options.untracedPaths ?? [];
  return (request, response, next) => {
    if (!tracingEnabled()) return next();
    const path = (request.url ?? '/').split('?', 1)[0];
    if (untraced.some((p) => path === p || path.startsWith(`${p}/`))) return next();
    const method = request.method ?? 'GET';
    const span = startSpan(method, {
      parent: request.headers,
      kind: 'server',
      attributes: { 'http.request.method': method, 'url.path': path },
    });
    if (span === undefined) return next();
    const active = trace.setSpan(context.active(), span).setValue(REQUEST_SPAN, span);
    response.once('close', () => {
      const route = routeOf(request as RoutedRequest);
      if (route !== undefined) {
        if (!named.has(span)) span.updateName(`${method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', response.statusCode);
      if (!response.writableFinished) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'the connection closed before the answer' });
      } else if (response.statusCode >= 500) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: `answered ${response.statusCode}` });
      }
      span.end();
    });
    context.with(active, next);
  };
}

/**
 * Names the span of the HTTP request whose work is running after what it carried, with `attributes` (a
 * GraphQL request's span after its operation); nothing with tracing off or outside a traced request.
 */
export function nameHttpRequestSpan(name: string, attributes: Attributes = {}): void {
  if (!tracingEnabled()) return;
  const span = context.active().getValue(REQUEST_SPAN) as Span | undefined;
  if (span === undefined) return;
  span.updateName(name);
  span.setAttributes(attributes);
  named.add(span);
}

function routeOf(request: RoutedRequest): string | undefined {
  const path = request.route?.path;
  return typeof path === 'string' ? `${request.baseUrl ?? ''}${path}` : undefined;
}
