import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BpmnResource, type EngineEvent, type EngineTask, type EngineTransaction } from '../engine.port';
import { EmbeddedProcessEngine } from './embedded.engine';

/** The transactions an engine delivered, for tests; `until` resolves when an event matching the predicate has arrived. */
export class DeliveredTransactions {
  readonly transactions: EngineTransaction[] = [];
  private waiters: (() => void)[] = [];
  handler = async (tx: EngineTransaction) => {
    this.transactions.push(tx);
    for (const wake of this.waiters.splice(0)) wake();
  };
  get events(): EngineEvent[] {
    return this.transactions.flatMap((tx) => tx.events);
  }
  async until<T extends EngineEvent>(match: (e: EngineEvent) => e is T, what: string): Promise<T> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${what} delivered`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 1_000);
      });
    }
  }
  async task(elementId: string): Promise<EngineTask> {
    const event = await this.until(
      (e): e is Extract<EngineEvent, { type: 'task.created' }> =>
        e.type === 'task.created' && e.task.taskDefinitionKey === elementId,
      `task ${elementId}`,
    );
    return event.task;
  }
  variablesOf(task: EngineTask): Record<string, unknown> {
    return this.transactions.filter((tx) => tx.variables[task.id]).at(-1)!.variables[task.id];
  }
}

/** An embedded engine on a fresh temporary folder whose deliveries a test follows. */
export class EngineOnTempFolder {
  readonly delivered = new DeliveredTransactions();
  engine!: EmbeddedProcessEngine;

  private constructor(private readonly dataDir: string) {}

  /** Opens an engine on a new folder named with `prefix` and deploys the resource. */
  static async open(prefix: string, resource: BpmnResource): Promise<EngineOnTempFolder> {
    const opened = new EngineOnTempFolder(mkdtempSync(join(tmpdir(), prefix)));
    await opened.openEngine();
    await opened.engine.deploy(resource);
    return opened;
  }

  /** Closes the engine and opens it again on the same folder, as a restart does. */
  async restart(): Promise<void> {
    await this.engine.close();
    await this.openEngine();
  }

  async close(): Promise<void> {
    await this.engine.close();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async openEngine(): Promise<void> {
    this.engine = await EmbeddedProcessEngine.open({ dataDir: this.dataDir, durability: 'normal' });
    this.engine.onTransaction(this.delivered.handler);
  }
}
