import { type Logger } from '@nestjs/common';
import { jsonEquals } from '@eddy/contracts';
import { EngineError } from '../engine.errors';
import { type EngineTask } from '../engine.port';
import { type JobResult, type TaskCorrections } from '../job-worker.port';
import { toIsoInstant } from './date-time';
import {
  isObject,
  type ElementApi,
  type ListenedTask,
  type OpenTask,
  type PendingTaskOperation,
  type Runtime,
} from './instance-state';
import { type JobCallback, type StoredJob } from './jobs/stored-job';
import { type JobElementSpec } from './jobs/job-elements';
import { resolveJobType } from './job-types';
import { type TaskListenerEvent } from './dialect-specs';

/** An operation on an open task that its listeners let through. */
export type ListenedOperation = Exclude<PendingTaskOperation, { event: 'creating' }>;

export interface TaskListenerHost {
  openJob(rt: Runtime, spec: JobElementSpec, type: string, executionId: string, callback: JobCallback): void;
  closeJob(rt: Runtime, executionId: string): void;
  createTask(rt: Runtime, api: ElementApi, corrections: Partial<EngineTask>): void;
  /** Lets an assignment, update or completion take effect, with the listeners' corrections. */
  applyOperation(
    rt: Runtime,
    open: OpenTask,
    operation: ListenedOperation,
    corrections: Partial<EngineTask>,
  ): void;
}

// The callback a listener's job needs to be completed; the completion goes through jobCompleted instead.
const NO_CALLBACK: JobCallback = () => undefined;

/** The events whose transition a listener may deny (Camunda 8.8). */
const DENIABLE = new Set<TaskListenerEvent>(['assigning', 'updating', 'completing']);

/**
 * Runs the task listeners (`task-listeners.ts`): a lifecycle transition of a user task that has listeners of
 * its event does not take effect yet; each listener in turn is a job of its type for a worker (through the
 * job API, named by the user task's id), and once the last is completed the transition takes effect with
 * their corrections: the task is created, or the assignment, update or completion is applied. A listener
 * whose job result is `denied` rejects an assignment, update or completion: nothing of it (nor of the
 * corrections) takes effect and nothing is reported (`ENGINE-016`). While listeners run, other operations on
 * the task are refused (`INVALID_TASK_STATE`). In-process handlers do not serve listener jobs.
 */
export class TaskListeners {
  constructor(
    private readonly host: TaskListenerHost,
    private readonly logger: Logger,
  ) {}

  /**
   * The instance waits at a user task: true while its creating listeners run (the task is created later).
   * Also when the engine was loaded again: the open listener job, of whichever event, finds its element again.
   */
  holdCreation(rt: Runtime, api: ElementApi): boolean {
    const running = rt.meta.taskListeners?.[api.executionId];
    if (running) {
      this.open(rt, api.id, api.executionId, running);
      return true;
    }
    if (rt.meta.tasks[api.executionId] || !this.listenersOf(rt, api.id, 'creating')) return false;
    const state: ListenedTask = { next: 0, corrections: {}, operation: { event: 'creating' } };
    (rt.meta.taskListeners ??= {})[api.executionId] = state;
    rt.metaChanged = true;
    this.open(rt, api.id, api.executionId, state);
    return true;
  }

  /**
   * An assignment, update or completion of an open task: true when its listeners run first (it takes effect
   * when they are done). Refused while the listeners of another transition run.
   */
  hold(rt: Runtime, open: OpenTask, operation: ListenedOperation): boolean {
    const running = rt.meta.taskListeners?.[open.executionId];
    if (running)
      throw new EngineError(
        'INVALID_TASK_STATE',
        `taskId: task ${open.task.id} is ${running.operation?.event ?? 'creating'}: its task listeners run`,
      );
    if (!this.listenersOf(rt, open.task.taskDefinitionKey, operation.event)) return false;
    const state: ListenedTask = { next: 0, corrections: {}, operation };
    (rt.meta.taskListeners ??= {})[open.executionId] = state;
    rt.metaChanged = true;
    this.open(rt, open.task.taskDefinitionKey, open.executionId, state);
    return true;
  }

  /** Refuses a job result that does not fit a listener's job, naming the field. */
  checkResult(rt: Runtime, job: StoredJob, result: JobResult): boolean {
    const state = rt.meta.taskListeners?.[job.executionId];
    if (!state) return false;
    if (result.type !== undefined && result.type !== 'userTask')
      throw new EngineError('INVALID_ARGUMENT', `result.type: must be userTask, not ${String(result.type)}`);
    const event = eventOf(state);
    if (result.denied !== undefined && typeof result.denied !== 'boolean')
      throw new EngineError('INVALID_ARGUMENT', 'result.denied: must be true or false');
    if (result.denied && !DENIABLE.has(event))
      throw new EngineError(
        'INVALID_ARGUMENT',
        `result.denied: a ${event} listener cannot deny its transition`,
      );
    checkCorrections(result.corrections ?? {});
    return true;
  }

