import {
  type EngineEvent,
  type EngineTask,
  type EngineTransaction,
  type Variables,
} from '@eddy/collector/engine/engine.port';

type TaskCreated = Extract<EngineEvent, { type: 'task.created' }>;

/**
 * What a process engine delivered to its transaction handler, for tests: the events in order, the variables
 * each task saw last, and a way to await events as they are delivered.
 */
export class DeliveredTransactions {
  readonly events: EngineEvent[] = [];
  /** The variables each task saw, by task id, as last delivered. */
  readonly taskVariables = new Map<string, Variables>();
  private wake: () => void = () => undefined;

  /** The engine's transaction handler. */
  readonly handler = async (tx: EngineTransaction): Promise<void> => {
    this.events.push(...tx.events);
    for (const [taskId, variables] of Object.entries(tx.variables)) this.taskVariables.set(taskId, variables);
    this.wake();
  };

  clear(): void {
    this.events.length = 0;
    this.taskVariables.clear();
  }

  all<T extends EngineEvent>(match: (e: EngineEvent) => e is T): T[] {
    return this.events.filter(match);
  }

  /** Resolves once `count` delivered events match, with them. */
  async until<T extends EngineEvent>(match: (e: EngineEvent) => e is T, count = 1): Promise<T[]> {
    for (;;) {
      const found = this.all(match);
      if (found.length >= count) return found;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** The tasks created at an element so far; waits until there are `count`. */
  async tasks(elementId: string, count = 1): Promise<EngineTask[]> {
    const created = await this.until(
      (e): e is TaskCreated => e.type === 'task.created' && e.task.taskDefinitionKey === elementId,
      count,
    );
    return created.map((e) => e.task);
  }

  /** The tasks created at an element so far, without waiting. */
  created(elementId: string): EngineTask[] {
    return this.all(
      (e): e is TaskCreated => e.type === 'task.created' && e.task.taskDefinitionKey === elementId,
    ).map((e) => e.task);
  }
}
