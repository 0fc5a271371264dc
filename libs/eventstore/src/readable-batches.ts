import type { Readable } from 'node:stream';

/**
 * Batches of what an object-mode stream holds: each batch takes what is buffered, up to
 * `maxBatchSize`, and the stream is read again only when the consumer asks for the next batch, so
 * the stream's own back-pressure reaches its source. Ends when the stream ends or closes, or when
 * `signal` aborts; a stream error reaches the consumer.
 */
export async function* readableBatches<T>(
  readable: Readable,
  maxBatchSize: number,
  signal?: AbortSignal,
): AsyncGenerator<T[], void, undefined> {
  let failure: { error: unknown } | undefined;
  // Never removed: a stream destroyed with an error emits it later, and no listener would make it
  // an uncaught exception, also after this generator has ended.
  readable.on('error', (error: unknown) => {
    failure ??= { error };
  });
  while (!signal?.aborted) {
    const batch: T[] = [];
    while (batch.length < maxBatchSize) {
      const item = readable.read() as T | null;
      if (item === null) break;
      batch.push(item);
    }
    if (batch.length > 0) {
      yield batch;
      continue;
    }
    // `errored` is set at once by destroy(error); the 'error' event follows a tick later.
    if (readable.errored) throw readable.errored;
    if (failure !== undefined) throw failure.error;
    if (readable.readableEnded || readable.destroyed) return;
    await whenReadable(readable, signal);
  }
}

function whenReadable(readable: Readable, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const events = ['readable', 'end', 'close', 'error'] as const;
    const done = (): void => {
      for (const event of events) readable.off(event, done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    for (const event of events) readable.on(event, done);
    signal?.addEventListener('abort', done, { once: true });
  });
}
