import { randomUUID } from 'node:crypto';
import { type Logger } from '@nestjs/common';
import { type Variables } from '../engine.port';
import { resolveAttribute } from './feel';
import { type CallingInstance, type ElementApi, type OpenCall, type Runtime } from './instance-state';
import { openScope, scopeAround, scopeOf, visibleVariables } from './variable-scopes';

/** What call activities need of the engine. */
export interface CallActivitiesHost {
  get(instanceId: string): Runtime | undefined;
  step<T>(rt: Runtime, action: () => Promise<T> | T): Promise<T>;
  ensureEngine(rt: Runtime): Promise<void>;
  setVariables(rt: Runtime, variables: Variables, fromExecutionId?: string): void;
  /** Starts an instance of the latest version of a process (at its none start event) as a called one. */
  startCalled(
    processId: string,
    instanceId: string,
    variables: Variables,
    caller: CallingInstance,
  ): Promise<void>;
  /** Cancels a running instance. */
  cancel(instanceId: string): Promise<void>;
}

/**
 * Call activities as Camunda 8 runs them. A call activity instance starts an instance of the called process
 * (the latest version, a process instance of its own that knows its caller) with the variables it sees, or
 * only its input mappings' when `propagateAllParentVariables` is false, and waits. When the child ends, its
 * variables are set in the call activity's scope, where its output mappings read them, and, unless
 * `propagateAllChildVariables` is false, around it; then the caller goes on. A child that fails (an incident)
 * or is cancelled fails the call activity, naming it; a call activity that is left (its instance cancelled, a
 * boundary event) cancels its child. The child is started after the step that reached the call activity.
 *
 * Log codes: `ENGINE-06x`.
 */
export class CallActivities {
  constructor(
    private readonly host: CallActivitiesHost,
    private readonly logger: Logger,
  ) {}

  /** bpmn-engine's call activity instance waits (also when replayed as its engine is loaded again). */
  called(rt: Runtime, api: ElementApi): void {
    rt.waiting.set(api.executionId, api);
    rt.meta.calls ??= {};
    if (rt.meta.calls[api.executionId]) return;
    const spec = rt.definition.compiled.callActivities.get(api.id);
    if (!spec) throw new Error(`${api.id}: a call activity without zeebe:calledElement`);
    const visible = visibleVariables(rt, api.executionId);
    const processId = String(resolveAttribute(spec.processId, visible) ?? '');
    const variables = spec.propagateAllParentVariables ? { ...visible } : this.mappedInputs(rt, api);
    const call: OpenCall = { elementId: api.id, processId, childInstanceId: randomUUID() };
    rt.meta.calls[api.executionId] = call;
    rt.metaChanged = true;
    const caller = { instanceId: rt.meta.instance.id, elementId: api.id, executionId: api.executionId };
    void this.host
      .startCalled(processId, call.childInstanceId, variables, caller)
      .catch((error: unknown) =>
        this.fail(
          rt,
          api.executionId,
          call,
          `cannot start process ${processId}: ${(error as Error).message}`,
        ),
      );
  }

  /** A call activity instance was left: its child, if still running, is cancelled. */
  left(rt: Runtime, executionId: string): void {
    const call = rt.meta.calls?.[executionId];
    if (!call) return;
    delete rt.meta.calls![executionId];
    rt.metaChanged = true;
    this.cancelChild(call);
  }

  /** The instance ended: the children of its call activities are cancelled. */
  instanceEnded(rt: Runtime): void {
    for (const executionId of Object.keys(rt.meta.calls ?? {})) this.left(rt, executionId);
  }

  /** A called instance ended (finished, cancelled or by an incident): its caller is told in a step of its own. */
  childEnded(child: Runtime, finished: boolean, reason: string): void {
    const caller = child.meta.calledBy;
    const rt = caller ? this.host.get(caller.instanceId) : undefined;
    if (!caller || !rt) return;
    const variables = { ...child.meta.variables };
    const childId = child.meta.instance.id;
    void this.host
      .step(rt, async () => {
        const call = rt.meta.calls?.[caller.executionId];
        if (rt.ended || call?.childInstanceId !== childId) return;
        if (!finished) {
          rt.incident ??= new Error(
            `${call.elementId}: the called instance ${childId} of ${call.processId} ${reason}`,
          );
          return;
        }
        await this.host.ensureEngine(rt);
        const api = rt.waiting.get(caller.executionId);
        if (!api) throw new Error(`${call.elementId}: the call activity is not waiting in the engine`);
        delete rt.meta.calls![caller.executionId];
        this.completeWith(rt, api, variables);
        rt.engineMoved = true;
        api.signal({});
      })
      .catch((error: unknown) =>
        this.logger.error(
          `ENGINE-060 instance ${caller.instanceId} call activity ${caller.elementId}: the end of its child ${childId} was not taken: ${(error as Error).message}`,
        ),
      );
  }

  /** The variables of a call activity instance's input mappings: all a child gets without the others. */
  private mappedInputs(rt: Runtime, api: ElementApi): Variables {
    const locals = scopeOf(rt, api.executionId)?.variables ?? {};
    const names = (rt.definition.compiled.ioMappings.get(api.id)?.inputs ?? []).map(
      (i) => i.target.split('.')[0],
    );
    return Object.fromEntries(names.filter((n) => Object.hasOwn(locals, n)).map((n) => [n, locals[n]]));
  }

  /**
   * The child's variables go, all of them, from the call activity instance's scope outwards (those it has stay
   * there); with `propagateAllChildVariables` false they stay in its scope, for its output mappings only.
   */
  private completeWith(rt: Runtime, api: ElementApi, variables: Variables): void {
    const spec = rt.definition.compiled.callActivities.get(api.id);
    const scope = scopeOf(rt, api.executionId) ?? openScope(rt, api.executionId, api.id, scopeAround(api));
    if (spec?.propagateAllChildVariables !== false) {
      this.host.setVariables(rt, variables, api.executionId);
      return;
    }
    scope.variables = { ...scope.variables, ...variables };
    rt.metaChanged = true;
  }

  private fail(rt: Runtime, executionId: string, call: OpenCall, reason: string): void {
    void this.host
      .step(rt, () => {
        if (rt.ended || rt.meta.calls?.[executionId] !== call) return;
        rt.incident ??= new Error(`${call.elementId}: ${reason}`);
      })
      .catch((error: unknown) =>
        this.logger.error(`ENGINE-061 instance ${rt.meta.instance.id}: ${(error as Error).message}`),
      );
  }

  private cancelChild(call: OpenCall): void {
    const child = this.host.get(call.childInstanceId);
    if (!child || child.ended) return;
    void this.host
      .cancel(call.childInstanceId)
      .catch((error: unknown) =>
        this.logger.warn(
          `ENGINE-062 the called instance ${call.childInstanceId} could not be cancelled: ${(error as Error).message}`,
        ),
      );
  }
}
