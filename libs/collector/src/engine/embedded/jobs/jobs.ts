import { type Logger } from '@nestjs/common';
import { EngineError } from '../../engine.errors';
import { type Variables } from '../../engine.port';
import {
  type ActivateJobsRequest,
  type ActivatedJob,
  type JobBpmnError,
  type JobFailure,
  type JobIncident,
  type JobResult,
  type JobWorkerApi,
} from '../../job-worker.port';
import { catchesError } from '../error-events';
import { eventSubProcessCatching } from '../error-event-sub-processes';
import { startErrorEventSubProcess } from '../error-event-sub-process.start';
import { resolveAttribute } from '../feel';
import { isObject, type Runtime } from '../instance-state';
import { DEFAULT_JOB_RETRIES, type JobElementSpec } from './job-elements';
import { type JobCallback, type StoredJob } from './stored-job';
import { visibleVariables } from '../variable-scopes';

/** Camunda 8's long polling time when a request names none (`requestTimeout` 0). */
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** How many completed job keys are remembered, to tell a second completion from an unknown key. */
const REMEMBERED_COMPLETIONS = 10_000;

export type { JobCallback } from './stored-job';

/** What the jobs need of the instance runtimes. */
export interface JobsHost {
  get(instanceId: string): Runtime | undefined;
  step<T>(rt: Runtime, action: () => Promise<T> | T): Promise<T>;
  ensureEngine(rt: Runtime): Promise<void>;
  setVariables(rt: Runtime, variables: Variables, fromExecutionId?: string): void;
  /** ISO-8601 now, the engine's clock. */
  now(): string;
  /** Apply the job results of ad-hoc sub-processes and task listeners. */
  adHocSubProcesses: JobResultHandler;
  taskListeners: JobResultHandler;
}

/** What applies a kind of job result (`checkResult` throws naming the field; both false for other jobs). */
interface JobResultHandler {
  checkResult(rt: Runtime, job: StoredJob, result: JobResult): boolean | void;
  jobCompleted(rt: Runtime, job: StoredJob, result: JobResult | null | undefined): boolean;
}

interface Waiter {
  type: string;
  wake: () => void;
}

/**
 * The jobs of the running instances, as Camunda 8 hands them to workers. A job-based element without an
 * in-process handler opens a job in its instance's stored metadata and waits; workers activate jobs by type
 * (with long polling), and complete, fail or throw a BPMN error from them. Every change is a step of the
 * instance, stored before it is answered; what is in memory besides (the indexes, the callbacks of the waiting
 * elements) is rebuilt when the engine opens and when an instance's engine is loaded again.
 *
 * Log codes: `ENGINE-05x`.
 */
export class Jobs implements JobWorkerApi {
  /** Where a job lives, by job key. */
  private readonly locations = new Map<string, { instanceId: string; executionId: string }>();
  /** Job keys by type. */
  private readonly byType = new Map<string, Set<string>>();
  /** The waiting elements' callbacks by job key (set again when an instance's engine is loaded again). */
  private readonly callbacks = new Map<string, JobCallback>();
  private readonly completed = new Set<string>();
  private readonly waiters = new Set<Waiter>();
  private readonly wakeups = new Set<ReturnType<typeof setTimeout>>();
  private lastKey = 0n;
  private stopped = false;

  constructor(
    private readonly host: JobsHost,
    private readonly logger: Logger,
  ) {}

  /**
   * Called by the element's service behaviour: opens the element's job (or, when the instance's engine was
   * loaded again, finds the one it had) and keeps the callback that lets the element go on.
   */
  wait(rt: Runtime, spec: JobElementSpec, type: string, executionId: string, callback: JobCallback): void {
    const meta = rt.meta;
    meta.jobs ??= {};
    let job = meta.jobs[executionId];
    if (!job) {
      job = {
        key: this.nextKey(),
        type,
        elementId: spec.elementId,
        executionId,
        retries: this.retriesOf(rt, spec, executionId),
        customHeaders: spec.customHeaders,
        state: 'activatable',
        worker: null,
        deadline: null,
        retryAt: null,
        errorMessage: null,
        incident: null,
        ...(spec.listener ? { listener: spec.listener } : {}),
      };
      meta.jobs[executionId] = job;
      rt.metaChanged = true;
      this.index(meta.instance.id, job);
      this.notify(type);
    }
    this.callbacks.set(job.key, callback);
  }

