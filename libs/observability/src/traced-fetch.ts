import { traceparentOf } from './tracing';

/**
 * A `fetch` that adds the W3C `traceparent` of the active span to each request (tracing on, inside a
 * span), so that the server, if it traces, continues the caller's trace; otherwise `base` as it is. For
 * HTTP clients that take a `fetch` of their own (the Camunda 8 SDK).
 */
export function tracedFetch(base: typeof fetch = globalThis.fetch): typeof fetch {
  return (input, init) => {
    const traceparent = traceparentOf();
    if (traceparent === undefined) return base(input, init);
    if (input instanceof Request && init === undefined) {
      const headers = new Headers(input.headers);
      headers.set('traceparent', traceparent);
      return base(new Request(input, { headers }));
    }
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    headers.set('traceparent', traceparent);
    return base(input, { ...init, headers });
  };
}
