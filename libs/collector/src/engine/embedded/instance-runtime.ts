import { type Logger } from '@nestjs/common';
import { jsonEquals } from '@eddy/contracts';
import { traceparentOf } from '@eddy/observability';
import { Engine } from 'bpmn-engine';
import { EngineError } from '../engine.errors';
import { type EngineTransaction, type TaskCancellationReason, type Variables } from '../engine.port';
import { businessRuleTaskBehaviour } from './dmn/business-rule-task';
import { type DecisionRepository } from './dmn/decisions';
import { type EmbeddedEngineStore } from './embedded-engine.store';
import { evaluateFeel, isFeel } from './feel';
import {
  emitEvent,
  type CompiledDefinition,
  type ElementApi,
  type InstanceMeta,
  type NewEngineEvent,
  type OpenTask,
  type Runtime,
} from './instance-state';
import { type CallActivities } from './call-activities';
import { type Signals } from './signals';
import { AdHocSubProcesses } from './ad-hoc-sub-process.runtime';
import { Compensations } from './compensation.runtime';
import { EventSubProcessTriggers } from './event-sub-process-triggers';
import { type Jobs } from './jobs/jobs';

import { COMPLETION_CONDITION, INPUT_COLLECTION } from './dialect-elements';
import { IoMappings } from './io-mappings';
import { type MessageSubscriptions } from './message-subscriptions';
import { isInnerInstance, MultiInstances, type LoopContent } from './multi-instance';
import { RuntimeTimers } from './runtime-timers';
import { zeebeScripts } from './script-tasks';
import {
  serviceTaskBehaviour,
  type ServiceRetryOptions,
  type ServiceTaskHandler,
} from './service-task.runner';
import { type TransactionOutbox } from './transaction-outbox';
import { type UserTasks } from './user-tasks';
import { TaskListeners, type TaskListenerHost } from './task-listener.runtime';
import { terminateScope } from './terminate-end-event.runtime';
import {
  dropScope,
  propagateToScopes,
  scopeAround,
  scopeOfMessage,
  visibleVariables,
  type MessageScope,
} from './variable-scopes';

export interface InstanceRuntimesOptions {
  serviceHandlers: Record<string, ServiceTaskHandler>;
  serviceRetries: ServiceRetryOptions;
  maxLiveInstances: number;
  decisions: DecisionRepository;
}

/** The elements that hold others: their event sub-processes start while they run. */
const SCOPES = new Set(['bpmn:SubProcess', 'bpmn:AdHocSubProcess']);

/**
 * The running instances and their steps. Each instance has its own bpmn-engine `Engine`; a step (start,
 * complete, a timer that fires, a message) runs it up to its next wait states, and the events it caused form
 * one transaction, stored with the instance's new state in one batch of the store before it goes to the
 * outbox. Steps of one instance run one after the other; steps of different instances interleave freely.
 * Idle engines beyond `maxLiveInstances` are dropped and reloaded from their stored state on demand.
 */
export class InstanceRuntimes {
  /** Told when an instance starts waiting at a message event (a buffered message may be for it). */
  subscriptionOpened: ((rt: Runtime, key: string) => void) | null = null;
  /** The jobs of the job-based elements without an in-process handler (set once by the engine). */
  jobs!: Jobs;
  /** The call activities' children (set once by the engine). */
  callActivities!: CallActivities;
  /** Signal catch and throw events (set once by the engine). */
  signals!: Signals;
  /** What makes the user task operations that task listeners held take effect (set once by the engine). */
  taskOperations!: { apply: TaskListenerHost['applyOperation'] };
  private readonly runtimes = new Map<string, Runtime>();
  /** Instances whose engine is in memory, least recently used first. */
  private readonly live = new Map<string, Runtime>();
  private readonly ioMappings = new IoMappings((rt, variables, from) =>
    this.setVariables(rt, variables, from),
  );
  private readonly multiInstances = new MultiInstances(this.ioMappings, (rt, variables, from) =>
    this.setVariables(rt, variables, from),
  );
  /** Elements that completed and have not left yet, by execution id. */
  private readonly endedExecutions = new Set<string>();
  /** Timer, message and interrupting escalation event sub-processes. */
  readonly eventSubProcesses: EventSubProcessTriggers;
  readonly adHocSubProcesses: AdHocSubProcesses;
  readonly taskListeners: TaskListeners;
  private readonly compensations: Compensations;
  /** bpmn-engine's default logger (debug) costs more than the steps themselves: keep only its errors. */
  private readonly engineLogger = (scope: string) => ({
    debug: () => undefined,
    warn: () => undefined,
    error: (...args: unknown[]) => this.logger.error(`ENGINE-031 ${scope}: ${args.map(String).join(' ')}`),
  });

