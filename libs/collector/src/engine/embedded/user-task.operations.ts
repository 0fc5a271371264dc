import { EngineError } from '../engine.errors';
import { type Variables } from '../engine.port';
import { toIsoInstant } from './date-time';
import { isObject, type OpenTask, type Runtime } from './instance-state';
import { type InstanceRuntimes } from './instance-runtime';
import { type UserTasks } from './user-tasks';

/** The port's actions on open user tasks: assign, follow-up date, complete; each one step of its instance. */
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

  async setFollowUpDate(taskId: string, followUpDate: string | null): Promise<void> {
    let normalized: string | null = null;
    if (followUpDate !== null) {
      normalized = toIsoInstant(followUpDate);
      if (!normalized)
        throw new EngineError('INVALID_ARGUMENT', 'followUpDate: an ISO-8601 date-time or null is required');
    }
    await this.onOpenTask(taskId, (rt, open) => {
      open.task = { ...open.task, followUpDate: normalized };
      rt.metaChanged = true;
      this.runtimes.emit(rt, open.executionId, {
        type: 'task.attributesChanged',
        task: open.task,
        changed: ['followUpDate'],
      });
    });
  }

  async complete(taskId: string, variables: Variables = {}): Promise<void> {
    if (!isObject(variables)) throw new EngineError('INVALID_ARGUMENT', 'variables: must be an object');
    await this.onOpenTask(taskId, async (rt, open) => {
      await this.runtimes.ensureEngine(rt);
      const api = rt.waiting.get(open.executionId);
      if (!api) throw new EngineError('UNKNOWN_TASK', `taskId: task ${taskId} is not waiting in the engine`);
      this.runtimes.setVariables(rt, variables);
      rt.completing = { executionId: open.executionId, variables: { ...variables } };
      rt.engineMoved = true;
      this.runtimes.taskCompleting(rt, open);
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
