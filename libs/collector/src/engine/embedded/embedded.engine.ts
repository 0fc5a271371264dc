import { Logger } from '@nestjs/common';
import { jsonEquals } from '@eddy/contracts';
import { toIsoInstant } from './date-time';
import { Engine } from 'bpmn-engine';
import { createHash, randomUUID } from 'node:crypto';
import { EngineError } from '../engine.errors';
import {
  type BpmnResource,
  type CorrelateMessageRequest,
  type DeployedProcessDefinition,
  type EngineEvent,
  type EngineProcessInstance,
  type EngineTask,
  type EngineTransaction,
  type EngineTransactionHandler,
  type MessageCorrelationResult,
  type ProcessEngine,
  type StartedProcessInstance,
  type StartProcessInstanceRequest,
  type TaskCancellationReason,
  type Unsubscribe,
  type Variables,
} from '../engine.port';
import { EmbeddedEngineStore, type EngineDurability, type OutboxEntry } from './embedded-engine.store';
import { evaluateFeel, isFeel, resolveAttribute } from './feel';
import { compileBpmn, splitList, type CompiledProcess, type UserTaskSpec } from './zeebe-model.compiler';

/** A job of a service task, handed to the handler registered for its `zeebe:taskDefinition type`. */
export interface ServiceTaskJob {
  processInstanceId: string;
  elementId: string;
  type: string;
  variables: Variables;
}

/** Runs a service task; the variables it returns are merged into the process variables. */
export type ServiceTaskHandler = (job: ServiceTaskJob) => Variables | void | Promise<Variables | void>;

export interface EmbeddedProcessEngineOptions {
  /** Folder of the engine's SQLite file (created if missing). */
  dataDir: string;
  /** Tenant id put on definitions, instances and tasks. Default none. */
  tenantId?: string;
  /** Service task handlers by `zeebe:taskDefinition type`; service tasks without one complete at once. */
  serviceHandlers?: Record<string, ServiceTaskHandler>;
  /**
   * Attempts of a service task handler that throws or rejects, as Camunda 8 retries a failed job: after the
   * last one the instance fails with an incident. Default 3 attempts, 1 s between the first two, doubling up
   * to 30 s.
   */
  serviceRetries?: { maxAttempts?: number; initialDelayMs?: number; maxDelayMs?: number };
  /** Back-off of redelivery after a handler rejected a transaction. Default 200 ms doubling up to 30 s. */
  redelivery?: { initialDelayMs?: number; maxDelayMs?: number };
  /** Default `full` (fsync per batch). */
  durability?: EngineDurability;
  /**
   * Keep nothing: deployments, instances and the outbox live in an in-memory database and are gone when the
   * engine closes (for a platform whose event store keeps nothing either). Default false.
   */
  inMemory?: boolean;
  /**
   * How many instance engines stay in memory (default 100); idle ones without timers beyond it are dropped
   * and reloaded from their stored state on demand. More is not faster: every engine is a large object graph,
   * and with 1000 kept the garbage collector made starts 15% and completions 30% slower than with 100, reloads
   * included (engine.microbench.ts).
   */
  maxLiveInstances?: number;
  /** Source of event and task times. Default `() => new Date()`. Timers always run on the real clock. */
  clock?: () => Date;
}

interface CompiledDefinition {
  deployed: DeployedProcessDefinition;
  compiled: CompiledProcess;
}

interface OpenTask {
  executionId: string;
  task: EngineTask;
}

interface Subscription {
  elementId: string;
  messageName: string;
  correlationKey: string;
}

/** What is stored of an instance beside bpmn-engine's state. */
interface InstanceMeta {
  instance: EngineProcessInstance;
  variables: Variables;
  /** By bpmn-engine execution id of the user task. */
  tasks: Record<string, OpenTask>;
  /** By element id of the waiting message event. */
  subscriptions: Record<string, Subscription>;
  seq: number;
  txSeq: number;
  /** Timers or service task handlers were running: the instance is loaded when the engine opens. */
  hasTimers: boolean;
}

// bpmn-engine's element API as used here.
interface ElementApi {
  id: string;
  type: string;
  executionId: string;
  signal(message?: unknown): void;
}

