/**
 * Runs the ad-hoc sub-processes of the instances (`ad-hoc-sub-processes.ts` reads them and says how they are
 * mapped to bpmn-engine):
 * - without a job worker, the elements named by `activeElementsCollection` are activated when it starts;
 *   after each element that completes, its completion condition (none: no element active any more) completes
 *   it, cancelling the active elements unless `cancelRemainingInstances` is false;
 * - with a job worker, it waits as a job of its `zeebe:taskDefinition` type; the worker's job result activates
 *   elements (their variables set) and says whether it completes; when an element completes and no job is open,
 *   a new job is opened, so that the worker sees what the elements did.
 * After each completed element, `outputElement` is added to the `outputCollection` variable. An element that
 * is active already is not activated again (bpmn-engine runs an element once at a time), logged `ENGINE-015`.
 */
import { type Logger } from '@nestjs/common';
import { EngineError } from '../engine.errors';
import { type JobResult } from '../job-worker.port';
import { type Variables } from '../engine.port';
import { type AdHocSubProcessSpec } from './dialect-specs';
import { evaluateFeel } from './feel';
import { isObject, type ElementApi, type Runtime, type AdHocState } from './instance-state';
import { scopeAround, visibleVariables } from './variable-scopes';
import { type JobCallback, type StoredJob } from './jobs/stored-job';
import { type JobElementSpec } from './jobs/job-elements';
import { scopeExecution } from './scope-executions';

/** The keeper of a job worker's ad-hoc sub-process, as its service behaviour gave it (in memory only). */
interface KeeperJob {
  spec: JobElementSpec;
  type: string;
  executionId: string;
  callback: JobCallback;
}

export interface AdHocHost {
  setVariables(rt: Runtime, variables: Variables): void;
  openJob(rt: Runtime, spec: JobElementSpec, type: string, executionId: string, callback: JobCallback): void;
  closeJob(rt: Runtime, executionId: string): void;
}

export class AdHocSubProcesses {
  private readonly keeperJobs = new Map<string, KeeperJob>();

  constructor(
    private readonly host: AdHocHost,
    private readonly logger: Logger,
  ) {}

  /**
   * The keeper of a job worker's ad-hoc sub-process waits for a worker: true when no job is to be opened now
   * (its elements run), false when the job waits (opened or found again by the jobs).
   */
  keeperWaits(
    rt: Runtime,
    spec: JobElementSpec,
    type: string,
    executionId: string,
    callback: JobCallback,
  ): boolean {
    const adHoc = rt.definition.compiled.adHocSubProcesses.get(spec.elementId);
    if (!adHoc?.byJobWorker) return false;
    this.keeperJobs.set(keyOf(rt, adHoc.id), { spec, type, executionId, callback });
    const states = (rt.meta.adHoc ??= {});
    const state = states[adHoc.id];
    if (!state) {
      states[adHoc.id] = { jobOpen: true, completing: false };
      rt.metaChanged = true;
      return false;
    }
    return !state.jobOpen;
  }