  /**
   * Called by the service behaviour of an error end event that nothing catches: the instance waits there with
   * an incident, as in Camunda 8 (bpmn-engine would end the instance normally).
   */
  raiseUncaughtError(rt: Runtime, elementId: string, executionId: string, errorCode: string): void {
    const meta = rt.meta;
    meta.jobs ??= {};
    if (meta.jobs[executionId]) return;
    const record: StoredJob = {
      key: this.nextKey(),
      type: '',
      elementId,
      executionId,
      retries: 0,
      customHeaders: {},
      state: 'incident',
      worker: null,
      deadline: null,
      retryAt: null,
      errorMessage: null,
      incident: null,
    };
    meta.jobs[executionId] = record;
    this.index(meta.instance.id, record);
    this.raiseIncident(
      rt,
      record,
      'UNHANDLED_ERROR_EVENT',
      `Expected to throw an error event with the code '${errorCode}', but it was not caught. No error events are available in the scope.`,
    );
  }

  /** The element of a job was left (completed, interrupted, cancelled): its job is gone. */
  elementLeft(rt: Runtime, executionId: string): void {
    const job = rt.meta.jobs?.[executionId];
    if (!job) return;
    delete rt.meta.jobs![executionId];
    rt.metaChanged = true;
    this.unindex(job);
  }

  /** The instance ended: all its jobs are gone. */
  forget(rt: Runtime): void {
    for (const job of Object.values(rt.meta.jobs ?? {})) this.unindex(job);
    rt.meta.jobs = {};
  }

  /** Indexes the jobs of an instance read from the store. */
  restore(rt: Runtime): void {
    for (const job of Object.values(rt.meta.jobs ?? {})) {
      this.index(rt.meta.instance.id, job);
      const key = BigInt(job.key);
      if (key > this.lastKey) this.lastKey = key;
      const due = job.state === 'activated' ? job.deadline : job.retryAt;
      if (due !== null) this.wakeAt(job.type, due);
    }
  }

  async activate(request: ActivateJobsRequest, signal?: AbortSignal): Promise<ActivatedJob[]> {
    this.assertOpen();
    checkActivation(request);
    const patience = request.requestTimeoutMs === 0 ? DEFAULT_REQUEST_TIMEOUT_MS : request.requestTimeoutMs;
    const until = Date.now() + patience;
    for (;;) {
      const jobs = await this.tryActivate(request);
      if (jobs.length > 0 || this.stopped || signal?.aborted || Date.now() >= until) return jobs;
      await this.nextChance(request.type, until - Date.now(), signal);
    }
  }

  async complete(jobKey: string, variables: Variables = {}, result?: JobResult | null): Promise<void> {
    if (!isObject(variables)) throw new EngineError('INVALID_ARGUMENT', 'variables: must be an object');
    await this.onJob(jobKey, 'complete', async (rt, job) => {
      if (result && !this.host.taskListeners.checkResult(rt, job, result))
        this.host.adHocSubProcesses.checkResult(rt, job, result);
      const callback = await this.callbackOf(rt, job);
      this.host.setVariables(rt, variables, job.executionId);
      rt.engineMoved = true;
      this.callbacks.delete(job.key);
      this.remember(job.key);
      if (this.host.taskListeners.jobCompleted(rt, job, result)) return;
      if (this.host.adHocSubProcesses.jobCompleted(rt, job, result)) return;
      callback(null, { ...variables });
    });
  }

  async fail(jobKey: string, failure: JobFailure): Promise<void> {
    const { retries, retryBackOffMs = 0 } = failure ?? ({} as JobFailure);
    if (!Number.isInteger(retries) || retries < 0)
      throw new EngineError('INVALID_ARGUMENT', 'retries: a whole number of 0 or more is required');
    if (!Number.isInteger(retryBackOffMs) || retryBackOffMs < 0)
      throw new EngineError('INVALID_ARGUMENT', 'retryBackOff: a whole number of milliseconds is required');
    if (failure.variables !== undefined && !isObject(failure.variables))
      throw new EngineError('INVALID_ARGUMENT', 'variables: must be an object');
    let handOut = false;
    await this.onJob(jobKey, 'fail', (rt, job) => {
      if (failure.variables) this.host.setVariables(rt, failure.variables, job.executionId);
      const message = failure.errorMessage ?? null;
      Object.assign(job, { retries, worker: null, deadline: null, errorMessage: message });
      rt.metaChanged = true;
      if (retries > 0) {
        job.state = 'activatable';
        job.retryAt = retryBackOffMs > 0 ? Date.now() + retryBackOffMs : null;
        if (job.retryAt !== null) this.wakeAt(job.type, job.retryAt);
        else handOut = true;
        this.logger.warn(
          `ENGINE-051 instance ${rt.meta.instance.id} job ${job.key} (${job.type}) at ${job.elementId} failed, ${retries} retries left: ${message ?? ''}`,
        );
        return;
      }
      this.raiseIncident(rt, job, 'JOB_NO_RETRIES', message ?? 'No more retries left.');
    });
    if (handOut) this.notify(this.typeOf(jobKey));
  }