interface Runtime {
  meta: InstanceMeta;
  definition: CompiledDefinition;
  engine: Engine | null;
  timers: RuntimeTimers;
  /** Waiting user tasks by execution id (refreshed by every wait, including those replayed on resume). */
  waiting: Map<string, ElementApi>;
  pending: EngineEvent[];
  completing: { executionId: string; variables: Variables } | null;
  engineMoved: boolean;
  metaChanged: boolean;
  /** The step changed process variables: open tasks that nothing else happened to are told so. */
  variablesChanged: boolean;
  ended: boolean;
  incident: Error | null;
  queue: Promise<unknown>;
  busy: number;
  /** Service task handlers that have not finished (their promise, or the wait before another attempt). */
  inFlight: number;
}

const MAX_TIMEOUT = 2_147_483_647;
const DEFAULT_PRIORITY = 50;

/**
 * The embedded process engine: bpmn-engine running BPMN in the Camunda 8 (zeebe) dialect, with FEEL
 * through feelin, and its state in a SQLite file so that running instances survive a restart.
 *
 * Each process instance has its own bpmn-engine `Engine`. A step (start, complete, a timer that fires, a
 * message) runs the instance up to its next wait states; the events it caused form one transaction, which
 * is stored with the instance's new state in one SQLite transaction before it is delivered (outbox).
 * Steps of one instance run one after the other; steps of different instances interleave freely.
 *
 * Log codes: `ENGINE-0xx`.
 */
export class EmbeddedProcessEngine implements ProcessEngine {
  private readonly logger = new Logger('EmbeddedProcessEngine');
  private readonly store: EmbeddedEngineStore;
  private readonly definitions = new Map<string, DeployedProcessDefinition & { hash: string; xml: string }>();
  private readonly latestByKey = new Map<string, string>();
  private readonly compiled = new Map<string, Promise<CompiledDefinition>>();
  private readonly runtimes = new Map<string, Runtime>();
  private readonly taskIndex = new Map<string, string>();
  private readonly subscriptionIndex = new Map<string, Set<string>>();
  /** Instances whose engine is in memory, least recently used first. */
  private readonly live = new Map<string, Runtime>();
  private readonly outbox: OutboxEntry[] = [];
  private handler: EngineTransactionHandler | null = null;
  private delivering: Promise<void> | null = null;
  private deployQueue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private wakeDelivery: (() => void) | null = null;
  private readonly clock: () => Date;
  private readonly maxLive: number;
  /** bpmn-engine's default logger (debug) costs more than the steps themselves: keep only its errors. */
  private readonly engineLogger = (scope: string) => ({
    debug: () => undefined,
    warn: () => undefined,
    error: (...args: unknown[]) => this.logger.error(`ENGINE-031 ${scope}: ${args.map(String).join(' ')}`),
  });

  private constructor(private readonly options: EmbeddedProcessEngineOptions) {
    this.store = new EmbeddedEngineStore(options.inMemory ? null : options.dataDir, options.durability);
    this.clock = options.clock ?? (() => new Date());
    this.maxLive = options.maxLiveInstances ?? 100;
  }

  /** Opens (or creates) the engine in `options.dataDir` and resumes the instances stored there. */
  static async open(options: EmbeddedProcessEngineOptions): Promise<EmbeddedProcessEngine> {
    if (!options?.dataDir) throw new EngineError('INVALID_ARGUMENT', 'dataDir: a folder is required');
    const engine = new EmbeddedProcessEngine(options);
    await engine.recoverStored();
    return engine;
  }

  // ---------------------------------------------------------------- deployment

