import { Logger } from '@nestjs/common';
import { Camunda8 } from '@camunda8/sdk';
import {
  counter,
  retryWithBackoff,
  sleep,
  tracedFetch,
  traceparentOf,
  tracingEnabled,
  withSpan,
} from '@eddy/observability';
import { EngineError, type UnsupportedElement } from '../engine.errors';
import type {
  BpmnResource,
  BroadcastSignalRequest,
  CorrelateMessageRequest,
  DeployedProcessDefinition,
  EngineTaskUpdate,
  EngineTransaction,
  EngineTransactionHandler,
  MessageCorrelationResult,
  ProcessEngine,
  SignalBroadcastResult,
  StartedProcessInstance,
  StartProcessInstanceRequest,
  Unsubscribe,
  Variables,
} from '../engine.port';
import {
  readProcessModels,
  withEddyListeners,
  type Camunda8ListenerTypes,
  type Camunda8ProcessModel,
} from './camunda8-bpmn.model';
import { isoDateOrNull, mapListenerJob, tenantOrNull } from './camunda8-listener-job.mapping';
import { MemoryReportedStore, SqliteReportedStore, type ReportedStore } from './camunda8-reported.store';
import {
  correctionTransaction,
  diffOpenTasks,
  parseUserTask,
  userTaskToEngineTask,
  type Camunda8UserTask,
} from './camunda8-task.resync';

/** The SDK's loosely typed Orchestration Cluster REST API client (keys as plain strings). */
type CamundaClient = ReturnType<Camunda8['getOrchestrationClusterApiClientLoose']>;
type ActivatedJob = Parameters<Parameters<CamundaClient['createJobWorker']>[0]['jobHandler']>[0];
type JobActionReceipt = Awaited<ReturnType<ActivatedJob['complete']>>;
type JobWorker = ReturnType<CamundaClient['createJobWorker']>;

/**
 * Settings of {@link Camunda8ProcessEngine}. The connection (address, OAuth client credentials or none,
 * tenant) is the SDK's own configuration: its `ZEEBE_REST_ADDRESS`, `CAMUNDA_AUTH_STRATEGY`, `ZEEBE_CLIENT_ID`,
 * `ZEEBE_CLIENT_SECRET`, `CAMUNDA_OAUTH_URL`, `CAMUNDA_TENANT_ID` ... environment variables, or the same keys in
 * `sdkConfig`, which win over the environment.
 */
export interface Camunda8ProcessEngineOptions {
  /** SDK configuration keys (as the `Camunda8` constructor takes them); merged over the environment by the SDK. */
  sdkConfig?: Record<string, string | number | boolean | undefined>;
  /** Folder of `camunda8.sqlite` (the tasks reported to Eddy); null keeps them in memory. */
  dataDir: string | null;
  /** Job types of Eddy's listeners. Default `eddy-user-task` and `eddy-process-instance`. */
  listenerTypes?: Camunda8ListenerTypes;
  /** How long Camunda waits for a listener job before it hands it out again. Default 30 s. */
  jobTimeoutMs?: number;
  /** Long poll of one job activation. Default 10 s. */
  pollTimeoutMs?: number;
  /** Listener jobs handled side by side (their transactions are still delivered one at a time). Default 16. */
  maxParallelJobs?: number;
  /** Back-off before Camunda hands out a job again whose transaction Eddy did not accept. Default 1 s. */
  redeliveryBackoffMs?: number;
  /** Re-sync of the open user tasks, after the first one at start. Default 5 minutes; 0: only at start. */
  resyncIntervalMs?: number;
  /**
   * Attempts of a task action while the task is busy with a listener job (Camunda answers 409), 25 ms
   * doubling to 0.5 s apart. Default 40 (about 18 s).
   */
  busyTaskAttempts?: number;
  /** Process variable that carries the business key (Camunda 8 has none). Default `businessKey`. */
  businessKeyVariable?: string;
  clock?: () => Date;
}

const DEFAULT_LISTENER_TYPES: Camunda8ListenerTypes = {
  userTask: 'eddy-user-task',
  processInstance: 'eddy-process-instance',
};

const listenerJobs = counter(
  'eddy_camunda8_listener_jobs_total',
  'Listener jobs of Camunda 8, by outcome (completed, redelivered, failed)',
  ['outcome'],
);
const resyncCorrections = counter(
  'eddy_camunda8_resync_corrections_total',
  'Corrections of the task pool by the Camunda 8 re-sync, by correction (created, completed, cancelled)',
  ['correction'],
);

