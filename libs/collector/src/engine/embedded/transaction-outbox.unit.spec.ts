import { describe, expect, it } from '@jest/globals';
import { type Logger } from '@nestjs/common';
import { type EngineTransaction } from '../engine.port';
import { type EmbeddedEngineStore, type OutboxEntry } from './embedded-engine.store';
import { TransactionOutbox } from './transaction-outbox';

/** A handler whose every call waits until the test accepts or rejects it. */
class HeldHandler {
  readonly calls: { tx: EngineTransaction; accept(): void; reject(error: Error): void }[] = [];
  private waiters: { count: number; resolve(): void }[] = [];

  readonly handle = (tx: EngineTransaction): Promise<void> =>
    new Promise<void>((accept, reject) => {
      this.calls.push({ tx, accept, reject });
      this.waiters = this.waiters.filter((w) => (this.calls.length >= w.count ? (w.resolve(), false) : true));
    });

  /** Resolves once the handler has been called `count` times in all. */
  called(count: number): Promise<void> {
    if (this.calls.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  ids(): string[] {
    return this.calls.map((c) => c.tx.id);
  }
}

function entry(seq: number, instance: string, step: number): OutboxEntry {
  return { seq, tx: { id: `${instance}:${step}`, processInstanceId: instance, events: [], variables: {} } };
}

/** An outbox with a {@link HeldHandler} registered, unless `attach` is false. */
function outbox(maxInFlight?: number, { stored = [] as OutboxEntry[], attach = true } = {}) {
  const acknowledged: number[] = [];
  const warnings: string[] = [];
  const store = {
    loadOutbox: () => stored,
    acknowledge: (seq: number) => void acknowledged.push(seq),
  } as unknown as EmbeddedEngineStore;
  const logger = { warn: (line: string) => void warnings.push(line) } as unknown as Logger;
  const box = new TransactionOutbox(store, { initialDelayMs: 1, maxDelayMs: 4 }, logger, maxInFlight);
  const handler = new HeldHandler();
  if (attach) box.onTransaction(handler.handle);
  return { box, handler, acknowledged, warnings };
}

/** Lets the promise callbacks of settled deliveries run. */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('TransactionOutbox', () => {
  it('delivers the transactions of different instances side by side, those of one instance one at a time', async () => {
    const { box, handler, acknowledged } = outbox();
    box.add(entry(1, 'a', 1));
    box.add(entry(2, 'a', 2));
    box.add(entry(3, 'b', 1));
    await handler.called(2);
    expect(handler.ids()).toEqual(['a:1', 'b:1']);

    handler.calls[1].accept();
    await settled();
    expect(handler.ids()).toEqual(['a:1', 'b:1']);
    handler.calls[0].accept();
    await handler.called(3);
    expect(handler.ids()).toEqual(['a:1', 'b:1', 'a:2']);
    handler.calls[2].accept();
    await settled();
    expect(acknowledged).toEqual([3, 1, 2]);
    expect(box.size).toBe(0);
  });

  it('hands out at most its bound at once, the instances in commit order', async () => {
    const { box, handler } = outbox(2);
    for (const [seq, instance] of ['a', 'b', 'c', 'd'].entries()) box.add(entry(seq + 1, instance, 1));
    await handler.called(2);
    await settled();
    expect(handler.ids()).toEqual(['a:1', 'b:1']);
    handler.calls[1].accept();
    await handler.called(3);
    expect(handler.ids()).toEqual(['a:1', 'b:1', 'c:1']);
  });

  it('with a bound of 1 delivers every transaction in commit order, one at a time', async () => {
    const { box, handler } = outbox(1);
    box.add(entry(1, 'a', 1));
    box.add(entry(2, 'b', 1));
    box.add(entry(3, 'a', 2));
    for (let n = 1; n <= 3; n++) {
      await handler.called(n);
      await settled();
      expect(handler.calls).toHaveLength(n);
      handler.calls[n - 1].accept();
    }
    expect(handler.ids()).toEqual(['a:1', 'b:1', 'a:2']);
  });

  it('after a rejection delivers the same transaction again alone, then goes on side by side', async () => {
    const { box, handler, acknowledged, warnings } = outbox();
    box.add(entry(1, 'a', 1));
    box.add(entry(2, 'b', 1));
    await handler.called(2);
    handler.calls[0].reject(new Error('the core is down'));
    await settled();
    box.add(entry(3, 'c', 1));
    box.add(entry(4, 'a', 2));
    // While b's delivery is under way nothing else starts, the redelivery neither.
    await settled();
    expect(handler.ids()).toEqual(['a:1', 'b:1']);
    handler.calls[1].accept();

    await handler.called(3);
    await settled();
    expect(handler.ids()).toEqual(['a:1', 'b:1', 'a:1']);
    expect(handler.calls[2].tx).toEqual(handler.calls[0].tx);
    expect(acknowledged).toEqual([2]);
    expect(warnings).toEqual([expect.stringMatching(/^ENGINE-040 transaction a:1: .*the core is down/)]);

    handler.calls[2].accept();
    await handler.called(5);
    expect(handler.ids().slice(3).sort()).toEqual(['a:2', 'c:1']);
  });

  it('keeps redelivering a transaction the handler keeps rejecting, and nothing of its instance behind it', async () => {
    const { box, handler, acknowledged, warnings } = outbox();
    box.add(entry(1, 'a', 1));
    box.add(entry(2, 'a', 2));
    for (let n = 1; n <= 3; n++) {
      await handler.called(n);
      handler.calls[n - 1].reject(new Error(`attempt ${n}`));
    }
    await handler.called(4);
    handler.calls[3].accept();
    await handler.called(5);
    expect(handler.ids()).toEqual(['a:1', 'a:1', 'a:1', 'a:1', 'a:2']);
    expect(acknowledged).toEqual([1]);
    expect(warnings).toHaveLength(3);
  });

  it('delivers what was stored before, once a handler is registered', async () => {
    const { box, handler } = outbox(undefined, {
      stored: [entry(7, 'a', 1), entry(8, 'a', 2)],
      attach: false,
    });
    box.load();
    expect(box.size).toBe(2);
    box.onTransaction(handler.handle);
    await handler.called(1);
    handler.calls[0].accept();
    await handler.called(2);
    expect(handler.ids()).toEqual(['a:1', 'a:2']);
  });

  it('waits at close for the deliveries under way and acknowledges none of them', async () => {
    const { box, handler, acknowledged } = outbox();
    box.add(entry(1, 'a', 1));
    box.add(entry(2, 'b', 1));
    await handler.called(2);
    let closed = false;
    const closing = box.close().then(() => (closed = true));
    await settled();
    expect(closed).toBe(false);
    handler.calls[0].accept();
    handler.calls[1].reject(new Error('stopping'));
    await closing;
    expect(acknowledged).toEqual([]);
  });

  it('turns a handler that throws at once into a rejection', async () => {
    const { box, warnings } = outbox(undefined, { attach: false });
    let calls = 0;
    let accepted: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (accepted = resolve));
    box.onTransaction((() => {
      if (++calls === 1) throw new Error('not a promise');
      accepted();
      return Promise.resolve();
    }) as (tx: EngineTransaction) => Promise<void>);
    box.add(entry(1, 'a', 1));
    await done;
    expect(calls).toBe(2);
    expect(warnings).toEqual([expect.stringContaining('not a promise')]);
  });

  it('refuses a bound that is not a positive integer, naming the option', () => {
    expect(() => outbox(0)).toThrow(/maxDeliveriesInFlight/);
    expect(() => outbox(1.5)).toThrow(/maxDeliveriesInFlight/);
  });
});
