import { EngineError } from '../engine.errors';
import { type EngineTask } from '../engine.port';
import { type JobResult, type TaskCorrections } from '../job-worker.port';
import { toIsoInstant } from './date-time';
import { isObject, type ElementApi, type Runtime } from './instance-state';
import { type JobCallback, type StoredJob } from './jobs/stored-job';
import { type JobElementSpec } from './jobs/job-elements';
import { resolveJobType } from './job-types';

export interface TaskListenerHost {
  openJob(rt: Runtime, spec: JobElementSpec, type: string, executionId: string, callback: JobCallback): void;
  closeJob(rt: Runtime, executionId: string): void;
  createTask(rt: Runtime, api: ElementApi, corrections: Partial<EngineTask>): void;
}

// The callback a listener's job needs to be completed; the completion goes through jobCompleted instead.
const NO_CALLBACK: JobCallback = () => undefined;

/**
 * Runs the `creating` task listeners (`task-listeners.ts`): when an instance waits at a user task that has
 * them, the task is not created yet; each listener in turn is a job of its type for a worker (through the
 * job API, its job named by the user task's id), and once the last is completed the task is created with
 * their corrections. In-process handlers do not serve listener jobs.
 */
export class TaskListeners {
  constructor(private readonly host: TaskListenerHost) {}

  /** The instance waits at a user task: true while its creating listeners run (the task is created later). */
  holdCreation(rt: Runtime, api: ElementApi): boolean {
    const listeners = rt.definition.compiled.taskListeners.get(api.id);
    if (!listeners) return false;
    const states = (rt.meta.taskListeners ??= {});
    let state = states[api.executionId];
    if (!state) {
      state = states[api.executionId] = { next: 0, corrections: {} };
      rt.metaChanged = true;
    }
    // Also when the engine was loaded again: the open job finds its element again.
    this.open(rt, api, listeners[state.next]);
    return true;
  }

  /** Refuses a job result that does not fit a listener's job, naming the field. */
  checkResult(rt: Runtime, job: StoredJob, result: JobResult): boolean {
    if (!rt.meta.taskListeners?.[job.executionId]) return false;
    if (result.type !== undefined && result.type !== 'userTask')
      throw new EngineError('INVALID_ARGUMENT', `result.type: must be userTask, not ${String(result.type)}`);
    const corrections = result.corrections ?? {};
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
    return true;
  }

  /** A listener's job was completed (inside its step): the next listener runs, or the task is created. */
  jobCompleted(rt: Runtime, job: StoredJob, result: JobResult | null | undefined): boolean {
    const state = rt.meta.taskListeners?.[job.executionId];
    if (!state) return false;
    this.host.closeJob(rt, job.executionId);
    Object.assign(state.corrections, result?.corrections ?? {});
    state.next++;
    rt.metaChanged = true;
    const api = rt.waiting.get(job.executionId);
    if (!api) throw new Error(`${job.elementId}: the user task is not waiting in the engine`);
    const listeners = rt.definition.compiled.taskListeners.get(api.id)!;
    if (state.next < listeners.length) {
      this.open(rt, api, listeners[state.next]);
      return true;
    }
    delete rt.meta.taskListeners![job.executionId];
    const { dueDate, followUpDate, ...rest } = state.corrections;
    this.host.createTask(rt, api, {
      ...rest,
      ...(dueDate !== undefined ? { dueDate: dueDate === null ? null : toIsoInstant(dueDate) } : {}),
      ...(followUpDate !== undefined
        ? { followUpDate: followUpDate === null ? null : toIsoInstant(followUpDate) }
        : {}),
    });
    return true;
  }

  /** The user task left before its listeners were done. */
  elementLeft(rt: Runtime, executionId: string): void {
    if (!rt.meta.taskListeners?.[executionId]) return;
    delete rt.meta.taskListeners[executionId];
    rt.metaChanged = true;
  }

  private open(rt: Runtime, api: ElementApi, listener: JobElementSpec): void {
    let type: string;
    try {
      type = resolveJobType(api.id, listener.type, rt.meta.variables);
    } catch (error) {
      rt.incident ??= error as Error;
      return;
    }
    this.host.openJob(rt, listener, type, api.executionId, NO_CALLBACK);
  }
}