interface HttpError {
  status?: number;
  title?: string;
  detail?: string;
  message?: string;
}

function statusOf(error: unknown): number | undefined {
  return (error as HttpError | null)?.status;
}

function detailOf(error: unknown): string {
  const e = (error ?? {}) as HttpError;
  return e.detail ?? e.title ?? e.message ?? String(error);
}

/**
 * The error of a deployment Camunda refused. Its validation message lists each element with its errors
 * (`- Element: Decide` then `- ERROR: ...` lines): those become the `UNSUPPORTED_ELEMENT` details.
 */
export function deploymentRefused(resourceName: string, detail: string): EngineError {
  const details: UnsupportedElement[] = [];
  let current: UnsupportedElement | null = null;
  for (const line of detail.split('\n')) {
    const element = line.match(/^\s*- Element: (\S+)/);
    const problem = line.match(/^\s*- ERROR: (.*)$/);
    if (element) {
      current = { elementId: element[1], elementType: '', reason: '' };
      details.push(current);
    } else if (problem && current) {
      current.reason = current.reason ? `${current.reason}; ${problem[1]}` : problem[1];
    }
  }
  const message = `${resourceName}: Camunda 8 refused the deployment: ${detail}`;
  return details.length > 0
    ? new EngineError('UNSUPPORTED_ELEMENT', message, details)
    : new EngineError('INVALID_BPMN', message);
}

/** Longest wait for the canceling listeners of an instance Eddy cancelled before it reports the instance cancelled. */
const CANCELLATION_WAIT_MS = 60_000;

/** Keeps a task id out of the re-sync's "missing" for this long after its end was reported. */
const RECENTLY_ENDED_MS = 10 * 60_000;

/**
 * The Camunda 8 adapter of the engine port, on the Orchestration Cluster REST API (8.8 and later) through
 * `@camunda8/sdk`.
 *
 * - `deploy` adds Eddy's user task listeners (creating, assigning, updating, completing, canceling) and the
 *   process's start and end execution listeners to the BPMN, then deploys it;
 * - job workers serve those listeners: each listener job becomes one {@link EngineTransaction}, and the job
 *   is completed only after the handler (the collector, which sends the commands to the core) resolved. When
 *   it rejects, the job is failed with its retries unchanged and a back-off, so Camunda hands it out again
 *   and nothing is lost while the core is down; a job whose data does not fit is failed with no retries left
 *   and the reason, and Camunda raises an incident;
 * - the re-sync compares Camunda's open user tasks with the tasks reported to Eddy, at start and on a
 *   schedule, and corrects the difference;
 * - traces (tracing on): a listener job is handled in the span `camunda8 listener job <event type>`,
 *   whose context its transaction carries to the collector (Camunda's job carries none of the call that
 *   caused it, so that span starts a trace); every REST call made inside a span (the engine client's
 *   assign, complete ...) carries that span's `traceparent` header, through the SDK's own `fetch` option.
 *
 * Log codes: `CAMUNDA8-0xx`.
 */