  async throwError(jobKey: string, error: JobBpmnError): Promise<void> {
    const { errorCode, errorMessage, variables } = error ?? ({} as JobBpmnError);
    if (typeof errorCode !== 'string' || errorCode === '')
      throw new EngineError('INVALID_ARGUMENT', 'errorCode: required');
    if (variables !== undefined && !isObject(variables))
      throw new EngineError('INVALID_ARGUMENT', 'variables: must be an object');
    await this.onJob(jobKey, 'throw an error from', async (rt, job) => {
      if (job.listener)
        throw new EngineError(
          'INVALID_JOB_STATE',
          `jobKey: job ${jobKey} is an execution listener's, which cannot throw a BPMN error (as in Camunda 8)`,
        );
      if (!catchesError(rt.definition.compiled.errorCatchers.get(job.elementId), errorCode)) {
        const message = `Expected to throw an error event with the code '${errorCode}'${errorMessage ? ` with message '${errorMessage}'` : ''}, but it was not caught.`;
        this.raiseIncident(rt, job, 'UNHANDLED_ERROR_EVENT', message);
        return;
      }
      const callback = await this.callbackOf(rt, job);
      if (variables) this.host.setVariables(rt, variables, job.executionId);
      rt.engineMoved = true;
      this.callbacks.delete(job.key);
      const compiled = rt.definition.compiled;
      const eventSubProcess = eventSubProcessCatching(
        compiled.errorEventSubProcesses,
        job.elementId,
        errorCode,
      );
      if (eventSubProcess) startErrorEventSubProcess(rt, eventSubProcess, errorCode);
      else callback(Object.assign(new Error(errorMessage || errorCode), { code: errorCode }));
    });
  }

  incidents(): JobIncident[] {
    const found: JobIncident[] = [];
    for (const [jobKey, location] of this.locations) {
      const rt = this.host.get(location.instanceId);
      const job = rt?.meta.jobs?.[location.executionId];
      if (!rt || !job?.incident) continue;
      found.push({
        incidentKey: jobKey,
        jobKey: job.type === '' ? null : jobKey,
        errorType: job.incident.errorType,
        errorMessage: job.incident.errorMessage,
        processInstanceKey: rt.meta.instance.id,
        processDefinitionId: rt.meta.instance.processDefinitionKey,
        elementId: job.elementId,
        elementInstanceKey: job.executionId,
        creationTime: job.incident.creationTime,
        tenantId: rt.meta.instance.tenantId ?? '<default>',
      });
    }
    return found.sort((a, b) => a.creationTime.localeCompare(b.creationTime));
  }

  async updateRetries(jobKey: string, retries: number): Promise<void> {
    if (!Number.isInteger(retries) || retries < 0)
      throw new EngineError('INVALID_ARGUMENT', 'retries: a whole number of 0 or more is required');
    await this.onJob(
      jobKey,
      'update',
      (rt, job) => {
        job.retries = retries;
        rt.metaChanged = true;
      },
      { evenOnIncident: true },
    );
  }

  async resolveIncident(incidentKey: string): Promise<void> {
    const location = this.locations.get(incidentKey);
    const rt = location && this.host.get(location.instanceId);
    const job = rt && rt.meta.jobs?.[location.executionId];
    if (!job?.incident)
      throw new EngineError('UNKNOWN_INCIDENT', `incidentKey: no incident ${incidentKey} waits`);
    await this.onJob(
      incidentKey,
      'resolve the incident of',
      (target, stuck) => {
        if (!stuck.incident)
          throw new EngineError('UNKNOWN_INCIDENT', `incidentKey: no incident ${incidentKey} waits`);
        if (stuck.type === '')
          throw new EngineError(
            'INVALID_JOB_STATE',
            `incidentKey: an uncaught error end event cannot be resolved; cancel the instance`,
          );
        if (stuck.retries === 0)
          throw new EngineError(
            'INVALID_JOB_STATE',
            `incidentKey: job ${stuck.key} has no retries left; update its retries first`,
          );
        Object.assign(stuck, { state: 'activatable', incident: null, retryAt: null });
        target.metaChanged = true;
        this.logger.log(`ENGINE-054 instance ${target.meta.instance.id} job ${stuck.key}: incident resolved`);
      },
      { evenOnIncident: true },
    );
    this.notify(job.type);
  }