  async deploy(resource: BpmnResource): Promise<DeployedProcessDefinition[]> {
    this.assertOpen();
    if (!resource?.resourceName)
      throw new EngineError('INVALID_ARGUMENT', 'resourceName: a name is required');
    const run = async () => {
      const compiled = await compileBpmn(resource.xml, resource.resourceName);
      const hash = createHash('sha256').update(resource.xml).digest('hex');
      const latestId = this.latestByKey.get(compiled.key);
      const latest = latestId ? this.definitions.get(latestId) : undefined;
      if (latest && latest.hash === hash) return [strip(latest)];

      const version = (latest?.version ?? 0) + 1;
      const deployed: DeployedProcessDefinition = {
        id: `${compiled.key}:${version}`,
        key: compiled.key,
        version,
        name: compiled.name,
        versionTag: compiled.versionTag,
        formKey: compiled.formKey,
        startableFromTasklist: compiled.startableFromTasklist,
        candidateStarterGroups: compiled.candidateStarterGroups,
        candidateStarterUsers: compiled.candidateStarterUsers,
        resourceName: resource.resourceName,
        tenantId: this.options.tenantId ?? null,
      };
      this.store.insertDefinitions([{ definition: deployed, hash, xml: resource.xml }]);
      this.definitions.set(deployed.id, { ...deployed, hash, xml: resource.xml });
      this.latestByKey.set(deployed.key, deployed.id);
      this.compiled.set(deployed.id, Promise.resolve({ deployed, compiled }));
      this.logger.log(`ENGINE-001 deployed ${deployed.id} from ${resource.resourceName}`);
      return [deployed];
    };
    const result = this.deployQueue.then(run, run);
    this.deployQueue = result.catch(() => undefined);
    return result;
  }

  async listProcessDefinitions(): Promise<DeployedProcessDefinition[]> {
    return [...this.latestByKey.values()].map((id) => strip(this.definitions.get(id)!));
  }

  // ---------------------------------------------------------------- instances

  async startProcessInstance(request: StartProcessInstanceRequest): Promise<StartedProcessInstance> {
    this.assertOpen();
    if (!request?.definitionKey)
      throw new EngineError('INVALID_ARGUMENT', 'definitionKey: a process id is required');
    if (request.variables !== undefined && !isObject(request.variables)) {
      throw new EngineError('INVALID_ARGUMENT', 'variables: must be an object');
    }
    const definitionId = this.latestByKey.get(request.definitionKey);
    if (!definitionId) {
      throw new EngineError(
        'UNKNOWN_PROCESS_DEFINITION',
        `definitionKey: no process ${request.definitionKey} deployed`,
      );
    }
    const definition = await this.compiledDefinition(definitionId);
    if (!definition.compiled.hasNoneStartEvent) {
      throw new EngineError(
        'NOT_STARTABLE',
        `definitionKey: process ${request.definitionKey} has no none start event`,
      );
    }
    const id = randomUUID();
    const variables = { ...(request.variables ?? {}) };
    const rt = this.newRuntime(definition, {
      instance: {
        id,
        processDefinitionId: definition.deployed.id,
        processDefinitionKey: definition.deployed.key,
        processName: definition.deployed.name,
        businessKey: request.businessKey ?? null,
        tenantId: definition.deployed.tenantId,
        startTime: this.now(),
      },
      variables,
      tasks: {},
      subscriptions: {},
      seq: 0,
      txSeq: 0,
      hasTimers: false,
    });
    this.runtimes.set(id, rt);
    await this.step(rt, async () => {
      this.emit(rt, id, {
        type: 'processInstance.started',
        instance: rt.meta.instance,
        variables: { ...variables },
        startUserId: request.startUserId ?? null,
      });
      const engine = this.createEngine(rt);
      rt.engine = engine;
      this.touchLive(rt);
      rt.engineMoved = true;
      await engine.execute();
    });
    return { instanceId: id, definitionId: definition.deployed.id };
  }

  async cancelProcessInstance(instanceId: string): Promise<void> {
    this.assertOpen();
    const rt = this.runtimes.get(instanceId);
    if (!rt)
      throw new EngineError('UNKNOWN_PROCESS_INSTANCE', `instanceId: no running instance ${instanceId}`);
    await this.step(rt, async () => {
      if (rt.ended)
        throw new EngineError('UNKNOWN_PROCESS_INSTANCE', `instanceId: no running instance ${instanceId}`);
      this.endInstance(rt, 'instanceCancelled', {
        type: 'processInstance.cancelled',
        instance: rt.meta.instance,
        reason: 'cancelled',
      });
    });
  }

  // ---------------------------------------------------------------- tasks