export class Camunda8ProcessEngine implements ProcessEngine {
  private readonly logger = new Logger('Camunda8Engine');
  private readonly types: Camunda8ListenerTypes;
  private readonly businessKeyVariable: string;
  private readonly clock: () => Date;
  private readonly models = new Map<string, Camunda8ProcessModel>();
  private readonly cancelledByEddy = new Set<string>();
  private readonly jobTimes = new Map<string, string>();
  private readonly pendingCancellations = new Map<string, { tx: EngineTransaction; timer: NodeJS.Timeout }>();
  private readonly recentlyEnded = new Map<string, number>();
  private readonly ownDeliveries = new Set<Promise<void>>();
  private handler: EngineTransactionHandler | null = null;
  private handlerRegistered: () => void = () => {};
  private handlerPresent = new Promise<void>((resolve) => (this.handlerRegistered = resolve));
  private delivery: Promise<unknown> = Promise.resolve();
  private workers: JobWorker[] = [];
  private resyncTimer: NodeJS.Timeout | null = null;
  private resyncRunning: Promise<unknown> | null = null;
  private resyncChain: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly client: CamundaClient,
    private readonly reported: ReportedStore,
    private readonly options: Camunda8ProcessEngineOptions,
  ) {
    this.types = options.listenerTypes ?? DEFAULT_LISTENER_TYPES;
    this.businessKeyVariable = options.businessKeyVariable ?? 'businessKey';
    this.clock = options.clock ?? (() => new Date());
  }

  /** Creates the SDK client and opens the store of reported tasks; nothing is sent to Camunda yet. */
  static open(options: Camunda8ProcessEngineOptions): Camunda8ProcessEngine {
    const sdk = new Camunda8(options.sdkConfig ?? {});
    const client = sdk.getOrchestrationClusterApiClientLoose();
    // The SDK's way to change how it sends requests: the same client, with the trace header added.
    // (Node's fetch and the SDK's declared one differ only in their stream typings.)
    if (tracingEnabled()) client.configure({ fetch: tracedFetch() as never });
    const reported =
      options.dataDir === null ? new MemoryReportedStore() : SqliteReportedStore.inFolder(options.dataDir);
    return new Camunda8ProcessEngine(client, reported, options);
  }

  /** A DMN resource: Camunda 8 keeps its decisions for business rule tasks; no process is deployed. */
  private async deployDecisions(xml: string, name: string): Promise<DeployedProcessDefinition[]> {
    try {
      await this.client.createDeployment({
        resources: [new File([xml], name, { type: 'application/xml' }) as never],
      });
    } catch (error) {
      if (statusOf(error) === 400) throw deploymentRefused(name, detailOf(error));
      throw error;
    }
    return [];
  }

  async deploy(resource: BpmnResource): Promise<DeployedProcessDefinition[]> {
    this.ensureOpen();
    const name = resource?.resourceName;
    if (typeof name !== 'string' || name === '') {
      throw new EngineError('INVALID_ARGUMENT', 'resourceName: a resource name is required');
    }
    if (name.endsWith('.dmn')) return this.deployDecisions(resource.xml, name);
    const models = await readProcessModels(resource.xml, name);
    const xml = await withEddyListeners(resource.xml, name, this.types);
    let result: Awaited<ReturnType<CamundaClient['createDeployment']>>;
    try {
      result = await this.client.createDeployment({
        // Node's File and the SDK's declared one differ only in their stream typings.
        resources: [new File([xml], name, { type: 'application/xml' }) as never],
      });
    } catch (error) {
      if (statusOf(error) === 400) throw deploymentRefused(name, detailOf(error));
      throw error;
    }
    return result.processes.map((p) => {
      const model = models.find((m) => m.id === p.processDefinitionId);
      if (model) this.models.set(String(p.processDefinitionKey), model);
      return this.definition(
        {
          processDefinitionKey: String(p.processDefinitionKey),
          processDefinitionId: String(p.processDefinitionId),
          version: p.processDefinitionVersion,
          resourceName: p.resourceName ?? name,
          tenantId: p.tenantId ? String(p.tenantId) : null,
        },
        model,
      );
    });
  }

  async listProcessDefinitions(): Promise<DeployedProcessDefinition[]> {
    this.ensureOpen();
    const out: DeployedProcessDefinition[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.client.searchProcessDefinitions(
        { filter: { isLatestVersion: true }, page: { limit: 100, ...(after ? { after } : {}) } },
        { consistency: { waitUpToMs: 0 } },
      );
      for (const item of page.items ?? []) {
        const key = String(item.processDefinitionKey);
        const model = await this.modelOf(key, String(item.processDefinitionId));
        out.push(
          this.definition(
            {
              processDefinitionKey: key,
              processDefinitionId: String(item.processDefinitionId),
              version: item.version ?? 1,
              resourceName: item.resourceName ?? '',
              tenantId: item.tenantId ? String(item.tenantId) : null,
            },
            model,
          ),
        );
      }
      const next = page.page?.endCursor;
      if (!next || (page.items ?? []).length < 100) return out;
      after = String(next);
    }
  }

  async startProcessInstance(request: StartProcessInstanceRequest): Promise<StartedProcessInstance> {
    this.ensureOpen();
    if (typeof request?.definitionKey !== 'string' || request.definitionKey === '') {
      throw new EngineError('INVALID_ARGUMENT', 'definitionKey: a BPMN process id is required');
    }
    const variables: Variables = { ...(request.variables ?? {}) };
    if (request.businessKey !== undefined) variables[this.businessKeyVariable] = request.businessKey;
    try {
      const started = await this.client.createProcessInstance({
        processDefinitionId: request.definitionKey,
        variables,
      });
      return {
        instanceId: String(started.processInstanceKey),
        definitionId: String(started.processDefinitionKey),
      };
    } catch (error) {
      if (statusOf(error) === 404) {
        throw new EngineError(
          'UNKNOWN_PROCESS_DEFINITION',
          `definitionKey: no process ${request.definitionKey} is deployed`,
        );
      }
      if (statusOf(error) === 400) {
        throw new EngineError('INVALID_ARGUMENT', `${request.definitionKey}: ${detailOf(error)}`);
      }
      throw error;
    }
  }

  async cancelProcessInstance(instanceId: string): Promise<void> {
    this.ensureOpen();
    let instance: Awaited<ReturnType<CamundaClient['getProcessInstance']>> | null = null;
    try {
      instance = await this.client.getProcessInstance(
        { processInstanceKey: instanceId },
        { consistency: { waitUpToMs: 2000 } },
      );
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
    this.cancelledByEddy.add(instanceId);
    try {
      await this.client.cancelProcessInstance({ processInstanceKey: instanceId });
    } catch (error) {
      this.cancelledByEddy.delete(instanceId);
      if (statusOf(error) === 404) {
        throw new EngineError('UNKNOWN_PROCESS_INSTANCE', `instanceId: no running instance ${instanceId}`);
      }
      throw error;
    }
    const now = this.clock().toISOString();
    const definitionKey = String(instance?.processDefinitionKey ?? '');
    const tx: EngineTransaction = {
      id: `camunda8:cancel:${instanceId}`,
      processInstanceId: instanceId,
      events: [
        {
          type: 'processInstance.cancelled',
          eventId: `${instanceId}:${instanceId}:cancelled`,
          occurredAt: now,
          reason: 'cancelled',
          instance: {
            id: instanceId,
            processDefinitionId: definitionKey,
            processDefinitionKey: String(instance?.processDefinitionId ?? ''),
            processName: this.models.get(definitionKey)?.name ?? instance?.processDefinitionName ?? null,
            businessKey: null,
            tenantId: tenantOrNull(instance?.tenantId ? String(instance.tenantId) : null),
            startTime: isoDateOrNull(instance?.startDate ? String(instance.startDate) : null) ?? now,
          },
        },
      ],
      variables: {},
    };
    // Camunda cancels the open tasks through their canceling listeners; the instance is reported cancelled
    // after them, as the port orders it (or after a minute, should a listener never come).
    const timer = setTimeout(() => this.finishCancellation(instanceId), CANCELLATION_WAIT_MS);
    timer.unref();
    this.pendingCancellations.set(instanceId, { tx, timer });
    this.taskEndedFor(instanceId);
  }

  async assignTask(taskId: string, assignee: string | null): Promise<void> {
    this.ensureOpen();
    await this.taskCall(taskId, () =>
      assignee === null
        ? this.client.unassignUserTask({ userTaskKey: taskId })
        : this.client.assignUserTask({ userTaskKey: taskId, assignee, allowOverride: true }),
    );
  }

  async completeTask(taskId: string, variables?: Variables): Promise<void> {
    this.ensureOpen();
    await this.taskCall(taskId, () =>
      this.client.completeUserTask({ userTaskKey: taskId, variables: variables ?? {} }),
    );
  }

  setTaskFollowUpDate(taskId: string, followUpDate: string | null): Promise<void> {
    return this.updateTask(taskId, { followUpDate });
  }

  /** One `PATCH /v2/user-tasks/{key}`; Camunda removes a date given as the empty string. */
  async updateTask(taskId: string, update: EngineTaskUpdate): Promise<void> {
    this.ensureOpen();
    const changeset: { priority?: number; dueDate?: string; followUpDate?: string } = {};
    if (update.priority !== undefined) {
      if (!Number.isInteger(update.priority) || update.priority < 0 || update.priority > 100) {
        throw new EngineError('INVALID_ARGUMENT', 'priority: a whole number from 0 to 100 is required');
      }
      changeset.priority = update.priority;
    }
    for (const field of ['dueDate', 'followUpDate'] as const) {
      const value = update[field];
      if (value === undefined) continue;
      if (value !== null && Number.isNaN(Date.parse(value))) {
        throw new EngineError('INVALID_ARGUMENT', `${field}: an ISO-8601 date-time or null is required`);
      }
      changeset[field] = value ?? '';
    }
    if (Object.keys(changeset).length === 0) return;
    await this.taskCall(taskId, () => this.client.updateUserTask({ userTaskKey: taskId, changeset }));
  }

  /**
   * A message with an id or a time to live is published (`POST /v2/messages/publication`): Camunda keeps it
   * for its time to live and refuses a second one with the same id; the publication does not tell which
   * instances received it, so `instanceIds` is empty. A message with neither is correlated
   * (`POST /v2/messages/correlation`), which names the instance, or finds none.
   */
  async correlateMessage(request: CorrelateMessageRequest): Promise<MessageCorrelationResult> {
    this.ensureOpen();
    if (typeof request?.name !== 'string' || request.name === '') {
      throw new EngineError('INVALID_ARGUMENT', 'name: a message name is required');
    }
    if (typeof request.correlationKey !== 'string') {
      throw new EngineError('INVALID_ARGUMENT', 'correlationKey: a string is required');
    }
    if (
      request.messageId !== undefined &&
      (typeof request.messageId !== 'string' || request.messageId === '')
    ) {
      throw new EngineError('INVALID_ARGUMENT', 'messageId: a non-empty string is required when given');
    }
    const ttl = request.timeToLiveMs ?? 0;
    if (!Number.isInteger(ttl) || ttl < 0) {
      throw new EngineError(
        'INVALID_ARGUMENT',
        'timeToLiveMs: a whole number of milliseconds, 0 or more, is required',
      );
    }
    const variables = request.variables ?? {};
    if (request.messageId !== undefined || ttl > 0) {
      try {
        await this.client.publishMessage({
          name: request.name,
          correlationKey: request.correlationKey,
          timeToLive: ttl,
          variables,
          ...(request.messageId !== undefined ? { messageId: request.messageId } : {}),
        });
      } catch (error) {
        // Camunda refuses a message whose id it already has: the first one stands, nothing changes.
        if (statusOf(error) !== 409) throw error;
      }
      return { instanceIds: [] };
    }
    try {
      const result = await this.client.correlateMessage({
        name: request.name,
        correlationKey: request.correlationKey,
        variables,
      });
      return { instanceIds: result.processInstanceKey ? [String(result.processInstanceKey)] : [] };
    } catch (error) {
      if (statusOf(error) === 404) return { instanceIds: [] };
      throw error;
    }
  }

  /** `POST /v2/signals/broadcast`; Camunda does not say which instances the signal reached. */
  async broadcastSignal(request: BroadcastSignalRequest): Promise<SignalBroadcastResult> {
    this.ensureOpen();
    if (typeof request?.signalName !== 'string' || request.signalName.trim() === '') {
      throw new EngineError('INVALID_ARGUMENT', 'signalName: a signal name is required');
    }
    await this.client.broadcastSignal({
      signalName: request.signalName.trim(),
      variables: request.variables ?? {},
    });
    return { instanceIds: [] };
  }

  onTransaction(handler: EngineTransactionHandler): Unsubscribe {
    this.ensureOpen();
    if (this.handler) throw new EngineError('INVALID_ARGUMENT', 'handler: one transaction handler at a time');
    this.handler = handler;
    this.handlerRegistered();
    this.workers = [this.types.userTask, this.types.processInstance].map((jobType) =>
      this.client.createJobWorker({
        jobType,
        workerName: 'eddy',
        maxParallelJobs: this.options.maxParallelJobs ?? 16,
        jobTimeoutMs: this.options.jobTimeoutMs ?? 30_000,
        pollTimeoutMs: this.options.pollTimeoutMs ?? 10_000,
        pollIntervalMs: 100,
        jobHandler: (job) => this.handleListenerJob(job),
      }),
    );
    this.scheduleResync();
    return () => {
      if (this.handler !== handler) return;
      this.stopDelivery();
    };
  }

  /**
   * Compares Camunda's open user tasks with the tasks reported to Eddy and reports the difference: a task
   * Eddy missed is created (with its variables), one that ended without Eddy being told is completed or
   * cancelled. Each correction is counted (`eddy_camunda8_resync_corrections_total`) and logged
   * (`CAMUNDA8-030`, `CAMUNDA8-031`). Runs at start and every `resyncIntervalMs`; callable at any time.
   */
  resync(): Promise<{ created: number; ended: number }> {
    this.ensureOpen();
    // One re-sync at a time: two side by side would both correct the same difference.
    const run = this.resyncChain.then(() => this.resyncOnce());
    this.resyncChain = run.catch(() => undefined);
    return run;
  }

  private async resyncOnce(): Promise<{ created: number; ended: number }> {
    const now = Date.now();
    for (const [id, at] of this.recentlyEnded)
      if (now - at > RECENTLY_ENDED_MS) this.recentlyEnded.delete(id);
    const open = await this.searchOpenUserTasks();
    const diff = diffOpenTasks(open, this.reported.all(), new Set(this.recentlyEnded.keys()));
    let created = 0;
    let ended = 0;
    for (const userTask of diff.missing) {
      const model = await this.modelOf(userTask.processDefinitionKey, userTask.processDefinitionId);
      const variables = await this.userTaskVariables(userTask.userTaskKey);
      const task = userTaskToEngineTask(userTask, model, variables, this.businessKeyVariable);
      await this.deliver(
        correctionTransaction({ kind: 'missing', task, variables }, this.clock().toISOString()),
      );
      this.reported.put(task);
      resyncCorrections.inc({ correction: 'created' });
      this.logger.warn(
        `CAMUNDA8-030 re-sync: task ${task.id} (${task.taskDefinitionKey} of instance ${task.processInstanceId}) is open in Camunda 8 but was never reported: created in the task pool`,
      );
      created++;
    }
    for (const task of diff.ended) {
      let state: string | undefined;
      try {
        const current = await this.client.getUserTask(
          { userTaskKey: task.id },
          { consistency: { waitUpToMs: 0 } },
        );
        state = current.state;
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
      if (state !== 'COMPLETED' && state !== 'CANCELED') continue;
      await this.deliver(correctionTransaction({ kind: 'ended', task, state }, this.clock().toISOString()));
      this.markEnded(task.id);
      const correction = state === 'COMPLETED' ? 'completed' : 'cancelled';
      resyncCorrections.inc({ correction });
      this.logger.warn(
        `CAMUNDA8-031 re-sync: task ${task.id} (${task.taskDefinitionKey} of instance ${task.processInstanceId}) ended in Camunda 8 (${state}) without Eddy being told: ${correction} in the task pool`,
      );
      ended++;
    }
    return { created, ended };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.stopDelivery();
    for (const pending of this.pendingCancellations.values()) clearTimeout(pending.timer);
    this.closed = true;
    await Promise.allSettled([...this.ownDeliveries, this.resyncRunning, this.delivery]);
    this.reported.close();
  }

  private stopDelivery(): void {
    for (const worker of this.workers) worker.stop();
    this.workers = [];
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.resyncTimer = null;
    this.handler = null;
    this.handlerPresent = new Promise<void>((resolve) => (this.handlerRegistered = resolve));
  }

  /** One listener job in its span; the transaction it becomes carries the span's context. */
  private handleListenerJob(job: ActivatedJob): Promise<JobActionReceipt> {
    return withSpan(
      `camunda8 listener job ${String(job.listenerEventType ?? job.type).toLowerCase()}`,
      {
        // The correlation id of the transaction's commands (`mapListenerJob`).
        correlationId: `camunda8:${String(job.jobKey)}`,
        kind: 'consumer',
        attributes: {
          'eddy.job_key': String(job.jobKey),
          'eddy.element_id': String(job.elementId),
          'eddy.process_instance_id': String(job.processInstanceKey),
        },
      },
      () => this.handleJob(job),
    );
  }

  private async handleJob(job: ActivatedJob): Promise<JobActionReceipt> {
    let model: Camunda8ProcessModel | undefined;
    try {
      model = await this.modelOf(String(job.processDefinitionKey), String(job.processDefinitionId));
    } catch (error) {
      return this.redeliver(job, `the process model could not be read: ${detailOf(error)}`);
    }
    const taskKey = job.userTask?.userTaskKey ? String(job.userTask.userTaskKey) : undefined;
    const mapping = mapListenerJob(job, {
      model,
      previous: taskKey ? this.reported.get(taskKey) : undefined,
      businessKeyVariable: this.businessKeyVariable,
      cancelledByEddy: this.cancelledByEddy.has(String(job.processInstanceKey)),
      instanceReported: this.reported.hasInstance(String(job.processInstanceKey)),
      now: this.firstSeen(String(job.jobKey)),
    });
    if (!mapping.ok) {
      listenerJobs.inc({ outcome: 'failed' });
      this.logger.error(`CAMUNDA8-020 listener job refused, Camunda 8 raises an incident: ${mapping.reason}`);
      this.jobTimes.delete(String(job.jobKey));
      return job.fail({ errorMessage: mapping.reason, retries: 0 });
    }
    const traceparent = traceparentOf();
    try {
      await this.deliver(
        traceparent === undefined ? mapping.transaction : { ...mapping.transaction, traceparent },
      );
    } catch (error) {
      return this.redeliver(job, (error as Error).message);
    }
    const instanceId = mapping.transaction.processInstanceId;
    if (mapping.instanceStarted) this.reported.putInstance(instanceId);
    if (mapping.instanceEnded) this.reported.removeInstance(instanceId);
    if (mapping.task) {
      if (mapping.taskEnded) this.markEnded(mapping.task.id);
      else this.reported.put(mapping.task);
      if (mapping.taskEnded) this.taskEndedFor(instanceId);
    }
    listenerJobs.inc({ outcome: 'completed' });
    this.jobTimes.delete(String(job.jobKey));
    return job.complete();
  }

  private redeliver(job: ActivatedJob, reason: string): Promise<JobActionReceipt> {
    listenerJobs.inc({ outcome: 'redelivered' });
    this.logger.warn(
      `CAMUNDA8-010 listener job ${String(job.jobKey)} (${String(job.listenerEventType)} at ${String(job.elementId)}) not acknowledged, Camunda 8 hands it out again: ${reason}`,
    );
    return job.fail({
      errorMessage: `Eddy did not accept the transaction: ${reason}`,
      retries: job.retries,
      retryBackOff: this.options.redeliveryBackoffMs ?? 1000,
    });
  }

  /** Reports a pending cancellation of the instance once none of its tasks is reported open any more. */
  private taskEndedFor(instanceId: string): void {
    if (!this.pendingCancellations.has(instanceId)) return;
    if (this.reported.all().some((t) => t.processInstanceId === instanceId)) return;
    this.finishCancellation(instanceId);
  }

  private finishCancellation(instanceId: string): void {
    const pending = this.pendingCancellations.get(instanceId);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pendingCancellations.delete(instanceId);
    this.cancelledByEddy.delete(instanceId);
    this.reported.removeInstance(instanceId);
    this.deliverOwn(pending.tx);
  }

  /**
   * When the job was first handed to this adapter: the time of its events, so that a redelivered job yields
   * the same transaction (Camunda's job carries no time of its own).
   */
  private firstSeen(jobKey: string): string {
    let at = this.jobTimes.get(jobKey);
    if (!at) {
      at = this.clock().toISOString();
      this.jobTimes.set(jobKey, at);
    }
    return at;
  }

  private markEnded(taskId: string): void {
    this.reported.remove(taskId);
    this.recentlyEnded.set(taskId, Date.now());
  }

  /** Hands one transaction to the handler, after the one before it (one at a time, as the port promises). */
  private deliver(tx: EngineTransaction): Promise<void> {
    const run = this.delivery.then(() => {
      const handler = this.handler;
      if (!handler) throw new Error('no transaction handler is registered');
      return handler(tx);
    });
    this.delivery = run.catch(() => undefined);
    return run;
  }

  /** Delivers a transaction the adapter produced itself (a cancellation) until the handler accepts it. */
  private deliverOwn(tx: EngineTransaction): void {
    const backoff = this.options.redeliveryBackoffMs ?? 1000;
    const run = (async () => {
      while (!this.closed) {
        if (!this.handler) {
          await this.handlerPresent;
          continue;
        }
        try {
          await this.deliver(tx);
          return;
        } catch (error) {
          this.logger.warn(
            `CAMUNDA8-011 transaction ${tx.id} not acknowledged, delivered again: ${(error as Error).message}`,
          );
          await sleep(backoff);
        }
      }
    })();
    this.ownDeliveries.add(run);
    void run.finally(() => this.ownDeliveries.delete(run));
  }

  private scheduleResync(): void {
    const run = () => {
      if (this.resyncRunning || this.closed || !this.handler) return;
      this.resyncRunning = this.resync()
        .catch((error: unknown) =>
          this.logger.error(
            `CAMUNDA8-032 re-sync with Camunda 8 failed, tried again later: ${detailOf(error)}`,
          ),
        )
        .finally(() => (this.resyncRunning = null));
    };
    run();
    const interval = this.options.resyncIntervalMs ?? 300_000;
    if (interval > 0) {
      this.resyncTimer = setInterval(run, interval);
      this.resyncTimer.unref();
    }
  }

  private async searchOpenUserTasks(): Promise<Camunda8UserTask[]> {
    const out: Camunda8UserTask[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.client.searchUserTasks(
        {
          filter: {
            state: { $in: ['CREATING', 'CREATED', 'ASSIGNING', 'UPDATING', 'COMPLETING', 'CANCELING'] },
          },
          page: { limit: 100, ...(after ? { after } : {}) },
        } as never,
        { consistency: { waitUpToMs: 0 } },
      );
      const items = (page.items ?? []) as unknown[];
      for (const item of items) {
        const parsed = parseUserTask(item);
        if (parsed.ok) out.push(parsed.task);
        else this.logger.error(`CAMUNDA8-033 re-sync skips a user task Camunda 8 returned: ${parsed.reason}`);
      }
      const next = page.page?.endCursor;
      if (!next || items.length < 100) return out;
      after = String(next);
    }
  }

  private async userTaskVariables(userTaskKey: string): Promise<Variables> {
    const result = await this.client.searchUserTaskVariables(
      { userTaskKey, page: { limit: 1000 } },
      { consistency: { waitUpToMs: 0 } },
    );
    const variables: Variables = {};
    for (const item of result.items ?? []) {
      try {
        variables[item.name] = JSON.parse(item.value);
      } catch {
        variables[item.name] = item.value;
      }
    }
    return variables;
  }

  /** The model of a deployed definition: from the deployment, else read from Camunda's XML of it. */
  private async modelOf(definitionKey: string, processId: string): Promise<Camunda8ProcessModel | undefined> {
    const known = this.models.get(definitionKey);
    if (known) return known;
    const xml = await this.client.getProcessDefinitionXml(
      { processDefinitionKey: definitionKey },
      { consistency: { waitUpToMs: 5000 } },
    );
    const model = (await readProcessModels(String(xml), `process definition ${definitionKey}`)).find(
      (m) => m.id === processId,
    );
    if (model) this.models.set(definitionKey, model);
    return model;
  }

  private definition(
    deployed: {
      processDefinitionKey: string;
      processDefinitionId: string;
      version: number;
      resourceName: string;
      tenantId: string | null;
    },
    model: Camunda8ProcessModel | undefined,
  ): DeployedProcessDefinition {
    return {
      id: deployed.processDefinitionKey,
      key: deployed.processDefinitionId,
      version: deployed.version,
      name: model?.name ?? null,
      versionTag: model?.versionTag ?? null,
      formKey: model?.formKey ?? null,
      startableFromTasklist: model?.startableFromTasklist ?? true,
      candidateStarterGroups: model?.candidateStarterGroups ?? [],
      candidateStarterUsers: model?.candidateStarterUsers ?? [],
      resourceName: deployed.resourceName,
      tenantId: tenantOrNull(deployed.tenantId),
    };
  }

  private async taskCall(taskId: string, call: () => Promise<unknown>): Promise<void> {
    if (typeof taskId !== 'string' || taskId === '') {
      throw new EngineError('INVALID_ARGUMENT', 'taskId: a user task key is required');
    }
    try {
      // A task whose listener job is open refuses other changes (409) until the job is completed.
      await retryWithBackoff(() => call(), {
        initialDelayMs: 25,
        maxDelayMs: 500,
        maxAttempts: this.options.busyTaskAttempts ?? 40,
        shouldRetry: (error) => statusOf(error) === 409,
      });
    } catch (error) {
      if (statusOf(error) === 404) {
        throw new EngineError('UNKNOWN_TASK', `taskId: no open user task ${taskId}`);
      }
      if (statusOf(error) === 400) throw new EngineError('INVALID_ARGUMENT', `${taskId}: ${detailOf(error)}`);
      throw error;
    }
  }

  private ensureOpen(): void {
    if (this.closed) throw new EngineError('CLOSED', 'the Camunda 8 engine adapter is closed');
  }
}
