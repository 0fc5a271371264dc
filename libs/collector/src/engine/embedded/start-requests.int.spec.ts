import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  START_REQUEST_RETENTION_MS,
  type EngineTransaction,
  type StartProcessInstanceRequest,
} from '../engine.port';
import { EmbeddedProcessEngine } from './embedded.engine';
import { runScriptProcess } from '@eddy/testing';

const invoiceXml = readFileSync(join(__dirname, '../../../../../bpmn/invoice-approval.bpmn'), 'utf8');
const invoice = (requestId?: string): StartProcessInstanceRequest => ({
  definitionKey: 'invoice-approval',
  businessKey: 'INV-7',
  variables: { invoiceNumber: 'INV-7', supplier: 'ACME', amount: 90, submitter: 'sue' },
  requestId,
});

describe('EmbeddedProcessEngine: starts with a request id', () => {
  let dataDir: string;
  let engine: EmbeddedProcessEngine;
  let delivered: EngineTransaction[];
  let now: number;

  const open = async () => {
    engine = await EmbeddedProcessEngine.open({ dataDir, durability: 'normal', clock: () => new Date(now) });
    engine.onTransaction(async (tx) => {
      delivered.push(tx);
    });
  };
  const startsDelivered = () =>
    delivered.flatMap((tx) => tx.events).filter((e) => e.type === 'processInstance.started').length;
  const waitForStarts = async (count: number) => {
    for (let i = 0; i < 500 && startsDelivered() < count; i++) await new Promise((r) => setTimeout(r, 10));
    return startsDelivered();
  };

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'eddy-start-requests-'));
    delivered = [];
    now = Date.parse('2026-12-01T10:00:00Z');
    await open();
    await engine.deploy({ xml: invoiceXml, resourceName: 'invoice-approval.bpmn' });
  });

  afterEach(async () => {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers a repeated request with the instance the first one started, and starts nothing more', async () => {
    const first = await engine.startProcessInstance(invoice('req-1'));
    const again = await engine.startProcessInstance(invoice('req-1'));
    const other = await engine.startProcessInstance(invoice('req-2'));

    expect(again).toEqual(first);
    expect(other.instanceId).not.toBe(first.instanceId);
    expect(await waitForStarts(2)).toBe(2);
    const tasks = delivered.flatMap((tx) => tx.events).filter((e) => e.type === 'task.created');
    expect(tasks.map((e) => e.type === 'task.created' && e.task.processInstanceId).sort()).toEqual(
      [first.instanceId, other.instanceId].sort(),
    );
  });

  it('starts once when the same request arrives twice at the same time', async () => {
    const [a, b] = await Promise.all([
      engine.startProcessInstance(invoice('req-3')),
      engine.startProcessInstance(invoice('req-3')),
    ]);
    expect(b).toEqual(a);
    expect(await waitForStarts(1)).toBe(1);
  });

  it('starts without a request id every time, as before', async () => {
    const a = await engine.startProcessInstance(invoice());
    const b = await engine.startProcessInstance(invoice());
    expect(b.instanceId).not.toBe(a.instanceId);
    expect(await waitForStarts(2)).toBe(2);
  });

  it('remembers the start across a restart, and forgets it once its time has passed', async () => {
    const first = await engine.startProcessInstance(invoice('req-4'));
    await engine.close();
    now += START_REQUEST_RETENTION_MS - 60_000;
    await open();
    expect(await engine.startProcessInstance(invoice('req-4'))).toEqual(first);

    await engine.close();
    now += 120_000;
    await open();
    const later = await engine.startProcessInstance(invoice('req-4'));
    expect(later.instanceId).not.toBe(first.instanceId);
  });

  it('refuses a request id that is not a short non-empty string, naming it', async () => {
    for (const requestId of ['', 'x'.repeat(201), 42 as unknown as string]) {
      await expect(engine.startProcessInstance(invoice(requestId))).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/^requestId: /),
      });
    }
    expect(await waitForStarts(0)).toBe(0);
  });

  it('starts once when the process is killed right after the start, before anyone kept the answer', async () => {
    await engine.close();
    // A process of its own, killed (SIGKILL) as soon as the start has answered: nothing after it runs.
    const script = [
      "const { EmbeddedProcessEngine } = require('./embedded.engine.ts');",
      `EmbeddedProcessEngine.open({ dataDir: ${JSON.stringify(dataDir)} })`,
      `  .then((engine) => engine.startProcessInstance(${JSON.stringify(invoice('req-5'))}))`,
      '  .then((started) => {',
      '    process.stdout.write("started " + JSON.stringify(started) + "\\n", () => process.kill(process.pid, "SIGKILL"));',
      '  });',
    ].join('\n');
    const child = runScriptProcess(script, __dirname);
    expect(child.signal).toBe('SIGKILL');
    const line = child.stdout.split('\n').find((l) => l.startsWith('started '));
    expect(line).toBeDefined();
    const started = JSON.parse(line!.slice('started '.length)) as { instanceId: string };

    await open();
    // The request, delivered again, finds the instance; the instance's own start reaches the handler once.
    expect((await engine.startProcessInstance(invoice('req-5'))).instanceId).toBe(started.instanceId);
    expect(await waitForStarts(1)).toBe(1);
    expect(delivered[0].processInstanceId).toBe(started.instanceId);
  });
});
