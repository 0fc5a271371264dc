import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The correlation id of the command or event whose work is running (the `correlationId` of the event
 * metadata), kept for the asynchronous continuations of that work, with tracing on or off: every log line
 * written inside carries it ({@link logContext} in `tracing.ts`, pino's mixin), and so does every span.
 */
const scope = new AsyncLocalStorage<string>();

/** Runs `work` with `correlationId` as the current correlation id; without one, `work()` as it is. */
export function withCorrelationId<T>(correlationId: string | undefined, work: () => T): T {
  if (correlationId === undefined || scope.getStore() === correlationId) return work();
  return scope.run(correlationId, work);
}

/**
 * Runs `work` outside any correlation scope: for a loop that starts lazily inside one command's work
 * (a consumer connecting on the first request) and then serves every later one.
 */
export function withoutCorrelationId<T>(work: () => T): T {
  return scope.getStore() === undefined ? work() : scope.exit(work);
}

/** The correlation id of the work running now, if any. */
export function currentCorrelationId(): string | undefined {
  return scope.getStore();
}
