import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EngineError } from '../engine.errors';
import {
  type BpmnResource,
  type BroadcastSignalRequest,
  type SignalBroadcastResult,
  type CorrelateMessageRequest,
  type DeployedProcessDefinition,
  type EngineTaskUpdate,
  type EngineTransactionHandler,
  type MessageCorrelationResult,
  type ProcessEngine,
  type StartedProcessInstance,
  type StartProcessInstanceRequest,
  type Unsubscribe,
  type Variables,
} from '../engine.port';
import { type JobWorkerApi } from '../job-worker.port';

import { DecisionRepository } from './dmn/decisions';
import { EmbeddedEngineStore, type EngineDurability } from './embedded-engine.store';
import { recoverStoredState } from './engine-recovery';
import { isObject, type CallingInstance, type CompiledDefinition } from './instance-state';
import { InstanceRuntimes } from './instance-runtime';
import { CallActivities } from './call-activities';
import { Signals } from './signals';
import { Jobs } from './jobs/jobs';
import { MessageBuffer } from './message-buffer';
import { MessageCorrelation } from './message-correlation';
import { MessageSubscriptions } from './message-subscriptions';
import { ProcessDefinitions } from './process-definitions';
import { isRequestId, MAX_REQUEST_ID_LENGTH, StartRequests } from './start-requests';
import { type ServiceRetryOptions, type ServiceTaskHandler } from './service-task.runner';
import { TransactionOutbox, type RedeliveryOptions } from './transaction-outbox';
import { UserTaskOperations } from './user-task.operations';
import { UserTasks } from './user-tasks';

export { type ServiceTaskHandler, type ServiceTaskJob } from './service-task.runner';

export interface EmbeddedProcessEngineOptions {
  /** Folder of the engine's SQLite file (created if missing). */
  dataDir: string;
  /** Tenant id put on definitions, instances and tasks. Default none. */
  tenantId?: string;
  /**
   * In-process job handlers by `zeebe:taskDefinition type`; the job-based elements of other types wait for a
   * job worker (see {@link EmbeddedProcessEngine.jobs}), as in Camunda 8.
   */
  serviceHandlers?: Record<string, ServiceTaskHandler>;
  /**
   * Attempts of a service task handler that throws or rejects, as Camunda 8 retries a failed job: after the
   * last one the instance fails with an incident. Default 3 attempts, 1 s between the first two, doubling up
   * to 30 s.
   */
  serviceRetries?: ServiceRetryOptions;
  /** Back-off of redelivery after a handler rejected a transaction. Default 200 ms doubling up to 30 s. */
  redelivery?: RedeliveryOptions;
  /**
   * Transactions of different instances with the handler at once (those of one instance always go one at a
   * time, in order). Default 64; 1 delivers every transaction in commit order, one at a time.
   */
  maxDeliveriesInFlight?: number;
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

/**
 * The embedded process engine: bpmn-engine running BPMN in the Camunda 8 (zeebe) dialect, with FEEL
 * through feelin, and its state in a SQLite file so that running instances survive a restart.
 *
 * This class is the port's face; the parts it wires are, by file:
 * - `process-definitions.ts` (with `zeebe-model.compiler.ts`): deployed versions and their compilation;
 * - `instance-runtime.ts`: the running instances, their steps and each step's commit (`instance-state.ts`
 *   holds the shapes they share);
 * - `user-tasks.ts` and `user-task.operations.ts`: the tasks' lifecycle and the port's actions on them;
 * - `message-subscriptions.ts`, `message-correlation.ts` and `message-buffer.ts`: waiting message events,
 *   correlation, and messages kept for their time to live;
 * - `service-task.runner.ts`: in-process job handlers with their retries; `jobs/`: the jobs that wait for
 *   workers; `error-events.ts`: which errors are caught; `runtime-timers.ts`: timers;
 * - `engine-recovery.ts`: what is read back when the engine opens; `transaction-outbox.ts`: delivery;
 * - `embedded-engine.store.ts`: the SQLite file, written in group commits.
 *
 * Log codes: `ENGINE-0xx`.
 */
export class EmbeddedProcessEngine implements ProcessEngine {
  private readonly logger = new Logger('EmbeddedProcessEngine');
  private readonly store: EmbeddedEngineStore;
  private readonly definitions: ProcessDefinitions;
  private readonly outbox: TransactionOutbox;
  private readonly userTasks: UserTasks;
  private readonly subscriptions: MessageSubscriptions;
  private readonly runtimes: InstanceRuntimes;
  private readonly taskOperations: UserTaskOperations;
  private readonly messageBuffer: MessageBuffer;
  private readonly startRequests: StartRequests;
  private readonly messages: MessageCorrelation;
  private readonly workerJobs: Jobs;
  private readonly signals: Signals;