  /** A listener's job was completed (inside its step): the next listener runs, or the transition is made. */
  jobCompleted(rt: Runtime, job: StoredJob, result: JobResult | null | undefined): boolean {
    const state = rt.meta.taskListeners?.[job.executionId];
    if (!state) return false;
    this.host.closeJob(rt, job.executionId);
    rt.metaChanged = true;
    const event = eventOf(state);
    const elementId = job.elementId;
    if (result?.denied) {
      delete rt.meta.taskListeners![job.executionId];
      this.logger.log(
        `ENGINE-016 instance ${rt.meta.instance.id} task ${elementId}: a ${event} listener (${job.type}) denied the transition${result.deniedReason ? `: ${result.deniedReason}` : ''}`,
      );
      return true;
    }
    Object.assign(state.corrections, result?.corrections ?? {});
    state.next++;
    if (state.next < this.listenersOf(rt, elementId, event)!.length) {
      this.open(rt, elementId, job.executionId, state);
      return true;
    }
    delete rt.meta.taskListeners![job.executionId];
    const corrections = asTaskFields(state.corrections);
    const operation = state.operation ?? { event: 'creating' };
    if (operation.event === 'creating') {
      const api = rt.waiting.get(job.executionId);
      if (!api) throw new Error(`${elementId}: the user task is not waiting in the engine`);
      this.host.createTask(rt, api, corrections);
      return true;
    }
    const open = rt.meta.tasks[job.executionId];
    if (!open) throw new Error(`${elementId}: the user task is not open`);
    this.host.applyOperation(rt, open, operation, corrections);
    return true;
  }

  /** The user task left before its listeners were done. */
  elementLeft(rt: Runtime, executionId: string): void {
    if (!rt.meta.taskListeners?.[executionId]) return;
    delete rt.meta.taskListeners[executionId];
    rt.metaChanged = true;
  }

  private listenersOf(
    rt: Runtime,
    elementId: string,
    event: TaskListenerEvent,
  ): JobElementSpec[] | undefined {
    return rt.definition.compiled.taskListeners.get(elementId)?.[event];
  }

  private open(rt: Runtime, elementId: string, executionId: string, state: ListenedTask): void {
    const listener = this.listenersOf(rt, elementId, eventOf(state))![state.next];
    let type: string;
    try {
      type = resolveJobType(elementId, listener.type, rt.meta.variables);
    } catch (error) {
      rt.incident ??= error as Error;
      return;
    }
    const open = rt.meta.tasks[executionId];
    const customHeaders = open ? taskHeaders(open.task, state) : listener.customHeaders;
    this.host.openJob(rt, { ...listener, customHeaders }, type, executionId, NO_CALLBACK);
  }
}

const ACTIONS: Record<TaskListenerEvent, string> = {
  creating: '',
  assigning: 'assign',
  updating: 'update',
  completing: 'complete',
};

/**
 * Camunda 8's reserved headers of a task listener's job: the task as its transition and the corrections so
 * far would leave it, what the transition changes, and the action.
 */
function taskHeaders(task: EngineTask, state: ListenedTask): Record<string, string> {
  const operation = state.operation;
  const asked: Partial<EngineTask> =
    operation?.event === 'assigning'
      ? { assignee: operation.assignee }
      : operation?.event === 'updating'
        ? operation.changes
        : {};
  const after = { ...task, ...asked, ...asTaskFields(state.corrections) };
  const changed = (Object.keys(after) as (keyof EngineTask)[]).filter(
    (name) => !jsonEquals(after[name], task[name]),
  );
  const text = (value: unknown) => (value === null || value === undefined ? '' : String(value));
  return {
    'io.camunda.zeebe:action': ACTIONS[eventOf(state)],
    'io.camunda.zeebe:userTaskKey': task.id,
    'io.camunda.zeebe:assignee': text(after.assignee),
    'io.camunda.zeebe:candidateUsers': JSON.stringify(after.candidateUsers),
    'io.camunda.zeebe:candidateGroups': JSON.stringify(after.candidateGroups),
    'io.camunda.zeebe:dueDate': text(after.dueDate),
    'io.camunda.zeebe:followUpDate': text(after.followUpDate),
    'io.camunda.zeebe:formKey': text(after.formKey),
    'io.camunda.zeebe:priority': text(after.priority),
    'io.camunda.zeebe:changedAttributes': JSON.stringify(changed),
  };
}

function eventOf(state: ListenedTask): TaskListenerEvent {
  return state.operation?.event ?? 'creating';
}

function checkCorrections(corrections: unknown): void {
  if (!isObject(corrections))
    throw new EngineError('INVALID_ARGUMENT', 'result.corrections: must be an object');
  const check = (field: keyof TaskCorrections, ok: (value: unknown) => boolean, what: string) => {
    if (corrections[field] !== undefined && !ok(corrections[field]))
      throw new EngineError('INVALID_ARGUMENT', `result.corrections.${field}: ${what}`);
  };
  const list = (v: unknown) => Array.isArray(v) && v.every((item) => typeof item === 'string');
  const date = (v: unknown) => v === null || toIsoInstant(v) !== null;
  check('assignee', (v) => v === null || typeof v === 'string', 'must be a user id or null');
  check('candidateUsers', list, 'must be a list of user ids');
  check('candidateGroups', list, 'must be a list of group ids');
  check('dueDate', date, 'must be an ISO-8601 date-time or null');
  check('followUpDate', date, 'must be an ISO-8601 date-time or null');
  check(
    'priority',
    (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 100,
    'must be 0 to 100',
  );
}

/** The corrections as task fields (dates normalised). */
function asTaskFields(corrections: TaskCorrections): Partial<EngineTask> {
  const { dueDate, followUpDate, ...rest } = corrections;
  return {
    ...rest,
    ...(dueDate !== undefined ? { dueDate: dueDate === null ? null : toIsoInstant(dueDate) } : {}),
    ...(followUpDate !== undefined
      ? { followUpDate: followUpDate === null ? null : toIsoInstant(followUpDate) }
      : {}),
  };
}