  async assignTask(taskId: string, assignee: string | null): Promise<void> {
    if (assignee !== null && (typeof assignee !== 'string' || assignee === '')) {
      throw new EngineError('INVALID_ARGUMENT', 'assignee: a user id or null is required');
    }
    await this.onOpenTask(taskId, (rt, open) => {
      open.task = { ...open.task, assignee };
      rt.metaChanged = true;
      this.emit(rt, open.executionId, { type: 'task.assigned', task: open.task, assignee });
    });
  }

  async setTaskFollowUpDate(taskId: string, followUpDate: string | null): Promise<void> {
    let normalized: string | null = null;
    if (followUpDate !== null) {
      normalized = toIsoDate(followUpDate);
      if (!normalized)
        throw new EngineError('INVALID_ARGUMENT', 'followUpDate: an ISO-8601 date-time or null is required');
    }
    await this.onOpenTask(taskId, (rt, open) => {
      open.task = { ...open.task, followUpDate: normalized };
      rt.metaChanged = true;
      this.emit(rt, open.executionId, {
        type: 'task.attributesChanged',
        task: open.task,
        changed: ['followUpDate'],
      });
    });
  }

  async completeTask(taskId: string, variables: Variables = {}): Promise<void> {
    if (!isObject(variables)) throw new EngineError('INVALID_ARGUMENT', 'variables: must be an object');
    await this.onOpenTask(taskId, async (rt, open) => {
      await this.ensureEngine(rt);
      const api = rt.waiting.get(open.executionId);
      if (!api) throw new EngineError('UNKNOWN_TASK', `taskId: task ${taskId} is not waiting in the engine`);
      this.setVariables(rt, variables);
      rt.completing = { executionId: open.executionId, variables: { ...variables } };
      rt.engineMoved = true;
      try {
        api.signal({ ...variables });
      } finally {
        rt.completing = null;
      }
    });
  }

  // ---------------------------------------------------------------- messages

  async correlateMessage(request: CorrelateMessageRequest): Promise<MessageCorrelationResult> {
    this.assertOpen();
    if (!request?.name) throw new EngineError('INVALID_ARGUMENT', 'name: a message name is required');
    if (typeof request.correlationKey !== 'string') {
      throw new EngineError('INVALID_ARGUMENT', 'correlationKey: a string is required');
    }
    if (request.variables !== undefined && !isObject(request.variables)) {
      throw new EngineError('INVALID_ARGUMENT', 'variables: must be an object');
    }
    const candidates = [
      ...(this.subscriptionIndex.get(subscriptionKey(request.name, request.correlationKey)) ?? []),
    ];
    const instanceIds: string[] = [];
    for (const instanceId of candidates) {
      const rt = this.runtimes.get(instanceId);
      if (!rt) continue;
      const correlated = await this.step(rt, async () => {
        const subscription = Object.values(rt.meta.subscriptions).find(
          (s) => s.messageName === request.name && s.correlationKey === request.correlationKey,
        );
        if (!subscription || rt.ended) return false;
        await this.ensureEngine(rt);
        const api = rt.engine!.execution.getPostponed().find((a) => a.id === subscription.elementId) as
          ElementApi | undefined;
        if (!api) return false;
        this.setVariables(rt, request.variables ?? {});
        rt.engineMoved = true;
        api.signal({ ...(request.variables ?? {}) });
        return true;
      });
      if (correlated) instanceIds.push(instanceId);
    }
    return { instanceIds };
  }

  // ---------------------------------------------------------------- delivery

  onTransaction(handler: EngineTransactionHandler): Unsubscribe {
    if (typeof handler !== 'function')
      throw new EngineError('INVALID_ARGUMENT', 'handler: a function is required');
    if (this.handler)
      throw new EngineError('INVALID_ARGUMENT', 'handler: a transaction handler is already registered');
    this.handler = handler;
    this.delivering ??= this.deliveryLoop();
    this.wake();
    return () => {
      if (this.handler === handler) this.handler = null;
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const rt of this.runtimes.values()) rt.timers.clearAll();
    await Promise.all([...this.runtimes.values()].map((rt) => rt.queue));
    this.wake();
    await this.delivering;
    this.store.close();
  }

  // ---------------------------------------------------------------- internals: steps