  constructor(
    private readonly store: EmbeddedEngineStore,
    private readonly outbox: TransactionOutbox,
    private readonly userTasks: UserTasks,
    private readonly subscriptions: MessageSubscriptions,
    private readonly options: InstanceRuntimesOptions,
    readonly now: () => string,
    private readonly logger: Logger,
  ) {
    this.eventSubProcesses = new EventSubProcessTriggers(
      subscriptions,
      (rt, elementId) => this.subscriptionOpened?.(rt, elementId),
      logger,
    );
    this.adHocSubProcesses = new AdHocSubProcesses(
      {
        setVariables: (rt, variables) => this.setVariables(rt, variables),
        openJob: (...args) => this.jobs.wait(...args),
        closeJob: (rt, executionId) => this.jobs.elementLeft(rt, executionId),
      },
      logger,
    );
    this.compensations = new Compensations(
      (rt, action) =>
        this.step(rt, async () => {
          await this.ensureEngine(rt);
          rt.engineMoved = true;
          this.mapping(rt, action);
        }),
      logger,
    );
    this.taskListeners = new TaskListeners(
      {
        openJob: (...args) => this.jobs.wait(...args),
        closeJob: (rt, executionId) => this.jobs.elementLeft(rt, executionId),
        createTask: (rt, api, corrections) => this.userTasks.create(rt, api, corrections),
        applyOperation: (...args) => this.taskOperations.apply(...args),
      },
      logger,
    );
  }

  get size(): number {
    return this.runtimes.size;
  }

  get(instanceId: string): Runtime | undefined {
    return this.runtimes.get(instanceId);
  }

  /** Adds an instance, new or read from the store; its engine is created or loaded by its first step. */
  add(definition: CompiledDefinition, meta: InstanceMeta): Runtime {
    const rt: Runtime = {
      meta,
      definition,
      engine: null,
      timers: undefined as unknown as RuntimeTimers,
      waiting: new Map(),
      pending: [],
      completing: null,
      engineMoved: false,
      metaChanged: false,
      variablesChanged: false,
      ended: false,
      incident: null,
      queue: Promise.resolve(),
      busy: 0,
      consumedMessages: [],
      startRequest: null,
      inFlight: 0,
    };
    rt.timers = new RuntimeTimers((fire) => {
      this.step(rt, async () => {
        await this.ensureEngine(rt);
        rt.engineMoved = true;
        fire();
      }).catch((error: unknown) =>
        this.logger.error(
          `ENGINE-010 instance ${meta.instance.id}: timer step failed: ${(error as Error).message}`,
        ),
      );
    });
    this.runtimes.set(meta.instance.id, rt);
    return rt;
  }

  /**
   * Runs a new instance's first step: its start event, up to its first wait states. An instance started by a
   * message goes on at its message start event (which bpmn-engine makes wait for the message).
   */
  async start(rt: Runtime, startUserId: string | null, messageStartId?: string): Promise<void> {
    await this.step(rt, async () => {
      this.emit(rt, rt.meta.instance.id, {
        type: 'processInstance.started',
        instance: rt.meta.instance,
        variables: { ...rt.meta.variables },
        startUserId,
      });
      const engine = this.createEngine(rt);
      rt.engine = engine;
      this.touchLive(rt);
      rt.engineMoved = true;
      await engine.execute();
      if (!rt.ended) this.eventSubProcesses.scopeStarted(rt, null);
      if (messageStartId) {
        const api = engine.execution.getPostponed().find((a: { id: string }) => a.id === messageStartId) as
          ElementApi | undefined;
        api?.signal({ ...rt.meta.variables });
      }
    });
  }