  /** Decisions of deployed `.dmn` resources; kept in memory, so deployed again at every start. */
  private readonly decisions = new DecisionRepository();
  private closed = false;

  private constructor(private readonly options: EmbeddedProcessEngineOptions) {
    const clock = options.clock ?? (() => new Date());
    const now = () => clock().toISOString();
    this.store = new EmbeddedEngineStore(options.inMemory ? null : options.dataDir, options.durability);
    this.definitions = new ProcessDefinitions(this.store, options.tenantId ?? null, this.logger);
    this.outbox = new TransactionOutbox(
      this.store,
      options.redelivery ?? {},
      this.logger,
      options.maxDeliveriesInFlight,
    );
    this.userTasks = new UserTasks(now, this.logger);
    this.subscriptions = new MessageSubscriptions(this.logger);
    this.runtimes = new InstanceRuntimes(
      this.store,
      this.outbox,
      this.userTasks,
      this.subscriptions,
      {
        serviceHandlers: options.serviceHandlers ?? {},
        serviceRetries: options.serviceRetries ?? {},
        maxLiveInstances: options.maxLiveInstances ?? 100,
        decisions: this.decisions,
      },
      now,
      this.logger,
    );
    this.taskOperations = new UserTaskOperations(this.runtimes, this.userTasks, () => this.assertOpen());
    this.runtimes.taskOperations = this.taskOperations;
    this.messageBuffer = new MessageBuffer(this.store, () => clock().getTime());
    this.startRequests = new StartRequests(this.store, () => clock().getTime());
    this.messages = new MessageCorrelation(
      this.runtimes,
      this.subscriptions,
      this.messageBuffer,
      this.logger,
      (name, variables) => this.startAt('messageStarts', name, variables),
    );
    this.runtimes.subscriptionOpened = (rt, key) => this.messages.subscriptionOpened(rt, key);
    this.workerJobs = new Jobs(this.runtimes, this.logger);
    this.runtimes.jobs = this.workerJobs;
    this.runtimes.callActivities = new CallActivities(
      {
        get: (id) => this.runtimes.get(id),
        step: (rt, action) => this.runtimes.step(rt, action),
        ensureEngine: (rt) => this.runtimes.ensureEngine(rt),
        setVariables: (rt, variables, from) => this.runtimes.setVariables(rt, variables, from),
        startCalled: (processId, instanceId, variables, caller) =>
          this.startCalled(processId, instanceId, variables, caller),
        cancel: (instanceId) => this.cancelProcessInstance(instanceId),
      },
      this.logger,
    );
    this.signals = new Signals(this.runtimes, this.logger, (name, variables) =>
      this.startAt('signalStarts', name, variables),
    );
    this.runtimes.signals = this.signals;
  }

  /** The jobs that wait for workers (`/v2/jobs/...`), as Camunda 8 hands them out. */
  get jobs(): JobWorkerApi {
    return this.workerJobs;
  }

