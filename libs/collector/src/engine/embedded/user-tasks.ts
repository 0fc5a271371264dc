import { type Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type EngineTask, type TaskCancellationReason } from '../engine.port';
import { toIsoInstant } from './date-time';
import { resolveAttribute } from './feel';
import { visibleVariables } from './variable-scopes';
import { emitEvent, type ElementApi, type InstanceMeta, type OpenTask, type Runtime } from './instance-state';
import { splitList, type UserTaskSpec } from './zeebe-model.compiler';

/** Camunda 8's priority of a task that models none. */
const DEFAULT_PRIORITY = 50;

/**
 * The user tasks of the running instances: creating one when an instance waits at a user task (its
 * attributes evaluated against the variables), closing it, and finding the instance of an open task by id.
 */
export class UserTasks {
  /** Instance id by open task id. */
  private readonly index = new Map<string, string>();

  constructor(
    private readonly now: () => string,
    private readonly logger: Logger,
  ) {}

  /** The instance an open task belongs to. */
  instanceOf(taskId: string): string | undefined {
    return this.index.get(taskId);
  }

  /** The open task in an instance, by its id. */
  find(rt: Runtime, taskId: string): OpenTask | undefined {
    return Object.values(rt.meta.tasks).find((t) => t.task.id === taskId);
  }

  /** Indexes the open tasks of an instance read from the store. */
  restore(meta: InstanceMeta): void {
    for (const open of Object.values(meta.tasks)) this.index.set(open.task.id, meta.instance.id);
  }

  /** Creates the task the instance waits at; `corrections` (of its task listeners) win over the model's attributes. */
  create(rt: Runtime, api: ElementApi, corrections: Partial<EngineTask> = {}): void {
    const spec = rt.definition.compiled.userTasks.get(api.id);
    const meta = rt.meta;
    const variables = visibleVariables(rt, api.executionId);
    const value = (attribute: keyof UserTaskSpec) => {
      try {
        return resolveAttribute(spec?.[attribute], variables);
      } catch (error) {
        this.logger.warn(
          `ENGINE-020 instance ${meta.instance.id} task ${api.id}: ${attribute} cannot be evaluated: ${(error as Error).message}`,
        );
        return null;
      }
    };
    const task: EngineTask = {
      id: randomUUID(),
      name: spec?.name ?? null,
      taskDefinitionKey: api.id,
      description: toStringOrNull(value('description')),
      formKey: toStringOrNull(value('formKey')),
      priority: toPriority(value('priority')),
      createTime: this.now(),
      dueDate: toIsoInstant(value('dueDate')),
      followUpDate: toIsoInstant(value('followUpDate')),
      assignee: toStringOrNull(value('assignee')),
      candidateUsers: toList(value('candidateUsers')),
      candidateGroups: toList(value('candidateGroups')),
      processInstanceId: meta.instance.id,
      processDefinitionId: meta.instance.processDefinitionId,
      processDefinitionKey: meta.instance.processDefinitionKey,
      processName: meta.instance.processName,
      businessKey: meta.instance.businessKey,
      tenantId: meta.instance.tenantId,
      ...corrections,
    };
    meta.tasks[api.executionId] = { executionId: api.executionId, task };
    this.index.set(task.id, meta.instance.id);
    emitEvent(rt, api.executionId, { type: 'task.created', task }, this.now());
  }

  /** Forgets a task that ended (the caller reports how). */
  close(rt: Runtime, open: OpenTask): void {
    delete rt.meta.tasks[open.executionId];
    rt.waiting.delete(open.executionId);
    this.index.delete(open.task.id);
  }

  cancel(rt: Runtime, open: OpenTask, reason: TaskCancellationReason): void {
    this.close(rt, open);
    emitEvent(rt, open.executionId, { type: 'task.cancelled', task: open.task, reason }, this.now());
  }
}

function toStringOrNull(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  return typeof value === 'string' ? value : String(value);
}

function toList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v) => v !== null && v !== undefined).map(String);
  if (typeof value === 'string') return splitList(value);
  return [];
}

function toPriority(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  if (!Number.isFinite(n)) return DEFAULT_PRIORITY;
  return Math.min(100, Math.max(0, Math.round(n)));
}