  /**
   * Runs one step of an instance after the previous one, then stores its state and its transaction in the
   * next batch and waits for the batch to be written.
   */
  step<T>(rt: Runtime, action: () => Promise<T> | T): Promise<T> {
    const run = async (): Promise<T> => {
      rt.busy++;
      try {
        let result: T;
        try {
          result = await action();
        } finally {
          this.checkIncident(rt);
        }
        await this.commit(rt);
        return result;
      } catch (error) {
        // The action refused before changing anything, or failed midway: keep what it changed.
        if (rt.pending.length > 0 || rt.engineMoved || rt.metaChanged) await this.commit(rt);
        throw error;
      } finally {
        rt.busy--;
        this.evictIdle();
      }
    };
    const result = rt.queue.then(run, run);
    rt.queue = result.catch(() => undefined);
    return result;
  }

  /** Loads the instance's engine from its stored state when it is not in memory. */
  async ensureEngine(rt: Runtime): Promise<void> {
    if (rt.engine) {
      this.touchLive(rt);
      return;
    }
    const state = this.store.loadEngineState(rt.meta.instance.id);
    if (!state)
      throw new EngineError('UNKNOWN_PROCESS_INSTANCE', `no stored state of instance ${rt.meta.instance.id}`);
    const engine = this.createEngine(rt);
    engine.recover(JSON.parse(state));
    rt.engine = engine;
    this.touchLive(rt);
    await engine.resume();
    this.eventSubProcesses.restore(rt);
  }

  /**
   * Merges variables into the instance's; an actual change is reported to the open tasks at commit. Set from
   * an element instance (`fromExecutionId`), each goes to the nearest scope around it that has a variable of
   * its name, as Camunda 8 propagates them, and only the others to the process variables.
   */
  setVariables(rt: Runtime, variables: Variables, fromExecutionId?: string): void {
    const rest = fromExecutionId ? propagateToScopes(rt, fromExecutionId, variables) : variables;
    if (rest !== variables) rt.variablesChanged = true;
    for (const [name, value] of Object.entries(rest)) {
      if (!Object.hasOwn(rt.meta.variables, name) || !jsonEquals(rt.meta.variables[name], value)) {
        rt.variablesChanged = true;
      }
      rt.meta.variables[name] = value;
    }
  }

  emit(rt: Runtime, elementInstanceId: string, event: NewEngineEvent): void {
    emitEvent(rt, elementInstanceId, event, this.now());
  }

  /** Cancels what is still open, records the end event and stops the engine. */
  endInstance(rt: Runtime, taskReason: TaskCancellationReason, event: NewEngineEvent): void {
    for (const open of Object.values(rt.meta.tasks)) this.userTasks.cancel(rt, open, taskReason);
    for (const key of Object.keys(rt.meta.subscriptions)) this.subscriptions.unsubscribe(rt, key);
    this.jobs.forget(rt);
    this.callActivities.instanceEnded(rt);
    this.signals.forget(rt);
    this.emit(rt, rt.meta.instance.id, event);
    rt.ended = true;
    rt.timers.clearAll();
    if (rt.meta.calledBy) {
      const finished = event.type === 'processInstance.finished';
      const reason =
        event.type === 'processInstance.cancelled'
          ? event.reason === 'incident'
            ? `failed: ${event.error ?? 'an incident'}`
            : 'was cancelled'
          : 'ended';
      this.callActivities.childEnded(rt, finished, reason);
    }
  }

  /** Stops every timer and waits for the steps under way. */
  async close(): Promise<void> {
    for (const rt of this.runtimes.values()) rt.timers.clearAll();
    await Promise.all([...this.runtimes.values()].map((rt) => rt.queue));
  }