  /** Opens (or creates) the engine in `options.dataDir` and resumes the instances stored there. */
  static async open(options: EmbeddedProcessEngineOptions): Promise<EmbeddedProcessEngine> {
    if (!options?.dataDir) throw new EngineError('INVALID_ARGUMENT', 'dataDir: a folder is required');
    const engine = new EmbeddedProcessEngine(options);
    await recoverStoredState({
      store: engine.store,
      definitions: engine.definitions,
      runtimes: engine.runtimes,
      userTasks: engine.userTasks,
      subscriptions: engine.subscriptions,
      signals: engine.signals,
      jobs: engine.workerJobs,
      outbox: engine.outbox,
      messageBuffer: engine.messageBuffer,
    });
    engine.startRequests.prune();
    engine.messages.offerBuffered();
    engine.logger.log(
      `ENGINE-002 opened ${options.dataDir}: ${engine.definitions.size} definitions, ${engine.runtimes.size} running instances, ${engine.outbox.size} undelivered transactions`,
    );
    return engine;
  }

  async deploy(resource: BpmnResource): Promise<DeployedProcessDefinition[]> {
    this.assertOpen();
    if (!resource?.resourceName)
      throw new EngineError('INVALID_ARGUMENT', 'resourceName: a name is required');
    if (resource.resourceName.endsWith('.dmn')) {
      await this.decisions.deploy(resource.xml, resource.resourceName);
      return [];
    }
    return this.definitions.deploy(resource);
  }

  async listProcessDefinitions(): Promise<DeployedProcessDefinition[]> {
    return this.definitions.latest();
  }

  async startProcessInstance(request: StartProcessInstanceRequest): Promise<StartedProcessInstance> {
    this.assertOpen();
    if (!request?.definitionKey)
      throw new EngineError('INVALID_ARGUMENT', 'definitionKey: a process id is required');
    if (request.variables !== undefined && !isObject(request.variables)) {
      throw new EngineError('INVALID_ARGUMENT', 'variables: must be an object');
    }
    if (request.requestId !== undefined && !isRequestId(request.requestId)) {
      throw new EngineError(
        'INVALID_ARGUMENT',
        `requestId: a non-empty string of at most ${MAX_REQUEST_ID_LENGTH} characters is required`,
      );
    }
    const requestId = request.requestId;
    if (requestId !== undefined) {
      return this.startRequests.once(requestId, () => this.startLatest(request));
    }
    return this.startLatest(request);
  }

  /** Starts an instance of the latest version of `request.definitionKey` at its none start event. */
  private async startLatest(request: StartProcessInstanceRequest): Promise<StartedProcessInstance> {
    const definitionId = this.definitions.latestId(request.definitionKey);
    if (!definitionId) {
      throw new EngineError(
        'UNKNOWN_PROCESS_DEFINITION',
        `definitionKey: no process ${request.definitionKey} deployed`,
      );
    }
    const definition = await this.definitions.compiledDefinition(definitionId);
    if (!definition.compiled.hasNoneStartEvent) {
      throw new EngineError(
        'NOT_STARTABLE',
        `definitionKey: process ${request.definitionKey} has no none start event`,
      );
    }
    return this.newInstance(definition, request);
  }

  /** Starts an instance of the latest version of every process whose message start event names the message. */
  /** Starts an instance of every process whose message (or signal) start event names `name`; their ids. */
  private async startAt(
    starts: 'messageStarts' | 'signalStarts',
    name: string,
    variables: Variables,
  ): Promise<string[]> {
    const started: string[] = [];
    for (const latest of this.definitions.latest()) {
      const definition = await this.definitions.compiledDefinition(latest.id);
      for (const [elementId, startName] of definition.compiled[starts]) {
        if (startName !== name) continue;
        const { instanceId } = await this.newInstance(
          definition,
          { definitionKey: latest.key, variables },
          elementId,
        );
        started.push(instanceId);
      }
    }
    return started;
  }

