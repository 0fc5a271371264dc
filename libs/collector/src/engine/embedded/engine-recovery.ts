import { type EmbeddedEngineStore } from './embedded-engine.store';
import { type InstanceMeta, type Runtime } from './instance-state';
import { type InstanceRuntimes } from './instance-runtime';
import { type Jobs } from './jobs/jobs';
import { type MessageBuffer } from './message-buffer';
import { type MessageSubscriptions } from './message-subscriptions';
import { type Signals } from './signals';
import { type ProcessDefinitions } from './process-definitions';
import { type TransactionOutbox } from './transaction-outbox';
import { type UserTasks } from './user-tasks';

/** The parts of the embedded engine that hold stored state. */
export interface RecoveredParts {
  store: EmbeddedEngineStore;
  definitions: ProcessDefinitions;
  runtimes: InstanceRuntimes;
  userTasks: UserTasks;
  subscriptions: MessageSubscriptions;
  signals: Signals;
  jobs: Jobs;
  outbox: TransactionOutbox;
  messageBuffer: MessageBuffer;
}

/**
 * Reads what the engine stored when it opens: definitions, running instances (their open tasks and message
 * subscriptions and jobs indexed, their engines loaded on demand), undelivered transactions and buffered messages. Instances that had
 * timers or running service task handlers are loaded at once, so that their timers run again and an
 * interrupted handler is called again.
 */
export async function recoverStoredState(parts: RecoveredParts): Promise<void> {
  parts.definitions.load();
  const withTimers: Runtime[] = [];
  for (const row of parts.store.loadInstanceMetas()) {
    const meta = JSON.parse(row.meta) as InstanceMeta;
    const definition = await parts.definitions.compiledDefinition(meta.instance.processDefinitionId);
    const rt = parts.runtimes.add(definition, meta);
    parts.userTasks.restore(meta);
    parts.subscriptions.restore(meta);
    parts.signals.restore(meta);
    parts.jobs.restore(rt);
    if (meta.hasTimers) withTimers.push(rt);
  }
  parts.outbox.load();
  parts.messageBuffer.load();
  await Promise.all(withTimers.map((rt) => parts.runtimes.step(rt, () => parts.runtimes.ensureEngine(rt))));
}