  /**
   * Runs one step of an instance after the previous one, then stores its state and its transaction in the
   * next batch and waits for the batch to be written.
   */
  private step<T>(rt: Runtime, action: () => Promise<T> | T): Promise<T> {
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
      tx = {
        id: `${meta.instance.id}:${++meta.txSeq}`,
        processInstanceId: meta.instance.id,
        events,
        variables,
      };
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
    const entry = await this.store.commitStep(meta.instance.id, write, tx);
    if (rt.ended) this.forget(rt);
    if (entry) {
      this.outbox.push(entry);
      this.wake();
    }
  }

  private async onOpenTask(
    taskId: string,
    action: (rt: Runtime, open: OpenTask) => void | Promise<void>,
  ): Promise<void> {
    this.assertOpen();
    if (typeof taskId !== 'string' || taskId === '')
      throw new EngineError('INVALID_ARGUMENT', 'taskId: required');
    const instanceId = this.taskIndex.get(taskId);
    const rt = instanceId ? this.runtimes.get(instanceId) : undefined;
    if (!rt) throw new EngineError('UNKNOWN_TASK', `taskId: no open task ${taskId}`);
    await this.step(rt, async () => {
      const open = Object.values(rt.meta.tasks).find((t) => t.task.id === taskId);
      if (!open || rt.ended) throw new EngineError('UNKNOWN_TASK', `taskId: no open task ${taskId}`);
      await action(rt, open);
    });
  }

  // ---------------------------------------------------------------- internals: bpmn-engine

  private newRuntime(definition: CompiledDefinition, meta: InstanceMeta): Runtime {
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
    return rt;
  }

  private createEngine(rt: Runtime): Engine {
    const engine = new Engine({
      name: rt.meta.instance.id,
      sourceContext: rt.definition.compiled.sourceContext as never,
      listener: { emit: (name: string, api: ElementApi) => this.onEngineEvent(rt, name, api) },
      timers: rt.timers as never,
      Logger: this.engineLogger,
      expressions: {
        resolveExpression: (expression: string) =>
          isFeel(expression) ? evaluateFeel(expression, rt.meta.variables) : expression,
        isExpression: (text: string) => isFeel(text),
        hasExpression: (text: string) => isFeel(text),
      },
      extensions: {
        eddyServiceTasks: (activity: { type: string; behaviour: Record<string, unknown> }) => {
          if (activity.type === 'bpmn:ServiceTask') activity.behaviour.Service = this.serviceBehaviour(rt);
        },
      },
    } as never);
    engine.on('error', (error: Error) => {
      rt.incident = error;
    });
    return engine;
  }

  /** Loads the instance's engine from its stored state when it is not in memory. */
  private async ensureEngine(rt: Runtime): Promise<void> {
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
  }

  private serviceBehaviour(rt: Runtime) {
    const handlers = this.options.serviceHandlers ?? {};
    const retries = this.options.serviceRetries ?? {};
    const maxAttempts = Math.max(1, retries.maxAttempts ?? 3);
    const initialDelay = retries.initialDelayMs ?? 1_000;
    const maxDelay = retries.maxDelayMs ?? 30_000;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const engine = this;
    return class EmbeddedServiceTask {
      constructor(private readonly activity: { id: string }) {}
      execute(_message: unknown, callback: (error: Error | null, output?: unknown) => void): void {
        const elementId = this.activity.id;
        const type = rt.definition.compiled.serviceTasks.get(elementId) ?? null;
        const handler = type ? handlers[type] : undefined;
        if (!handler || !type) return callback(null, {});
        const complete = (output: Variables | void) => {
          if (isObject(output)) engine.setVariables(rt, output);
          callback(null, output ?? {});
        };
        const failed = (error: unknown, attempt: number) => {
          const message = error instanceof Error ? error.message : String(error);
          if (attempt >= maxAttempts) {
            return callback(error instanceof Error ? error : new Error(message));
          }
          const delay = Math.min(initialDelay * 2 ** (attempt - 1), maxDelay);
          engine.logger.warn(
            `ENGINE-011 instance ${rt.meta.instance.id} service task ${elementId} (${type}): attempt ${attempt} of ${maxAttempts} failed, next in ${delay} ms: ${message}`,
          );
          // An engine timer: the next attempt runs in a step of the instance, and a stop in between
          // leaves the task executing in the stored state, so that it runs again when the engine opens.
          rt.inFlight++;
          rt.timers.setTimeout(() => {
            rt.inFlight--;
            run(attempt + 1);
          }, delay);
        };
        const run = (attempt: number): void => {
          let result: ReturnType<ServiceTaskHandler>;
          try {
            result = handler({
              processInstanceId: rt.meta.instance.id,
              elementId,
              type,
              variables: { ...rt.meta.variables },
            });
          } catch (error) {
            return failed(error, attempt);
          }
          if (!(result instanceof Promise)) return complete(result);
          // The handler finishes later: its outcome is a step of its own.
          rt.inFlight++;
          const settled = (outcome: () => void) =>
            engine.step(rt, () => {
              rt.inFlight--;
              rt.engineMoved = true;
              outcome();
            });
          result.then(
            (output) => settled(() => complete(output)),
            (error: unknown) => settled(() => failed(error, attempt)),
          );
        };
        run(1);
      }
    };
  }

