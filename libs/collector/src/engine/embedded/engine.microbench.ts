/**
 * Micro-benchmark of the embedded engine: invoice-approval instances started up to their first user task,
 * and that task delivered to a transaction handler. Not a test; run with
 *
 *   npx tsx libs/collector/src/engine/embedded/engine.microbench.ts [instances] [concurrency] [durability] [maxLiveInstances]
 *
 * Prints starts/s (the start resolved: state and transaction stored) and delivered/s (the `task.created`
 * transaction acknowledged by the handler), plus the completion of every first task as a second step, and
 * the CPU time per operation (steadier than the rates when the machine is shared).
 */
import { Logger } from '@nestjs/common';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EngineTransaction } from '../engine.port';
import { type EngineDurability } from './embedded-engine.store';
import { EmbeddedProcessEngine } from './embedded.engine';

const instances = Number(process.argv[2] ?? 3000);
const concurrency = Number(process.argv[3] ?? 200);
const durability = (process.argv[4] ?? 'full') as EngineDurability;
const maxLiveInstances = process.argv[5] ? Number(process.argv[5]) : undefined;
const warmup = 300;

Logger.overrideLogger(['error']);

async function main(): Promise<void> {
  const xml = readFileSync(join(__dirname, '../../../../../bpmn/invoice-approval.bpmn'), 'utf8');
  const dataDir = mkdtempSync(join(tmpdir(), 'eddy-engine-bench-'));
  const engine = await EmbeddedProcessEngine.open({
    dataDir,
    durability,
    maxLiveInstances,
    serviceHandlers: { 'archive-invoice': () => ({ archived: true }) },
  });
  let tasks: string[] = [];
  let delivered = 0;
  let waitingFor = 0;
  let onDelivered: (() => void) | null = null;
  engine.onTransaction(async (tx: EngineTransaction) => {
    for (const event of tx.events) if (event.type === 'task.created') tasks.push(event.task.id);
    delivered++;
    if (delivered >= waitingFor && onDelivered) onDelivered();
  });
  await engine.deploy({ xml, resourceName: 'invoice-approval.bpmn' });

  /** Runs `count` operations, at most `concurrency` at once; resolves when all handlers saw their tx. */
  const run = async (count: number, op: (i: number) => Promise<unknown>) => {
    delivered = 0;
    waitingFor = count;
    const allDelivered = new Promise<void>((resolve) => (onDelivered = resolve));
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    let next = 0;
    const worker = async () => {
      while (next < count) await op(next++);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
    const stored = performance.now() - start;
    await allDelivered;
    const total = performance.now() - start;
    const cpu = process.cpuUsage(cpuStart);
    return {
      stored: (count * 1000) / stored,
      delivered: (count * 1000) / total,
      cpuMs: (cpu.user + cpu.system) / 1000 / count,
    };
  };

  const start = (i: number) =>
    engine.startProcessInstance({
      definitionKey: 'invoice-approval',
      businessKey: `INV-${i}`,
      variables: { invoiceNumber: `INV-${i}`, supplier: 'ACME', amount: 100 + i, submitter: 'sam' },
    });

  await run(warmup, start);
  tasks = [];
  const started = await run(instances, start);
  const toComplete = tasks;
  tasks = [];
  const completed = await run(toComplete.length, (i) =>
    engine.completeTask(toComplete[i], { approved: i % 2 === 0 }),
  );

  print(
    `embedded engine, invoice-approval, ${instances} instances, concurrency ${concurrency}, durability ${durability}, live ${maxLiveInstances ?? 'default'}`,
  );
  print(
    `  start -> first task:   ${started.stored.toFixed(0)}/s stored, ${started.delivered.toFixed(0)}/s delivered, ${started.cpuMs.toFixed(2)} ms CPU each`,
  );
  print(
    `  complete first task:   ${completed.stored.toFixed(0)}/s stored, ${completed.delivered.toFixed(0)}/s delivered, ${completed.cpuMs.toFixed(2)} ms CPU each`,
  );
  await engine.close();
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}