  private async commit(rt: Runtime): Promise<void> {
    if (rt.pending.length === 0 && !rt.engineMoved && !rt.metaChanged) return;
    const meta = rt.meta;
    if (rt.variablesChanged && !rt.ended) {
      const reported = new Set(rt.pending.flatMap((event) => ('task' in event ? [event.task.id] : [])));
      for (const open of Object.values(meta.tasks)) {
        if (!reported.has(open.task.id)) {
          this.emit(rt, open.executionId, { type: 'task.variablesChanged', task: open.task });
        }
      }
    }
    rt.variablesChanged = false;
    const events = rt.pending;
    rt.pending = [];
    let tx: EngineTransaction | null = null;
    if (events.length > 0) {
      const snapshot = { ...meta.variables };
      const variables: Record<string, Variables> = {};
      for (const event of events) if ('task' in event) variables[event.task.id] = snapshot;
      // A task also sees the local variables of its own input mappings and of the sub-processes it is in.
      const hasLocals = meta.locals !== undefined && Object.keys(meta.locals).length > 0;
      for (const open of hasLocals ? Object.values(meta.tasks) : []) {
        if (variables[open.task.id]) {
          variables[open.task.id] = {
            ...visibleVariables(rt, open.executionId),
          };
        }
      }
      tx = {
        id: `${meta.instance.id}:${++meta.txSeq}`,
        processInstanceId: meta.instance.id,
        events,
        variables,
      };
      // The step runs in the context of the call that queued it (see `step`): its span, if traced.
      const traceparent = traceparentOf();
      if (traceparent !== undefined) tx.traceparent = traceparent;
    }
    let write: { meta: string; engineState: string | undefined } | 'delete';
    if (rt.ended) {
      write = 'delete';
    } else {
      meta.hasTimers = rt.timers.size > 0 || rt.inFlight > 0;
      const engineState =
        rt.engineMoved && rt.engine
          ? JSON.stringify({
              name: meta.instance.id,
              definitions: [rt.engine.execution.definitions[0].getState()],
            })
          : undefined;
      write = { meta: JSON.stringify(meta), engineState };
    }
    rt.engineMoved = false;
    rt.metaChanged = false;
    const consumed = rt.consumedMessages;
    rt.consumedMessages = [];
    const startRequest = rt.startRequest;
    rt.startRequest = null;
    const entry = await this.store.commitStep(meta.instance.id, write, tx, consumed, startRequest);
    if (rt.ended) this.forget(rt);
    if (entry) this.outbox.add(entry);
  }

  private createEngine(rt: Runtime): Engine {
    const engine = new Engine({
      name: rt.meta.instance.id,
      sourceContext: rt.definition.compiled.sourceContext as never,
      listener: { emit: (name: string, api: ElementApi) => this.onEngineEvent(rt, name, api) },
      timers: rt.timers as never,
      scripts: zeebeScripts(rt, (target, variables, from) => this.setVariables(target, variables, from)),
      Logger: this.engineLogger,
      expressions: {
        resolveExpression: (expression: string, message?: { content?: LoopContent & MessageScope }) => {
          if (expression === INPUT_COLLECTION)
            return this.multiInstances.inputCollection(rt, message?.content);
          if (expression === COMPLETION_CONDITION)
            return this.multiInstances.completionConditionMet(message?.content);
          if (!isFeel(expression)) return expression;
          return evaluateFeel(expression, visibleVariables(rt, scopeOfMessage(rt, message?.content)));
        },
        isExpression: (text: string) => isFeel(text),
        hasExpression: (text: string) => isFeel(text),
      },
      extensions: {
        eddyServiceTasks: (activity: { id: string; behaviour: Record<string, unknown> }) => {
          const compiled = rt.definition.compiled;
          if (
            compiled.jobElements.has(activity.id) ||
            compiled.uncaughtErrorEnds.has(activity.id) ||
            compiled.compensations.throws.has(activity.id) ||
            compiled.errorEventSubProcesses.errorEnds.has(activity.id)
          ) {
            activity.behaviour.Service = serviceTaskBehaviour(rt, {
              handlers: this.options.serviceHandlers,
              retries: this.options.serviceRetries,
              step: (target, action) => this.step(target, action),
              setVariables: (target, variables, from) => this.setVariables(target, variables, from),
              waitForWorker: (...args) => {
                if (!this.adHocSubProcesses.keeperWaits(...args)) this.jobs.wait(...args);
              },
              raiseUncaughtError: (...args) => this.jobs.raiseUncaughtError(...args),
              compensate: (...args) => this.mapping(rt, () => this.compensations.compensate(...args)),
              logger: this.logger,
            });
          }
        },
        eddyMultiInstances: (activity: LoopActivity) => this.loopExtension(rt, activity),
        eddyBusinessRuleTasks: (activity: { type: string; behaviour: Record<string, unknown> }) => {
          if (activity.type === 'bpmn:BusinessRuleTask') {
            activity.behaviour.Service = businessRuleTaskBehaviour(
              rt,
              this.options.decisions,
              (target, variables, from) => this.setVariables(target, variables, from),
            );
          }
        },
      },
    } as never);
    engine.on('error', (error: Error) => {
      rt.incident = error;
    });
    return engine;
  }

