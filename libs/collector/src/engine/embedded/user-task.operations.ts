import { EngineError } from '../engine.errors';
import {
  type ChangeableTaskAttribute,
  type EngineTask,
  type EngineTaskUpdate,
  type Variables,
} from '../engine.port';
import { toIsoInstant } from './date-time';
import { isObject, type OpenTask, type Runtime } from './instance-state';
import { type InstanceRuntimes } from './instance-runtime';
import { type UserTasks } from './user-tasks';

/** An ISO-8601 instant, null for null; anything else is refused naming the field. */
function dateOrNull(field: string, value: string | null): string | null {
  if (value === null) return null;
  const normalized = toIsoInstant(value);
  if (!normalized)
    throw new EngineError('INVALID_ARGUMENT', `${field}: an ISO-8601 date-time or null is required`);
  return normalized;
}

/** The port's actions on open user tasks: assign, dates and priority, complete; each one step of its instance. */
export class UserTaskOperations {
  constructor(
    private readonly runtimes: InstanceRuntimes,
    private readonly userTasks: UserTasks,
    private readonly assertOpen: () => void,
  ) {}

  async assign(taskId: string, assignee: string | null): Promise<void> {
    if (assignee !== null && (typeof assignee !== 'string' || assignee === '')) {
      throw new EngineError('INVALID_ARGUMENT', 'assignee: a user id or null is required');
    }
    await this.onOpenTask(taskId, (rt, open) => {
      open.task = { ...open.task, assignee };
      rt.metaChanged = true;
      this.runtimes.emit(rt, open.executionId, { type: 'task.assigned', task: open.task, assignee });
    });
  }

  setFollowUpDate(taskId: string, followUpDate: string | null): Promise<void> {
    return this.update(taskId, { followUpDate });
  }

  async update(taskId: string, update: EngineTaskUpdate): Promise<void> {
    const changes: Partial<Pick<EngineTask, 'priority' | 'dueDate' | 'followUpDate'>> = {};
    if (update.priority !== undefined) {
      if (!Number.isInteger(update.priority) || update.priority < 0 || update.priority > 100) {
        throw new EngineError('INVALID_ARGUMENT', 'priority: a whole number from 0 to 100 is required');
      }
      changes.priority = update.priority;
    }
    if (update.dueDate !== undefined) changes.dueDate = dateOrNull('dueDate', update.dueDate);
    if (update.followUpDate !== undefined)
      changes.followUpDate = dateOrNull('followUpDate', update.followUpDate);
    const changed = Object.keys(changes) as ChangeableTaskAttribute[];
    if (changed.length === 0) return;
    await this.onOpenTask(taskId, (rt, open) => {
      open.task = { ...open.task, ...changes };
      rt.metaChanged = true;
      this.runtimes.emit(rt, open.executionId, { type: 'task.attributesChanged', task: open.task, changed });
    });
  }

  async complete(taskId: string, variables: Variables = {}): Promise<void> {
    if (!isObject(variables)) throw new EngineError('INVALID_ARGUMENT', 'variables: must be an object');
    await this.onOpenTask(taskId, async (rt, open) => {
      await this.runtimes.ensureEngine(rt);
      const api = rt.waiting.get(open.executionId);
      if (!api) throw new EngineError('UNKNOWN_TASK', `taskId: task ${taskId} is not waiting in the engine`);
      this.runtimes.setVariables(rt, variables, open.executionId);
      rt.completing = { executionId: open.executionId, variables: { ...variables } };
      rt.engineMoved = true;
      try {
        api.signal({ ...variables });
      } finally {
        rt.completing = null;
      }
      this.runtimes.taskSignalled(rt, open, { ...variables });
    });
  }

  private async onOpenTask(
    taskId: string,
    action: (rt: Runtime, open: OpenTask) => void | Promise<void>,
  ): Promise<void> {
    this.assertOpen();
    if (typeof taskId !== 'string' || taskId === '')
      throw new EngineError('INVALID_ARGUMENT', 'taskId: required');
    const instanceId = this.userTasks.instanceOf(taskId);
    const rt = instanceId ? this.runtimes.get(instanceId) : undefined;
    if (!rt) throw new EngineError('UNKNOWN_TASK', `taskId: no open task ${taskId}`);
    await this.runtimes.step(rt, async () => {
      const open = this.userTasks.find(rt, taskId);
      if (!open || rt.ended) throw new EngineError('UNKNOWN_TASK', `taskId: no open task ${taskId}`);
      await action(rt, open);
    });
  }
}
