import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  COMMAND_DISPATCHER,
  type CommandDispatcher,
  type CommandResult,
  type CommandWithMetadata,
} from '@eddy/contracts';
import { counter, histogram, withSpan } from '@eddy/observability';
import {
  PROCESS_ENGINE,
  type EngineTransaction,
  type ProcessEngine,
  type Unsubscribe,
} from '../engine/engine.port';
import { COLLECTOR_OPTIONS, type CollectorOptions } from './collector.options';
import { collectTransaction } from './transaction-to-commands';

/**
 * Rejections that a redelivered (or otherwise repeated) transaction meets when the core already holds what
 * the command reports. The command-id check of the core answers exact repeats as duplicates; these cover the
 * rest, e.g. a task that a later transaction already closed.
 */
const ALREADY_DONE = new Set([
  'TASK_EXISTS',
  'TASK_CLOSED',
  'PROCESS_INSTANCE_EXISTS',
  'PROCESS_INSTANCE_CLOSED',
]);

/** Rejections that may pass: the engine delivers the transaction again. */
const TRANSIENT = new Set(['CONCURRENCY_CONFLICT']);

const transactions = counter('eddy_collector_transactions_total', 'Engine transactions handled, by outcome', [
  'outcome',
]);
const collected = counter(
  'eddy_collector_commands_total',
  'Commands sent by the collector, by type and status',
  ['type', 'status'],
);
const skipped = counter(
  'eddy_collector_skipped_total',
  'Parts of engine transactions that did not reach the core, by code',
  ['code'],
);
const transactionSeconds = histogram(
  'eddy_collector_transaction_seconds',
  'From receiving an engine transaction to the last of its commands handled by the core',
);

/**
 * Turns the engine's transactions into commands and sends them to the core before the transaction is
 * acknowledged: when the core fails (the store is down), the handler rejects and the engine delivers the same
 * transaction again; its commands carry the same ids, so what was already stored is answered as a duplicate.
 *
 * Log codes: `COLLECTOR-0xx`.
 */
@Injectable()
export class TransactionCollector {
  private readonly logger = new Logger('Collector');
  private unsubscribe: Unsubscribe | null = null;

  constructor(
    @Inject(PROCESS_ENGINE) private readonly engine: ProcessEngine,
    @Inject(COMMAND_DISPATCHER) private readonly dispatcher: CommandDispatcher,
    @Inject(COLLECTOR_OPTIONS) private readonly options: CollectorOptions,
  ) {}

  /** Registers with the engine; transactions stored before now are delivered from here on. */
  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.engine.onTransaction((tx) => this.handle(tx));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /**
   * Handles one transaction in the span `collect transaction` (continuing the trace of what made the step,
   * `tx.traceparent`) and in the correlation scope of the transaction id, the correlation id of the commands
   * it produces; resolves once the core answered every command.
   */
  handle(tx: EngineTransaction): Promise<void> {
    return withSpan(
      'collect transaction',
      {
        parent: tx.traceparent,
        correlationId: tx.id,
        attributes: { 'eddy.process_instance_id': tx.processInstanceId },
      },
      () => this.collect(tx),
    );
  }

  private async collect(tx: EngineTransaction): Promise<void> {
    const stop = transactionSeconds.startTimer();
    try {
      const { commands, problems } = collectTransaction(tx, this.options);
      for (const problem of problems) {
        const code = problem.code === 'INVALID_COMMAND' ? 'COLLECTOR-002' : 'COLLECTOR-003';
        this.logger.error(`${code} ${problem.subject} (transaction ${tx.id}): ${problem.message}`);
        skipped.inc({ code: problem.code });
      }
      // Commands of one stream keep their order; different streams go to the core side by side.
      const byStream = new Map<string, CommandWithMetadata[]>();
      for (const command of commands) {
        const key = streamKey(command);
        const list = byStream.get(key);
        if (list) list.push(command);
        else byStream.set(key, [command]);
      }
      await Promise.all(
        [...byStream.values()].map(async (list) => {
          for (const command of list) this.check(tx, command, await this.dispatcher.dispatch(command));
        }),
      );
      transactions.inc({ outcome: 'acknowledged' });
    } catch (error) {
      transactions.inc({ outcome: 'redelivered' });
      this.logger.warn(
        `COLLECTOR-001 transaction ${tx.id} of instance ${tx.processInstanceId}: not acknowledged, the engine delivers it again: ${(error as Error).message}`,
      );
      throw error;
    } finally {
      stop();
    }
  }

  private check(tx: EngineTransaction, command: CommandWithMetadata, result: CommandResult): void {
    collected.inc({ type: command.type, status: result.status });
    if (result.status !== 'rejected') return;
    const { code, message } = result.error;
    const subject = subjectOf(command);
    if (TRANSIENT.has(code)) {
      throw new Error(`${command.type} ${command.metadata.commandId} on ${subject}: ${code}: ${message}`);
    }
    skipped.inc({ code });
    if (ALREADY_DONE.has(code)) {
      this.logger.warn(
        `COLLECTOR-010 ${subject}: ${command.type} ${command.metadata.commandId} of transaction ${tx.id} skipped, the core already has it: ${code}: ${message}`,
      );
      return;
    }
    this.logger.error(
      `COLLECTOR-011 ${subject}: ${command.type} ${command.metadata.commandId} of transaction ${tx.id} rejected by the core: ${code}: ${message}`,
    );
  }
}

function streamKey(command: CommandWithMetadata): string {
  const data = command.data as { id?: string; sourceReference?: { instanceId: string } };
  return data.sourceReference && command.type.endsWith('ProcessInstance')
    ? `instance:${data.sourceReference.instanceId}`
    : `task:${data.id}`;
}

function subjectOf(command: CommandWithMetadata): string {
  const [kind, id] = streamKey(command).split(/:(.*)/s);
  return kind === 'instance' ? `process instance ${id}` : `task ${id}`;
}