  private onEngineEvent(rt: Runtime, name: string, api: ElementApi): void {
    if (rt.ended) return;
    const meta = rt.meta;
    switch (name) {
      case 'activity.start': {
        const compiled = rt.definition.compiled;
        const parent = scopeAround(api);
        if (compiled.loops.has(api.id)) this.multiInstances.bodyStarted(rt, api.id, api.executionId, parent);
        else if (
          compiled.ioMappings.has(api.id) ||
          compiled.parents.has(api.id) ||
          compiled.callActivities.has(api.id)
        )
          this.mapping(rt, () => this.ioMappings.enter(rt, api.id, api.executionId, parent));
        this.eventSubProcesses.elementEntered(rt, api);
        if (SCOPES.has(api.type)) this.eventSubProcesses.scopeStarted(rt, api.id);
        return;
      }
      case 'activity.wait': {
        if (api.type === 'bpmn:UserTask') {
          rt.waiting.set(api.executionId, api);
          if (!this.taskListeners.holdCreation(rt, api) && !meta.tasks[api.executionId])
            this.userTasks.create(rt, api);
          return;
        }
        this.adHocSubProcesses.elementWaits(rt, api);
        this.signals.elementWaits(rt, api);
        const spec = rt.definition.compiled.messageEvents.get(api.id);
        // Kept to be signalled: bpmn-engine's postponed list holds no element inside a sub-process.
        if (spec) rt.waiting.set(api.executionId, api);
        const key = api.executionId;
        if (spec && !meta.subscriptions[key] && this.subscriptions.subscribe(rt, spec.elementId, key)) {
          this.subscriptionOpened?.(rt, key);
        }
        return;
      }
      case 'activity.end': {
        this.endedExecutions.add(api.executionId);
        this.compensations.elementEnded(rt, api);
        this.mapping(rt, () => {
          if (rt.definition.compiled.loops.has(api.id))
            this.multiInstances.bodyCompleted(rt, api.id, api.executionId);
          else this.ioMappings.leave(rt, api.id, api.executionId);
        });
        if (rt.definition.compiled.terminateEnds.has(api.id))
          terminateScope(
            rt,
            api,
            (task, reason) => this.userTasks.cancel(rt, task, reason),
            (executionId) => this.endedExecutions.has(executionId),
          );
        const open = meta.tasks[api.executionId];
        if (open && rt.completing?.executionId === api.executionId) {
          this.userTasks.close(rt, open);
          this.emit(rt, open.executionId, {
            type: 'task.completed',
            task: open.task,
            variables: rt.completing.variables,
          });
        }
        return;
      }
      case 'activity.leave':
      case 'activity.discard': {
        dropScope(rt, api.executionId);
        if (!meta.tasks[api.executionId]) rt.waiting.delete(api.executionId);
        const open = meta.tasks[api.executionId];
        if (open) this.userTasks.cancel(rt, open, 'boundaryEvent');
        // By execution id, or by element id as instances stored before kept them. The subscription of an
        // event sub-process's message start event lives as long as its scope.
        if (!this.eventSubProcesses.isMessageStart(rt, api.id)) {
          for (const key of [api.executionId, api.id])
            if (meta.subscriptions[key]?.elementId === api.id) this.subscriptions.unsubscribe(rt, key);
        }
        this.jobs.elementLeft(rt, api.executionId);
        this.callActivities.left(rt, api.executionId);
        this.taskListeners.elementLeft(rt, api.executionId);
        if (SCOPES.has(api.type)) {
          this.eventSubProcesses.scopeEnded(rt, api.id);
          this.eventSubProcesses.elementLeft(rt, api.id);
        }
        // bpmn-engine reports the end of an element that completed before it leaves.
        const completed = this.endedExecutions.delete(api.executionId) && name === 'activity.leave';
        if (name === 'activity.leave')
          this.mapping(rt, () => this.adHocSubProcesses.elementLeft(rt, api, completed));
        this.signals.elementLeft(rt, api, completed);
        this.mapping(rt, () => this.compensations.elementLeft(rt, api));
        return;
      }
      case 'activity.call': {
        this.mapping(rt, () => this.callActivities.called(rt, api));
        return;
      }
      case 'process.end':
        this.endInstance(rt, 'instanceEnded', { type: 'processInstance.finished', instance: meta.instance });
        return;
    }
  }