  /** Answers the waiting activations (with what they have) and stops the wake-ups. */
  close(): void {
    this.stopped = true;
    for (const handle of this.wakeups) clearTimeout(handle);
    this.wakeups.clear();
    for (const waiter of this.waiters) waiter.wake();
  }

  private async tryActivate(request: ActivateJobsRequest): Promise<ActivatedJob[]> {
    const now = Date.now();
    const candidates: { rt: Runtime; executionId: string }[] = [];
    for (const key of this.byType.get(request.type) ?? []) {
      if (candidates.length >= request.maxJobsToActivate) break;
      const location = this.locations.get(key)!;
      const rt = this.host.get(location.instanceId);
      const job = rt?.meta.jobs?.[location.executionId];
      if (rt && job && isActivatable(job, now)) candidates.push({ rt, executionId: location.executionId });
    }
    const activated = await Promise.all(
      candidates.map(({ rt, executionId }) =>
        this.host
          .step(rt, () => {
            const job = rt.meta.jobs?.[executionId];
            // Another activation may have taken it since it was found.
            if (rt.ended || !job || !isActivatable(job, Date.now())) return null;
            Object.assign(job, {
              state: 'activated',
              worker: request.worker,
              deadline: Date.now() + request.timeoutMs,
              retryAt: null,
            });
            rt.metaChanged = true;
            this.wakeAt(job.type, job.deadline!);
            return this.activated(rt, job, request);
          })
          .catch((error: unknown) => {
            this.logger.error(
              `ENGINE-052 instance ${rt.meta.instance.id}: activating a job failed: ${(error as Error).message}`,
            );
            return null;
          }),
      ),
    );
    return activated.filter((job): job is ActivatedJob => job !== null);
  }

  private activated(rt: Runtime, job: StoredJob, request: ActivateJobsRequest): ActivatedJob {
    const { instance } = rt.meta;
    const fetch = request.fetchVariable ?? [];
    // What the element sees: its input mappings and, in a multi-instance element, its item.
    const all = visibleVariables(rt, job.executionId);
    const variables =
      fetch.length === 0
        ? { ...all }
        : Object.fromEntries(fetch.filter((name) => Object.hasOwn(all, name)).map((n) => [n, all[n]]));
    return {
      jobKey: job.key,
      type: job.type,
      processInstanceKey: instance.id,
      processDefinitionId: instance.processDefinitionKey,
      processDefinitionVersion: rt.definition.deployed.version,
      processDefinitionKey: instance.processDefinitionId,
      elementId: job.elementId,
      elementInstanceKey: job.executionId,
      customHeaders: { ...job.customHeaders },
      worker: request.worker,
      retries: job.retries,
      deadline: job.deadline!,
      variables,
      tenantId: instance.tenantId ?? '<default>',
    };
  }

  /** Runs an action on a job as a step of its instance; the job must exist and have no incident. */
  private async onJob(
    jobKey: string,
    action: string,
    run: (rt: Runtime, job: StoredJob) => void | Promise<void>,
    options: { evenOnIncident?: boolean } = {},
  ): Promise<void> {
    this.assertOpen();
    if (typeof jobKey !== 'string' || jobKey === '')
      throw new EngineError('INVALID_ARGUMENT', 'jobKey: required');
    const location = this.locations.get(jobKey);
    const rt = location ? this.host.get(location.instanceId) : undefined;
    if (!location || !rt) throw this.unknown(jobKey, action);
    await this.host.step(rt, async () => {
      const job = rt.meta.jobs?.[location.executionId];
      if (rt.ended || !job || job.key !== jobKey) throw this.unknown(jobKey, action);
      if (job.state === 'incident' && !options.evenOnIncident) {
        throw new EngineError(
          'INVALID_JOB_STATE',
          `jobKey: cannot ${action} job ${jobKey}: an incident waits on it (${job.incident?.errorMessage ?? ''})`,
        );
      }
      await run(rt, job);
    });
  }

  /** The callback of the element the job waits in, loading the instance's engine when it is not in memory. */
  private async callbackOf(rt: Runtime, job: StoredJob): Promise<JobCallback> {
    await this.host.ensureEngine(rt);
    const callback = this.callbacks.get(job.key);
    if (!callback)
      throw new EngineError('UNKNOWN_JOB', `jobKey: job ${job.key} is not waiting in the engine`);
    return callback;
  }

  private raiseIncident(
    rt: Runtime,
    job: StoredJob,
    errorType: 'JOB_NO_RETRIES' | 'UNHANDLED_ERROR_EVENT',
    errorMessage: string,
  ): void {
    Object.assign(job, { state: 'incident', worker: null, deadline: null, retryAt: null });
    job.incident = { errorType, errorMessage, creationTime: this.host.now() };
    rt.metaChanged = true;
    this.logger.error(
      `ENGINE-050 instance ${rt.meta.instance.id} job ${job.key} (${job.type}) at ${job.elementId}: incident ${errorType}, the instance waits: ${errorMessage}`,
    );
  }

