import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EngineTransaction } from '../engine.port';
import { EmbeddedEngineStore, type BufferedMessage } from './embedded-engine.store';
import { runScriptProcess } from '@eddy/testing';

const tx = (id: string): EngineTransaction => ({ id, processInstanceId: 'i', events: [], variables: {} });
const meta = (n: number) => JSON.stringify({ n });
const message = (id: string): BufferedMessage => ({
  id,
  name: 'paid',
  correlationKey: 'INV-1',
  variables: {},
  messageId: null,
  expiresAt: Date.now() + 60_000,
});

describe('EmbeddedEngineStore on a file (writer thread)', () => {
  let dataDir: string;
  let store: EmbeddedEngineStore;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'eddy-engine-store-'));
    store = new EmbeddedEngineStore(dataDir);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('commits steps of one turn and those made while a batch is written, in order, and keeps them', async () => {
    const first = [1, 2, 3].map((n) =>
      store.commitStep(`i${n}`, { meta: meta(n), engineState: `state-${n}` }, tx(`t${n}`)),
    );
    // Made while the first batch is on its way to the writer thread: the next batch.
    await new Promise((resolve) => setImmediate(resolve));
    const second = store.commitStep('i1', { meta: meta(10), engineState: undefined }, tx('t4'));
    const entries = await Promise.all([...first, second]);

    expect(entries.map((e) => e?.tx.id)).toEqual(['t1', 't2', 't3', 't4']);
    const seqs = entries.map((e) => e!.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    // What the steps wrote is readable at once on the store's own connection.
    expect(store.loadEngineState('i1')).toBe('state-1');

    await store.close();
    store = new EmbeddedEngineStore(dataDir);
    expect(store.loadOutbox().map((e) => [e.seq, e.tx.id])).toEqual(seqs.map((s, i) => [s, `t${i + 1}`]));
    expect(Object.fromEntries(store.loadInstanceMetas().map((r) => [r.id, r.meta]))).toEqual({
      i1: meta(10),
      i2: meta(2),
      i3: meta(3),
    });
    expect(store.loadEngineState('i1')).toBe('state-1');
  });

  it('removes acknowledged transactions and deleted instances with a later batch', async () => {
    const entry = await store.commitStep('i1', { meta: meta(1), engineState: 's' }, tx('t1'));
    store.acknowledge(entry!.seq);
    await store.commitStep('i1', 'delete', null);
    await store.close();
    store = new EmbeddedEngineStore(dataDir);
    expect(store.loadOutbox()).toEqual([]);
    expect(store.loadInstanceMetas()).toEqual([]);
  });

  it('keeps the process alive until it has closed, with nothing else left to wait for', () => {
    // A process of its own, so that only the store can keep it running.
    const script = [
      "const { EmbeddedEngineStore } = require('./embedded-engine.store.ts');",
      `const store = new EmbeddedEngineStore(${JSON.stringify(join(dataDir, 'alone'))});`,
      "store.commitStep('i1', { meta: '{}', engineState: 's' }, null)",
      '  .then(() => store.close())',
      "  .then(() => console.log('closed'));",
    ].join('\n');
    const child = runScriptProcess(script, __dirname);
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('closed');
  });

  it('lets the process end when it is neither written to nor closed (an engine whose start failed)', () => {
    const script = [
      "const { EmbeddedEngineStore } = require('./embedded-engine.store.ts');",
      `new EmbeddedEngineStore(${JSON.stringify(join(dataDir, 'abandoned'))});`,
      "console.log('opened');",
    ].join('\n');
    // The bound only ends a process the writer thread would keep alive for good.
    const child = runScriptProcess(script, __dirname, process.env, 40_000);
    expect(child.signal).toBeNull();
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('opened');
  });

  it('fails the steps of a batch the file refuses, and commits the next batch', async () => {
    await store.storeMessage(message('m1'), null);
    // The same message id again breaks the table's key: the whole batch is refused.
    const refusedStep = store.commitStep('i1', { meta: meta(1), engineState: 's' }, tx('t1'));
    const refusedMessage = store.storeMessage(message('m1'), null);
    await expect(refusedStep).rejects.toThrow(/UNIQUE/);
    await expect(refusedMessage).rejects.toThrow(/UNIQUE/);
    expect(store.loadEngineState('i1')).toBeUndefined();

    const entry = await store.commitStep('i2', { meta: meta(2), engineState: 's2' }, tx('t2'));
    expect(entry?.tx.id).toBe('t2');
    expect(store.loadEngineState('i2')).toBe('s2');
  });
});