  /** bpmn-engine waits at an element: the keeper of an ad-hoc sub-process without a job worker activates its elements. */
  elementWaits(rt: Runtime, api: ElementApi): void {
    const adHoc = this.keptBy(rt, api.id);
    if (!adHoc || adHoc.byJobWorker || rt.meta.adHoc?.[adHoc.id]) return;
    (rt.meta.adHoc ??= {})[adHoc.id] = { jobOpen: false, completing: false };
    rt.metaChanged = true;
    const ids = adHoc.activeElementsCollection
      ? evaluateFeel(adHoc.activeElementsCollection, visibleVariables(rt, scopeAround(api)))
      : [];
    if (ids !== null && (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string'))) {
      rt.incident ??= new Error(
        `${adHoc.id}: activeElementsCollection must be a list of element ids, not ${JSON.stringify(ids)}`,
      );
      return;
    }
    const unknown = (ids ?? []).filter((id) => !adHoc.activatable.includes(id as string));
    if (unknown.length > 0) {
      rt.incident ??= new Error(
        `${adHoc.id}: activeElementsCollection names no activatable element ${unknown.join(', ')}`,
      );
      return;
    }
    for (const id of (ids ?? []) as string[]) this.activate(rt, adHoc, id);
    this.completeIfIdle(rt, adHoc, null);
  }

  /** Refuses a job result that does not fit the job, naming the field; nothing has changed yet. */
  checkResult(rt: Runtime, job: StoredJob, result: JobResult | null | undefined): void {
    if (result === null || result === undefined) return;
    if (!isObject(result)) throw new EngineError('INVALID_ARGUMENT', 'result: must be an object');
    const adHoc = rt.definition.compiled.adHocSubProcesses.get(job.elementId);
    if (!adHoc?.byJobWorker || job.elementId !== adHoc.id)
      throw new EngineError(
        'INVALID_ARGUMENT',
        `result: job ${job.key} is not the job of an ad-hoc sub-process or a task listener`,
      );
    if (result.type !== undefined && result.type !== 'adHocSubProcess')
      throw new EngineError(
        'INVALID_ARGUMENT',
        `result.type: must be adHocSubProcess, not ${String(result.type)}`,
      );
    const elements = result.activateElements ?? [];
    if (!Array.isArray(elements))
      throw new EngineError('INVALID_ARGUMENT', 'result.activateElements: must be a list');
    elements.forEach((element, i) => {
      const field = `result.activateElements[${i}]`;
      if (!isObject(element) || typeof element.elementId !== 'string')
        throw new EngineError('INVALID_ARGUMENT', `${field}.elementId: required`);
      if (!adHoc.activatable.includes(element.elementId))
        throw new EngineError(
          'INVALID_ARGUMENT',
          `${field}.elementId: ${element.elementId} is no element of ad-hoc sub-process ${adHoc.id} that can be activated`,
        );
      if (element.variables !== undefined && element.variables !== null && !isObject(element.variables))
        throw new EngineError('INVALID_ARGUMENT', `${field}.variables: must be an object`);
    });
    for (const flag of ['isCompletionConditionFulfilled', 'isCancelRemainingInstances'] as const)
      if (result[flag] !== undefined && typeof result[flag] !== 'boolean')
        throw new EngineError('INVALID_ARGUMENT', `result.${flag}: must be true or false`);
  }

  /**
   * A worker completed a job (inside its step, the job already answered): for the job of an ad-hoc
   * sub-process, its result is applied and true returned; false for any other job.
   */
  jobCompleted(rt: Runtime, job: StoredJob, result: JobResult | null | undefined): boolean {
    const adHoc = rt.definition.compiled.adHocSubProcesses.get(job.elementId);
    const state = rt.meta.adHoc?.[job.elementId];
    if (!adHoc?.byJobWorker || !state) return false;
    state.jobOpen = false;
    rt.metaChanged = true;
    this.host.closeJob(rt, job.executionId);
    for (const element of result?.activateElements ?? []) {
      if (element.variables) this.host.setVariables(rt, element.variables);
      this.activate(rt, adHoc, element.elementId);
    }
    if (result?.isCompletionConditionFulfilled)
      this.startCompleting(rt, adHoc, !!result.isCancelRemainingInstances);
    return true;
  }

  /** An element left: one of an ad-hoc sub-process that completed adds its output and may complete it. */
  elementLeft(rt: Runtime, api: ElementApi, completed: boolean): void {
    const adHocs = rt.definition.compiled.adHocSubProcesses;
    if (adHocs.has(api.id)) {
      // The ad-hoc sub-process itself left.
      if (rt.meta.adHoc?.[api.id]) delete rt.meta.adHoc[api.id];
      this.keeperJobs.delete(keyOf(rt, api.id));
      return;
    }
    const adHoc = adHocs.get(rt.definition.compiled.parents.get(api.id) ?? '');
    const state = adHoc && rt.meta.adHoc?.[adHoc.id];
    if (!adHoc || !state || !completed || api.id === adHoc.keeperId || api.type === 'bpmn:BoundaryEvent')
      return;
    this.collectOutput(rt, adHoc, api);
    if (state.completing) return this.completeIfIdle(rt, adHoc, api.executionId);
    if (adHoc.byJobWorker) {
      if (!state.jobOpen) this.reopenJob(rt, adHoc, state);
      return;
    }
    const fulfilled = adHoc.completionCondition
      ? evaluateFeel(adHoc.completionCondition, visibleVariables(rt, scopeAround(api))) === true
      : this.active(rt, adHoc, api.executionId).length === 0;
    if (fulfilled) this.startCompleting(rt, adHoc, adHoc.cancelRemainingInstances, api.executionId);
  }

  private keptBy(rt: Runtime, keeperId: string): AdHocSubProcessSpec | undefined {
    for (const adHoc of rt.definition.compiled.adHocSubProcesses.values())
      if (adHoc.keeperId === keeperId) return adHoc;
    return undefined;
  }

  private activate(rt: Runtime, adHoc: AdHocSubProcessSpec, elementId: string): void {
    const activity = scopeExecution(rt, adHoc.id)?.getActivityById(elementId);
    if (!activity) throw new Error(`${adHoc.id}: the ad-hoc sub-process does not run`);
    if (activity.isRunning) {
      this.logger.warn(
        `ENGINE-015 instance ${rt.meta.instance.id} ${adHoc.id}: ${elementId} is active already and is not activated again`,
      );
      return;
    }
    rt.engineMoved = true;
    activity.run();
  }

  private startCompleting(
    rt: Runtime,
    adHoc: AdHocSubProcessSpec,
    cancelRemaining: boolean,
    leaving?: string,
  ): void {
    rt.meta.adHoc![adHoc.id].completing = true;
    rt.metaChanged = true;
    if (cancelRemaining) for (const api of this.active(rt, adHoc, leaving ?? null)) api.discard();
    this.completeIfIdle(rt, adHoc, leaving ?? null);
  }

  /** Completes the ad-hoc sub-process (its keeper goes on) when no element of it is active. */
  private completeIfIdle(rt: Runtime, adHoc: AdHocSubProcessSpec, leaving: string | null): void {
    const state = rt.meta.adHoc?.[adHoc.id];
    if (!state || this.active(rt, adHoc, leaving).length > 0) return;
    if (!state.completing && (adHoc.byJobWorker || adHoc.completionCondition)) return;
    rt.engineMoved = true;
    if (adHoc.byJobWorker) {
      const keeper = this.keeperJobs.get(keyOf(rt, adHoc.id));
      if (!keeper) throw new Error(`${adHoc.id}: the ad-hoc sub-process's job is not waiting in the engine`);
      keeper.callback(null, {});
      return;
    }
    const api = scopeExecution(rt, adHoc.id)
      ?.getPostponed()
      .find((a) => a.id === adHoc.keeperId);
    api?.signal({});
  }

  private reopenJob(rt: Runtime, adHoc: AdHocSubProcessSpec, state: AdHocState): void {
    const keeper = this.keeperJobs.get(keyOf(rt, adHoc.id));
    if (!keeper) throw new Error(`${adHoc.id}: the ad-hoc sub-process's job is not waiting in the engine`);
    state.jobOpen = true;
    rt.metaChanged = true;
    this.host.openJob(rt, keeper.spec, keeper.type, keeper.executionId, keeper.callback);
  }

  private collectOutput(rt: Runtime, adHoc: AdHocSubProcessSpec, api: ElementApi): void {
    if (!adHoc.outputCollection || !adHoc.outputElement) return;
    const output = evaluateFeel(adHoc.outputElement, visibleVariables(rt, scopeAround(api)));
    const collected = rt.meta.variables[adHoc.outputCollection];
    this.host.setVariables(rt, {
      [adHoc.outputCollection]: [...(Array.isArray(collected) ? collected : []), output],
    });
  }

  /** The elements of the ad-hoc sub-process that are active, but for the keeper and the one leaving. */
  private active(rt: Runtime, adHoc: AdHocSubProcessSpec, leaving: string | null) {
    return (scopeExecution(rt, adHoc.id)?.getPostponed() ?? []).filter(
      (api) => api.id !== adHoc.keeperId && api.type !== 'bpmn:BoundaryEvent' && api.executionId !== leaving,
    );
  }
}

function keyOf(rt: Runtime, adHocId: string): string {
  return `${rt.meta.instance.id}\u0000${adHocId}`;
}