  /** Starts an instance of a process that a call activity calls (call-activities.ts). */
  private async startCalled(
    processId: string,
    instanceId: string,
    variables: Variables,
    caller: CallingInstance,
  ): Promise<void> {
    this.assertOpen();
    const definitionId = this.definitions.latestId(processId);
    if (!definitionId)
      throw new EngineError('UNKNOWN_PROCESS_DEFINITION', `no process ${processId} deployed`);
    const definition = await this.definitions.compiledDefinition(definitionId);
    if (!definition.compiled.hasNoneStartEvent) {
      throw new EngineError('NOT_STARTABLE', `process ${processId} has no none start event`);
    }
    await this.newInstance(definition, { definitionKey: processId, variables }, undefined, {
      id: instanceId,
      caller,
    });
  }

  private async newInstance(
    definition: CompiledDefinition,
    request: StartProcessInstanceRequest,
    messageStartId?: string,
    called?: { id: string; caller: CallingInstance },
  ): Promise<StartedProcessInstance> {
    const id = called?.id ?? randomUUID();
    const definitionId = definition.deployed.id;
    const rt = this.runtimes.add(definition, {
      instance: {
        id,
        processDefinitionId: definition.deployed.id,
        processDefinitionKey: definition.deployed.key,
        processName: definition.deployed.name,
        businessKey: request.businessKey ?? null,
        tenantId: definition.deployed.tenantId,
        startTime: this.runtimes.now(),
        ...(called ? { parentInstanceId: called.caller.instanceId } : {}),
      },
      ...(called ? { calledBy: called.caller } : {}),
      variables: { ...(request.variables ?? {}) },
      tasks: {},
      subscriptions: {},
      seq: 0,
      txSeq: 0,
      hasTimers: false,
    });
    if (request.requestId !== undefined) {
      rt.startRequest = this.startRequests.record(request.requestId, { instanceId: id, definitionId });
    }
    await this.runtimes.start(rt, request.startUserId ?? null, messageStartId);
    return { instanceId: id, definitionId };
  }

  async cancelProcessInstance(instanceId: string): Promise<void> {
    this.assertOpen();
    const rt = this.runtimes.get(instanceId);
    if (!rt)
      throw new EngineError('UNKNOWN_PROCESS_INSTANCE', `instanceId: no running instance ${instanceId}`);
    await this.runtimes.step(rt, async () => {
      if (rt.ended)
        throw new EngineError('UNKNOWN_PROCESS_INSTANCE', `instanceId: no running instance ${instanceId}`);
      this.runtimes.endInstance(rt, 'instanceCancelled', {
        type: 'processInstance.cancelled',
        instance: rt.meta.instance,
        reason: 'cancelled',
      });
    });
  }

  assignTask(taskId: string, assignee: string | null): Promise<void> {
    return this.taskOperations.assign(taskId, assignee);
  }

  setTaskFollowUpDate(taskId: string, followUpDate: string | null): Promise<void> {
    return this.taskOperations.setFollowUpDate(taskId, followUpDate);
  }

  updateTask(taskId: string, update: EngineTaskUpdate): Promise<void> {
    return this.taskOperations.update(taskId, update);
  }

  completeTask(taskId: string, variables?: Variables): Promise<void> {
    return this.taskOperations.complete(taskId, variables);
  }

  async broadcastSignal(request: BroadcastSignalRequest): Promise<SignalBroadcastResult> {
    this.assertOpen();
    if (typeof request?.signalName !== 'string' || request.signalName.trim() === '')
      throw new EngineError('INVALID_ARGUMENT', 'signalName: a signal name is required');
    if (request.variables !== undefined && !isObject(request.variables))
      throw new EngineError('INVALID_ARGUMENT', 'variables: must be an object');
    return { instanceIds: await this.signals.broadcast(request.signalName.trim(), request.variables ?? {}) };
  }

  async correlateMessage(request: CorrelateMessageRequest): Promise<MessageCorrelationResult> {
    this.assertOpen();
    return this.messages.correlate(request);
  }

  onTransaction(handler: EngineTransactionHandler): Unsubscribe {
    return this.outbox.onTransaction(handler);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.workerJobs.close();
    await this.runtimes.close();
    await this.outbox.close();
    await this.store.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new EngineError('CLOSED', 'the engine has been closed');
  }
}
