import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { readableBatches } from './readable-batches';

const objects = (): PassThrough => new PassThrough({ objectMode: true });

describe('readableBatches', () => {
  it('delivers what is buffered in batches of at most the given size, then waits for more', async () => {
    const stream = objects();
    for (let i = 0; i < 5; i++) stream.write(i);
    const batches = readableBatches<number>(stream, 2);
    expect((await batches.next()).value).toEqual([0, 1]);
    expect((await batches.next()).value).toEqual([2, 3]);
    expect((await batches.next()).value).toEqual([4]);
    const waiting = batches.next();
    stream.write(5);
    expect((await waiting).value).toEqual([5]);
    stream.end();
    expect((await batches.next()).done).toBe(true);
  });

  it('ends a waiting consumer when the signal aborts or the stream is destroyed', async () => {
    const controller = new AbortController();
    const aborted = readableBatches<number>(objects(), 10, controller.signal);
    const waiting = aborted.next();
    controller.abort();
    expect((await waiting).done).toBe(true);

    const stream = objects();
    const destroyed = readableBatches<number>(stream, 10);
    const waitingForClose = destroyed.next();
    stream.destroy();
    expect((await waitingForClose).done).toBe(true);
  });

  it('hands a stream error to the consumer, also one raised while the consumer was busy', async () => {
    const stream = objects();
    stream.write(1);
    const batches = readableBatches<number>(stream, 10);
    expect((await batches.next()).value).toEqual([1]);
    stream.destroy(new Error('connection lost'));
    await expect(batches.next()).rejects.toThrow('connection lost');
  });
});
