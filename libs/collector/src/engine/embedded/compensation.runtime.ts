/**
 * Runs compensation (`compensations.ts` reads it): the completions of compensation activities are recorded
 * with the scope they ran in; a compensation throw or end event takes those of its scope (or of its
 * `activityRef` only), starts their handlers in that scope, all at once and in reverse order of completion
 * (a handler of an activity that completed several times runs that many times, one run after the other), and
 * completes when the last of them is done; with nothing to compensate it completes at once. A compensated
 * completion is not compensated again. Handlers that are jobs wait for a worker like any job.
 */
import { type Logger } from '@nestjs/common';
import { type ElementApi, type RunningCompensation, type Runtime } from './instance-state';
import { scopeExecution } from './scope-executions';
import { scopeAround } from './variable-scopes';

/** What bpmn-engine tells a throw event's service behaviour. */
export interface ThrowContent {
  executionId: string;
}

type Done = (error: Error | null, output?: unknown) => void;

export class Compensations {
  /** The callbacks of the waiting throw events, by instance and execution id (set again after a reload). */
  private readonly waiting = new Map<string, Done>();

  constructor(
    /** Runs an action in a later step of the instance, its engine loaded. */
    private readonly later: (rt: Runtime, action: () => void) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  /**
   * An element completed: a compensation activity is recorded. (bpmn-engine reports ends in the order elements
   * complete; it reports an element's leave only after what follows it ran up to a wait.)
   */
  elementEnded(rt: Runtime, api: ElementApi): void {
    if (!rt.definition.compiled.compensations.handlers.has(api.id)) return;
    (rt.meta.compensable ??= []).push({ elementId: api.id, scope: scopeAround(api) ?? null });
    rt.metaChanged = true;
  }

  /** An element left: a handler that is done is counted; the completions inside a scope left are dropped. */
  elementLeft(rt: Runtime, api: ElementApi): void {
    const compensations = rt.definition.compiled.compensations;
    if (compensations.handlers.size === 0) return;
    if (compensations.throws.has(api.id)) {
      this.waiting.delete(keyOf(rt, api.executionId));
      if (rt.meta.compensating?.[api.executionId]) {
        delete rt.meta.compensating[api.executionId];
        rt.metaChanged = true;
      }
    }
    // Completions inside a scope that is left can no longer be compensated.
    if (rt.meta.compensable?.some((c) => c.scope === api.executionId)) {
      rt.meta.compensable = rt.meta.compensable.filter((c) => c.scope !== api.executionId);
      rt.metaChanged = true;
    }
    for (const [executionId, running] of Object.entries(rt.meta.compensating ?? {})) {
      const at = running.running.indexOf(api.id);
      if (at < 0) continue;
      running.running.splice(at, 1);
      rt.metaChanged = true;
      // bpmn-engine runs an element again only once it has left.
      if (running.queued.includes(api.id)) this.runAgain(rt, executionId, api.id);
      else if (running.running.length === 0) this.finish(rt, executionId);
      return;
    }
  }

  /**
   * The service behaviour of a compensation throw or end event: starts the handlers of what it compensates,
   * or, after a reload, finds the compensation it had started; completes at once when there is nothing.
   */
  compensate(rt: Runtime, elementId: string, content: ThrowContent, done: Done): void {
    const spec = rt.definition.compiled.compensations.throws.get(elementId)!;
    const executionId = content.executionId;
    this.waiting.set(keyOf(rt, executionId), done);
    const started = rt.meta.compensating?.[executionId];
    if (started) {
      // Stopped before a handler ran again.
      for (const handlerId of new Set(started.queued))
        if (!started.running.includes(handlerId)) this.runAgain(rt, executionId, handlerId);
      return;
    }
    const scope = spec.scopeId === null ? null : scopeExecutionOf(rt, executionId, spec.inEventSubProcess);
    const completions = rt.meta.compensable ?? [];
    const taken = completions.filter(
      (c) => c.scope === scope && (spec.activityRef === null || c.elementId === spec.activityRef),
    );
    if (taken.length === 0) return this.finish(rt, executionId);
    rt.meta.compensable = completions.filter((c) => !taken.includes(c));
    const handlers = rt.definition.compiled.compensations.handlers;
    const running: RunningCompensation = { scopeId: spec.scopeId, running: [], queued: [] };
    (rt.meta.compensating ??= {})[executionId] = running;
    rt.metaChanged = true;
    rt.engineMoved = true;
    for (const completion of taken.reverse()) {
      const handlerId = handlers.get(completion.elementId)!;
      if (running.running.includes(handlerId)) running.queued.push(handlerId);
      else this.run(rt, running, handlerId);
    }
  }

  private run(rt: Runtime, running: RunningCompensation, handlerId: string): void {
    const activity = scopeExecution(rt, running.scopeId)?.getActivityById(handlerId);
    if (!activity)
      throw new Error(`${handlerId}: the compensation handler cannot run: its scope is not running`);
    running.running.push(handlerId);
    rt.engineMoved = true;
    activity.run();
  }

  private runAgain(rt: Runtime, executionId: string, handlerId: string): void {
    this.later(rt, () => {
      const running = rt.meta.compensating?.[executionId];
      const at = running?.queued.indexOf(handlerId) ?? -1;
      if (!running || at < 0 || running.running.includes(handlerId)) return;
      running.queued.splice(at, 1);
      this.run(rt, running, handlerId);
    }).catch((error: unknown) =>
      this.logger.error(
        `ENGINE-017 instance ${rt.meta.instance.id} compensation handler ${handlerId} did not run again: ${(error as Error).message}`,
      ),
    );
  }

  private finish(rt: Runtime, executionId: string): void {
    const done = this.waiting.get(keyOf(rt, executionId));
    this.waiting.delete(keyOf(rt, executionId));
    if (rt.meta.compensating?.[executionId]) {
      delete rt.meta.compensating[executionId];
      rt.metaChanged = true;
    }
    rt.engineMoved = true;
    done?.(null, {});
  }
}

/**
 * The execution id of the sub-process a throw event compensates in: the scope around its own (an element inside
 * a sub-process has a variable scope, `variable-scopes.ts`), or around its event sub-process's.
 */
function scopeExecutionOf(rt: Runtime, executionId: string, inEventSubProcess: boolean): string | null {
  const around = rt.meta.locals?.[executionId]?.parent;
  return (inEventSubProcess ? around && rt.meta.locals?.[around]?.parent : around) ?? null;
}

function keyOf(rt: Runtime, executionId: string): string {
  return `${rt.meta.instance.id}\u0000${executionId}`;
}