  /** Merges variables into the instance's; an actual change is reported to the open tasks at commit. */
  private setVariables(rt: Runtime, variables: Variables): void {
    for (const [name, value] of Object.entries(variables)) {
      if (!Object.hasOwn(rt.meta.variables, name) || !jsonEquals(rt.meta.variables[name], value)) {
        rt.variablesChanged = true;
      }
      rt.meta.variables[name] = value;
    }
  }

  private onEngineEvent(rt: Runtime, name: string, api: ElementApi): void {
    if (rt.ended) return;
    const meta = rt.meta;
    switch (name) {
      case 'activity.wait': {
        if (api.type === 'bpmn:UserTask') {
          rt.waiting.set(api.executionId, api);
          if (!meta.tasks[api.executionId]) this.createTask(rt, api);
          return;
        }
        const spec = rt.definition.compiled.messageEvents.get(api.id);
        if (spec && !meta.subscriptions[api.id]) this.subscribe(rt, spec.elementId);
        return;
      }
      case 'activity.end': {
        const open = meta.tasks[api.executionId];
        if (open && rt.completing?.executionId === api.executionId) {
          this.closeTask(rt, open);
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
        const open = meta.tasks[api.executionId];
        if (open) this.cancelTask(rt, open, 'boundaryEvent');
        if (meta.subscriptions[api.id]) this.unsubscribe(rt, api.id);
        return;
      }
      case 'process.end':
        this.endInstance(rt, 'instanceEnded', { type: 'processInstance.finished', instance: meta.instance });
        return;
    }
  }

  private createTask(rt: Runtime, api: ElementApi): void {
    const spec = rt.definition.compiled.userTasks.get(api.id);
    const meta = rt.meta;
    const value = (attribute: keyof UserTaskSpec) => {
      try {
        return resolveAttribute(spec?.[attribute], meta.variables);
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
      dueDate: toIsoDate(value('dueDate')),
      followUpDate: toIsoDate(value('followUpDate')),
      assignee: toStringOrNull(value('assignee')),
      candidateUsers: toList(value('candidateUsers')),
      candidateGroups: toList(value('candidateGroups')),
      processInstanceId: meta.instance.id,
      processDefinitionId: meta.instance.processDefinitionId,
      processDefinitionKey: meta.instance.processDefinitionKey,
      processName: meta.instance.processName,
      businessKey: meta.instance.businessKey,
      tenantId: meta.instance.tenantId,
    };
    meta.tasks[api.executionId] = { executionId: api.executionId, task };
    this.taskIndex.set(task.id, meta.instance.id);
    this.emit(rt, api.executionId, { type: 'task.created', task });
  }

  private closeTask(rt: Runtime, open: OpenTask): void {
    delete rt.meta.tasks[open.executionId];
    rt.waiting.delete(open.executionId);
    this.taskIndex.delete(open.task.id);
  }

  private cancelTask(rt: Runtime, open: OpenTask, reason: TaskCancellationReason): void {
    this.closeTask(rt, open);
    this.emit(rt, open.executionId, { type: 'task.cancelled', task: open.task, reason });
  }

  private subscribe(rt: Runtime, elementId: string): void {
    const spec = rt.definition.compiled.messageEvents.get(elementId)!;
    const meta = rt.meta;
    let messageName: string;
    let correlationKey: string;
    try {
      messageName = String(resolveAttribute(spec.messageName, meta.variables) ?? '');
      correlationKey = String(resolveAttribute(spec.correlationKey, meta.variables) ?? '');
    } catch (error) {
      this.logger.warn(
        `ENGINE-021 instance ${meta.instance.id} ${elementId}: subscription: ${(error as Error).message}`,
      );
      return;
    }
    meta.subscriptions[elementId] = { elementId, messageName, correlationKey };
    const key = subscriptionKey(messageName, correlationKey);
    let ids = this.subscriptionIndex.get(key);
    if (!ids) this.subscriptionIndex.set(key, (ids = new Set()));
    ids.add(meta.instance.id);
  }

  private unsubscribe(rt: Runtime, elementId: string): void {
    const subscription = rt.meta.subscriptions[elementId];
    delete rt.meta.subscriptions[elementId];
    const key = subscriptionKey(subscription.messageName, subscription.correlationKey);
    const stillWaiting = Object.values(rt.meta.subscriptions).some(
      (s) => subscriptionKey(s.messageName, s.correlationKey) === key,
    );
    if (!stillWaiting) {
      const ids = this.subscriptionIndex.get(key);
      ids?.delete(rt.meta.instance.id);
      if (ids?.size === 0) this.subscriptionIndex.delete(key);
    }
  }

  /** Cancels what is still open, records the end event and stops the engine. */
  private endInstance(
    rt: Runtime,
    taskReason: TaskCancellationReason,
    event: DistributiveOmit<EngineEvent, 'eventId' | 'occurredAt'>,
  ): void {
    for (const open of Object.values(rt.meta.tasks)) this.cancelTask(rt, open, taskReason);
    for (const elementId of Object.keys(rt.meta.subscriptions)) this.unsubscribe(rt, elementId);
    this.emit(rt, rt.meta.instance.id, event);
    rt.ended = true;
    rt.timers.clearAll();
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

  private emit(
    rt: Runtime,
    elementInstanceId: string,
    event: DistributiveOmit<EngineEvent, 'eventId' | 'occurredAt'>,
  ): void {
    const meta = rt.meta;
    rt.metaChanged = true;
    rt.pending.push({
      ...event,
      eventId: `${meta.instance.id}:${elementInstanceId}:${++meta.seq}`,
      occurredAt: this.now(),
    } as EngineEvent);
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
    if (this.live.size <= this.maxLive) return;
    for (const [id, rt] of this.live) {
      if (this.live.size <= this.maxLive) break;
      // A handler still running reports back to this engine; it must not be replaced by a reloaded one.
      if (rt.busy > 0 || rt.timers.size > 0 || rt.inFlight > 0) continue;
      this.live.delete(id);
      rt.engine = null;
      rt.waiting.clear();
    }
  }

  private async compiledDefinition(definitionId: string): Promise<CompiledDefinition> {
    let compiled = this.compiled.get(definitionId);
    if (!compiled) {
      const stored = this.definitions.get(definitionId);
      if (!stored)
        throw new EngineError('UNKNOWN_PROCESS_DEFINITION', `no process definition ${definitionId}`);
      compiled = compileBpmn(stored.xml, stored.resourceName).then((c) => ({
        deployed: strip(stored),
        compiled: c,
      }));
      this.compiled.set(definitionId, compiled);
    }
    return compiled;
  }

  private async recoverStored(): Promise<void> {
    for (const stored of this.store.loadDefinitions()) {
      this.definitions.set(stored.definition.id, {
        ...stored.definition,
        hash: stored.hash,
        xml: stored.xml,
      });
      this.latestByKey.set(stored.definition.key, stored.definition.id);
    }
    const withTimers: Runtime[] = [];
    for (const row of this.store.loadInstanceMetas()) {
      const meta = JSON.parse(row.meta) as InstanceMeta;
      const rt = this.newRuntime(await this.compiledDefinition(meta.instance.processDefinitionId), meta);
      this.runtimes.set(row.id, rt);
      for (const open of Object.values(meta.tasks)) this.taskIndex.set(open.task.id, row.id);
      for (const s of Object.values(meta.subscriptions)) {
        const key = subscriptionKey(s.messageName, s.correlationKey);
        let ids = this.subscriptionIndex.get(key);
        if (!ids) this.subscriptionIndex.set(key, (ids = new Set()));
        ids.add(row.id);
      }
      if (meta.hasTimers) withTimers.push(rt);
    }
    this.outbox.push(...this.store.loadOutbox());
    // Timers live in the engines: load those instances now so that their timers run again.
    await Promise.all(withTimers.map((rt) => this.step(rt, () => this.ensureEngine(rt))));
    this.logger.log(
      `ENGINE-002 opened ${this.options.dataDir}: ${this.definitions.size} definitions, ${this.runtimes.size} running instances, ${this.outbox.length} undelivered transactions`,
    );
  }

  private async deliveryLoop(): Promise<void> {
    const initial = this.options.redelivery?.initialDelayMs ?? 200;
    const max = this.options.redelivery?.maxDelayMs ?? 30_000;
    let delay = initial;
    while (!this.closed) {
      const entry = this.outbox[0];
      const handler = this.handler;
      if (!entry || !handler) {
        await new Promise<void>((resolve) => (this.wakeDelivery = resolve));
        continue;
      }
      try {
        await handler(entry.tx);
        this.outbox.shift();
        if (!this.closed) this.store.acknowledge(entry.seq);
        delay = initial;
      } catch (error) {
        this.logger.warn(
          `ENGINE-040 transaction ${entry.tx.id}: handler failed, redelivering in ${delay} ms: ${(error as Error).message}`,
        );
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.wakeDelivery = () => {
            if (this.closed) {
              clearTimeout(timer);
              resolve();
            }
          };
        });
        delay = Math.min(delay * 2, max);
      }
    }
  }

  private wake(): void {
    const wake = this.wakeDelivery;
    if (wake) {
      this.wakeDelivery = null;
      wake();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new EngineError('CLOSED', 'the engine has been closed');
  }

  private now(): string {
    return this.clock().toISOString();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * bpmn-engine's timer service for one instance: real timers, each firing inside a step of the instance so
 * that what the timer causes is stored and delivered like any other step. Delays beyond setTimeout's limit
 * are re-armed until the due time.
 */
class RuntimeTimers {
  private readonly refs = new Set<TimerRef>();

  constructor(private readonly schedule: (fire: () => void) => void) {}

  get size(): number {
    return this.refs.size;
  }

  get executing(): TimerRef[] {
    return [...this.refs];
  }

  register(_owner: unknown) {
    return { setTimeout: this.setTimeout, clearTimeout: this.clearTimeout };
  }

  setTimeout = (callback: (...args: unknown[]) => void, delay: number, ...args: unknown[]): TimerRef => {
    const ref: TimerRef = { expireAt: Date.now() + Math.max(0, delay), handle: undefined };
    const arm = () => {
      const remaining = Math.max(0, ref.expireAt - Date.now());
      ref.handle = setTimeout(
        () => {
          if (!this.refs.has(ref)) return;
          if (Date.now() < ref.expireAt) return arm();
          this.refs.delete(ref);
          this.schedule(() => callback(...args));
        },
        Math.min(remaining, MAX_TIMEOUT),
      );
    };
    this.refs.add(ref);
    arm();
    return ref;
  };

  clearTimeout = (ref: TimerRef | undefined): undefined => {
    if (ref && this.refs.delete(ref)) clearTimeout(ref.handle);
    return undefined;
  };

  clearAll(): void {
    for (const ref of this.refs) clearTimeout(ref.handle);
    this.refs.clear();
  }
}

interface TimerRef {
  expireAt: number;
  handle: ReturnType<typeof setTimeout> | undefined;
}

function strip(d: DeployedProcessDefinition & { hash?: string; xml?: string }): DeployedProcessDefinition {
  const { hash: _hash, xml: _xml, ...definition } = d;
  return definition;
}

function subscriptionKey(name: string, correlationKey: string): string {
  return `${name}\u0000${correlationKey}`;
}

function isObject(value: unknown): value is Variables {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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

function toIsoDate(value: unknown): string | null {
  return toIsoInstant(value);
}