  private unknown(jobKey: string, action: string): EngineError {
    const why = this.completed.has(jobKey) ? ': it was completed already' : '';
    return new EngineError('UNKNOWN_JOB', `jobKey: cannot ${action} job ${jobKey}: no such job${why}`);
  }

  private retriesOf(rt: Runtime, spec: JobElementSpec, executionId: string): number {
    if (spec.retries === null) return DEFAULT_JOB_RETRIES;
    let value: unknown;
    try {
      value = resolveAttribute(spec.retries, visibleVariables(rt, executionId));
    } catch (error) {
      this.logger.warn(
        `ENGINE-053 instance ${rt.meta.instance.id} ${spec.elementId}: retries cannot be evaluated: ${(error as Error).message}`,
      );
    }
    const n = Number(value);
    return Number.isInteger(n) && n >= 0 ? n : DEFAULT_JOB_RETRIES;
  }

  private nextChance(type: string, waitMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        type,
        wake: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', waiter.wake);
          this.waiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, Math.max(0, waitMs));
      signal?.addEventListener('abort', waiter.wake);
      this.waiters.add(waiter);
      if (this.stopped || signal?.aborted) waiter.wake();
    });
  }

  private notify(type: string): void {
    for (const waiter of [...this.waiters]) if (waiter.type === type) waiter.wake();
  }

  /** Wakes the activations of a type when a job becomes activatable again at `at` (epoch ms). */
  private wakeAt(type: string, at: number): void {
    if (this.stopped) return;
    const handle = setTimeout(
      () => {
        this.wakeups.delete(handle);
        this.notify(type);
      },
      Math.max(0, at - Date.now()) + 1,
    );
    handle.unref();
    this.wakeups.add(handle);
  }

  private index(instanceId: string, job: StoredJob): void {
    this.locations.set(job.key, { instanceId, executionId: job.executionId });
    let keys = this.byType.get(job.type);
    if (!keys) this.byType.set(job.type, (keys = new Set()));
    keys.add(job.key);
  }

  private unindex(job: StoredJob): void {
    this.locations.delete(job.key);
    this.callbacks.delete(job.key);
    const keys = this.byType.get(job.type);
    keys?.delete(job.key);
    if (keys?.size === 0) this.byType.delete(job.type);
  }

  private typeOf(jobKey: string): string {
    const location = this.locations.get(jobKey);
    const job = location && this.host.get(location.instanceId)?.meta.jobs?.[location.executionId];
    return job ? job.type : '';
  }

  private remember(jobKey: string): void {
    this.completed.add(jobKey);
    if (this.completed.size > REMEMBERED_COMPLETIONS) {
      this.completed.delete(this.completed.values().next().value as string);
    }
  }

  /** Increasing 64-bit keys: the time in milliseconds and a sequence in the low 20 bits. */
  private nextKey(): string {
    const fromClock = BigInt(Date.now()) << 20n;
    this.lastKey = fromClock > this.lastKey ? fromClock : this.lastKey + 1n;
    return this.lastKey.toString();
  }

  private assertOpen(): void {
    if (this.stopped) throw new EngineError('CLOSED', 'the engine has been closed');
  }
}

function isActivatable(job: StoredJob, now: number): boolean {
  if (job.state === 'activatable') return job.retryAt === null || job.retryAt <= now;
  return job.state === 'activated' && job.deadline !== null && job.deadline <= now;
}

function checkActivation(request: ActivateJobsRequest): void {
  const r = request ?? ({} as ActivateJobsRequest);
  if (typeof r.type !== 'string' || r.type === '')
    throw new EngineError('INVALID_ARGUMENT', 'type: required');
  if (typeof r.worker !== 'string') throw new EngineError('INVALID_ARGUMENT', 'worker: a name is required');
  if (!Number.isInteger(r.timeoutMs) || r.timeoutMs <= 0)
    throw new EngineError('INVALID_ARGUMENT', 'timeout: a positive number of milliseconds is required');
  if (!Number.isInteger(r.maxJobsToActivate) || r.maxJobsToActivate <= 0)
    throw new EngineError('INVALID_ARGUMENT', 'maxJobsToActivate: a positive whole number is required');
  if (!Number.isInteger(r.requestTimeoutMs))
    throw new EngineError('INVALID_ARGUMENT', 'requestTimeout: a whole number of milliseconds is required');
}