  /**
   * bpmn-engine's extension of a multi-instance element: follows its inner instances, which bpmn-engine starts
   * and ends on the element's execution exchange without reporting them.
   */
  private loopExtension(rt: Runtime, activity: LoopActivity) {
    if (!rt.definition.compiled.loops.has(activity.id)) return undefined;
    const tag = '_eddy-multi-instance';
    const onMessage = (routingKey: string, message: { content: LoopContent }) => {
      const content = message.content;
      if (rt.ended || !isInnerInstance(content)) return;
      this.mapping(rt, () => {
        if (routingKey === 'execute.start') this.multiInstances.innerStarted(rt, activity.id, content);
        else if (routingKey === 'execute.completed')
          this.multiInstances.innerEnded(rt, activity.id, content, true);
        else if (routingKey === 'execute.discard' || routingKey === 'execute.cancel') {
          this.multiInstances.innerEnded(rt, activity.id, content, false);
          this.callActivities.left(rt, content.executionId);
        }
      });
    };
    return {
      // Before bpmn-engine's loop (priority 300), which asks for the completion condition.
      activate: () =>
        activity.broker.subscribeTmp('execution', 'execute.#', onMessage, {
          noAck: true,
          consumerTag: tag,
          priority: 500,
        }),
      deactivate: () => activity.broker.cancel(tag),
    };
  }

  /**
   * A user task was signalled to complete. bpmn-engine reports no end of an instance of a multi-instance
   * task: such a task is closed here, with its local variables.
   */
  taskSignalled(rt: Runtime, open: OpenTask, variables: Variables): void {
    if (!rt.meta.tasks[open.executionId] || rt.ended) return;
    dropScope(rt, open.executionId);
    this.userTasks.close(rt, open);
    this.emit(rt, open.executionId, { type: 'task.completed', task: open.task, variables });
  }

  /** Applies mappings; one that fails becomes the instance's incident, as in Camunda 8. */
  private mapping(rt: Runtime, apply: () => void): void {
    try {
      apply();
    } catch (error) {
      rt.incident ??= error as Error;
    }
  }

  private checkIncident(rt: Runtime): void {
    if (!rt.incident || rt.ended) return;
    const error = rt.incident;
    this.logger.error(`ENGINE-030 instance ${rt.meta.instance.id}: ended by an incident: ${error.message}`);
    this.endInstance(rt, 'instanceEnded', {
      type: 'processInstance.cancelled',
      instance: rt.meta.instance,
      reason: 'incident',
      error: error.message,
    });
  }

  private forget(rt: Runtime): void {
    const id = rt.meta.instance.id;
    this.runtimes.delete(id);
    this.live.delete(id);
    rt.engine = null;
    rt.waiting.clear();
  }

  private touchLive(rt: Runtime): void {
    this.live.delete(rt.meta.instance.id);
    this.live.set(rt.meta.instance.id, rt);
  }

  /** Drops the engines of idle instances without timers beyond `maxLiveInstances`; they reload on demand. */
  private evictIdle(): void {
    if (this.live.size <= this.options.maxLiveInstances) return;
    for (const [id, rt] of this.live) {
      if (this.live.size <= this.options.maxLiveInstances) break;
      // A handler still running reports back to this engine; it must not be replaced by a reloaded one.
      if (rt.busy > 0 || rt.timers.size > 0 || rt.inFlight > 0) continue;
      this.live.delete(id);
      rt.engine = null;
      rt.waiting.clear();
    }
  }
}

/** bpmn-engine's activity as its extensions get it, as used here. */
interface LoopActivity {
  id: string;
  broker: {
    subscribeTmp(
      exchange: string,
      pattern: string,
      handler: (routingKey: string, message: { content: LoopContent }) => void,
      options: Record<string, unknown>,
    ): void;
    cancel(consumerTag: string): void;
  };
}
