import { jsonEquals } from '@eddy/contracts';
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
import { type ListenedOperation } from './task-listener.runtime';

/** An ISO-8601 instant, null for null; anything else is refused naming the field. */
function dateOrNull(field: string, value: string | null): string | null {
  if (value === null) return null;
  const normalized = toIsoInstant(value);
  if (!normalized)
    throw new EngineError('INVALID_ARGUMENT', `${field}: an ISO-8601 date-time or null is required`);
  return normalized;
}

/**
 * The port's actions on open user tasks: assign, dates and priority, complete; each one step of its instance.
 * A task with task listeners of the action's event (`task-listener.runtime.ts`) takes it only once they are
 * done ({@link UserTaskOperations.apply}, with their corrections); until then nothing is reported.
 */
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
    await this.onOpenTask(taskId, { event: 'assigning', assignee });
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
    if (Object.keys(changes).length === 0) return;
    await this.onOpenTask(taskId, { event: 'updating', changes });
  }

  async complete(taskId: string, variables: Variables = {}): Promise<void> {
    if (!isObject(variables)) throw new EngineError('INVALID_ARGUMENT', 'variables: must be an object');
    await this.onOpenTask(taskId, { event: 'completing', variables: { ...variables } });
  }

  /**
   * Makes an action take effect (inside its step), with the corrections of its task listeners: the
   * corrected attributes are changed first (`task.attributesChanged`, `task.candidatesChanged`), then the
   * action is reported.
   */
  apply(rt: Runtime, open: OpenTask, operation: ListenedOperation, corrections: Partial<EngineTask>): void {
    const { assignee: correctedAssignee, ...others } = corrections;
    const assignee =
      operation.event === 'assigning' ? (correctedAssignee ?? operation.assignee) : correctedAssignee;
    const changes = operation.event === 'updating' ? { ...operation.changes, ...others } : others;
    this.change(rt, open, changes, operation.event === 'updating' ? Object.keys(operation.changes) : []);
    if (assignee !== undefined && (operation.event === 'assigning' || assignee !== open.task.assignee)) {
      open.task = { ...open.task, assignee };
      rt.metaChanged = true;
      this.runtimes.emit(rt, open.executionId, { type: 'task.assigned', task: open.task, assignee });
    }
    if (operation.event === 'completing') this.signalCompletion(rt, open, operation.variables);
  }

  /** Changes attributes and candidates of an open task, reporting what differs and what was asked for. */
  private change(rt: Runtime, open: OpenTask, changes: Partial<EngineTask>, asked: string[]): void {
    const attributes = (['priority', 'dueDate', 'followUpDate'] as const).filter(
      (name) => changes[name] !== undefined && (asked.includes(name) || changes[name] !== open.task[name]),
    );
    const candidates = (['candidateUsers', 'candidateGroups'] as const).filter(
      (name) => changes[name] !== undefined && !jsonEquals(changes[name], open.task[name]),
    );
    const previous = { candidateUsers: open.task.candidateUsers, candidateGroups: open.task.candidateGroups };
    if (attributes.length > 0) {
      open.task = { ...open.task, ...Object.fromEntries(attributes.map((name) => [name, changes[name]])) };
      rt.metaChanged = true;
      this.runtimes.emit(rt, open.executionId, {
        type: 'task.attributesChanged',
        task: open.task,
        changed: attributes as ChangeableTaskAttribute[],
      });
    }
    if (candidates.length > 0) {
      open.task = { ...open.task, ...Object.fromEntries(candidates.map((name) => [name, changes[name]])) };
      rt.metaChanged = true;
      this.runtimes.emit(rt, open.executionId, { type: 'task.candidatesChanged', task: open.task, previous });
    }
  }

  /** Completes the task in bpmn-engine (its instance's engine is loaded). */
  private signalCompletion(rt: Runtime, open: OpenTask, variables: Variables): void {
    const api = rt.waiting.get(open.executionId);
    if (!api)
      throw new EngineError('UNKNOWN_TASK', `taskId: task ${open.task.id} is not waiting in the engine`);
    this.runtimes.setVariables(rt, variables, open.executionId);
    rt.completing = { executionId: open.executionId, variables: { ...variables } };
    rt.engineMoved = true;
    try {
      api.signal({ ...variables });
    } finally {
      rt.completing = null;
    }
    this.runtimes.taskSignalled(rt, open, { ...variables });
  }

  private async onOpenTask(taskId: string, operation: ListenedOperation): Promise<void> {
    this.assertOpen();
    if (typeof taskId !== 'string' || taskId === '')
      throw new EngineError('INVALID_ARGUMENT', 'taskId: required');
    const instanceId = this.userTasks.instanceOf(taskId);
    const rt = instanceId ? this.runtimes.get(instanceId) : undefined;
    if (!rt) throw new EngineError('UNKNOWN_TASK', `taskId: no open task ${taskId}`);
    await this.runtimes.step(rt, async () => {
      const open = this.userTasks.find(rt, taskId);
      if (!open || rt.ended) throw new EngineError('UNKNOWN_TASK', `taskId: no open task ${taskId}`);
      if (operation.event === 'completing') await this.runtimes.ensureEngine(rt);
      if (this.runtimes.taskListeners.hold(rt, open, operation)) return;
      this.apply(rt, open, operation, {});
    });
  }
}
