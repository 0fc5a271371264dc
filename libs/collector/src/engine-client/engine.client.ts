import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  taskStreamId,
  type ProcessInstanceCancellationRequested,
  type TaskCreated,
  type TaskInteractionEvent,
} from '@eddy/contracts';
import {
  type CheckpointReset,
  checkCheckpoint,
  EVENT_STORE,
  type EventStore,
  type StoredEvent,
} from '@eddy/eventstore';
import { counter, retryWithBackoff, tracingEnabled, withSpan } from '@eddy/observability';
import { EngineError } from '../engine/engine.errors';
import { PROCESS_ENGINE, type ProcessEngine } from '../engine/engine.port';
import { CHECKPOINT_STORE, type CheckpointStore } from './checkpoint.store';

/** How the engine client retries a failed engine call. */
export interface EngineClientOptions {
  /** Tasks of this application are the ones the client tells its engine about. */
  applicationName: string;
  /** Attempts of one engine call before it is given up. Default 5. */
  maxAttempts?: number;
  /** Delay before the first retry, doubled for each further one. Default 100 ms. */
  initialDelayMs?: number;
  /** Largest delay between attempts. Default 5 s. */
  maxDelayMs?: number;
  /**
   * Where to go on from when the stored checkpoint does not belong to the event store
   * (`EDDY_CHECKPOINT_RESET`); unset: such a checkpoint stops the start.
   */
  checkpointReset?: CheckpointReset;
}

/** Injection token of the {@link EngineClientOptions}. */
export const ENGINE_CLIENT_OPTIONS = Symbol('ENGINE_CLIENT_OPTIONS');

const INTERACTIONS = new Set<string>([
  'TaskClaimed',
  'TaskUnclaimed',
  'TaskToBeCompleted',
  'TaskDeferred',
  'TaskUndeferred',
  'TaskDelegated',
  'TaskEdited',
]);

/** The engine no longer has the task or instance: the call is skipped, not retried. */
const UNKNOWN_TARGET: ReadonlySet<string> = new Set(['UNKNOWN_TASK', 'UNKNOWN_PROCESS_INSTANCE']);

const calls = counter(
  'eddy_engine_client_calls_total',
  'Engine calls of the engine client, by action and outcome',
  ['action', 'outcome'],
);

/**
 * Carries what users did in the tasklist to the engine. It follows the event store's global log from a
 * checkpoint of its own and, for the interaction events of tasks of its own application, calls the engine:
 * claimed and delegated -> assign, unclaimed -> unassign, to be completed -> complete with the variables,
 * deferred and undeferred -> follow-up date, edited -> priority and dates; and for instances of its own
 * application, a requested cancellation -> cancel. The engine's resulting change comes back through the collector.
 *
 * A failed call is retried with back-off a bounded number of times, then logged and counted; the task stays
 * as the core has it (to be completed, say) for an operator to see. A task the engine no longer knows is
 * logged and skipped. The checkpoint moves after the calls of a batch: after a crash, calls are repeated,
 * which the engine answers with the same state (assign) or "no such task" (complete).
 *
 * Log codes: `ENGINE-CLIENT-0xx`.
 */
@Injectable()
export class EngineClient {
  private readonly logger = new Logger('EngineClient');
  /** Application of each open task seen in the log; tasks created before the checkpoint are read on demand. */
  private readonly applications = new Map<string, string>();
  private abort: AbortController | null = null;
  private running: Promise<void> | null = null;
  private readonly checkpointName: string;
  private storeIdentity: string | null = null;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROCESS_ENGINE) private readonly engine: ProcessEngine,
    @Inject(CHECKPOINT_STORE) private readonly checkpoints: CheckpointStore,
    @Inject(ENGINE_CLIENT_OPTIONS) private readonly options: EngineClientOptions,
  ) {
    this.checkpointName = `engine-client:${options.applicationName}`;
  }

  /**
   * Starts following the log from the stored checkpoint. Rejects with `CheckpointMismatchError`
   * (`CHECKPOINT-001`) when the checkpoint was taken on another store or lies beyond its head, unless
   * {@link EngineClientOptions.checkpointReset} says where to go on from.
   */
  async start(): Promise<void> {
    if (this.running) return;
    const checked = await checkCheckpoint(
      this.store,
      this.checkpointName,
      await this.checkpoints.load(this.checkpointName),
      this.options.checkpointReset,
    );
    if (checked.reset) {
      this.logger.warn(
        `ENGINE-CLIENT-005 checkpoint reset (EDDY_CHECKPOINT_RESET=${this.options.checkpointReset}): going on after position ${checked.position} of event store ${checked.checkpoint.storeIdentity}`,
      );
    }
    // Stamped with the store's identity at once, so that even a client that never moves belongs to its store.
    await this.checkpoints.save(this.checkpointName, checked.checkpoint);
    this.storeIdentity = checked.checkpoint.storeIdentity;
    const after = checked.position;
    const abort = new AbortController();
    this.abort = abort;
    this.logger.log(`ENGINE-CLIENT-001 following the event log after position ${after}`);
    this.running = this.follow(after, abort.signal).catch((error: unknown) => {
      if (abort.signal.aborted) return;
      this.logger.error(`ENGINE-CLIENT-009 stopped following the event log: ${(error as Error).message}`);
    });
  }

  /** Stops after the call in progress; the checkpoint stays at the last finished batch. */
  async stop(): Promise<void> {
    this.abort?.abort();
    await this.running;
    this.running = null;
    this.abort = null;
  }

  private async follow(after: number, signal: AbortSignal): Promise<void> {
    for await (const batch of this.store.subscribeToAll({ after, signal })) {
      for (const event of batch) {
        if (signal.aborted) return;
        await this.apply(event, signal);
      }
      if (signal.aborted) return;
      if (batch.length > 0)
        await this.checkpoints.save(this.checkpointName, {
          position: batch[batch.length - 1].position,
          storeIdentity: this.storeIdentity,
        });
    }
  }

  /**
   * One event of the log, in the span `engine client <type>` when the command that appended it was
   * traced; its engine call is a span of its own ({@link callWithRetries}).
   */
  private apply(event: StoredEvent, signal: AbortSignal): Promise<void> {
    const { traceparent, correlationId } = event.metadata;
    if (traceparent === undefined || !tracingEnabled()) return this.applyEvent(event, signal);
    return withSpan(
      `engine client ${event.type}`,
      { parent: traceparent, correlationId, kind: 'client', attributes: { 'eddy.position': event.position } },
      () => this.applyEvent(event, signal),
    );
  }

  private async applyEvent(event: StoredEvent, signal: AbortSignal): Promise<void> {
    switch (event.type) {
      case 'TaskCreated': {
        const data = event.data as unknown as TaskCreated['data'];
        this.applications.set(data.id, data.sourceReference.applicationName);
        return;
      }
      case 'TaskCompleted':
      case 'TaskDeleted':
        this.applications.delete((event.data as { id: string }).id);
        return;
      case 'ProcessInstanceCancellationRequested': {
        const { sourceReference } = event.data as unknown as ProcessInstanceCancellationRequested['data'];
        if (sourceReference.applicationName !== this.options.applicationName) return;
        const instanceId = sourceReference.instanceId;
        await this.callWithRetries(
          'cancel',
          `process instance ${instanceId}`,
          event,
          () => this.engine.cancelProcessInstance(instanceId),
          signal,
        );
        return;
      }
    }
    if (!INTERACTIONS.has(event.type)) return;
    const interaction = { type: event.type, data: event.data } as TaskInteractionEvent;
    const taskId = interaction.data.id;
    if ((await this.applicationOf(taskId)) !== this.options.applicationName) return;
    const [action, call] = this.engineCall(interaction);
    await this.callWithRetries(action, `task ${taskId}`, event, call, signal);
  }

  private engineCall(event: TaskInteractionEvent): [string, () => Promise<void>] {
    const { id } = event.data;
    switch (event.type) {
      case 'TaskClaimed':
        return ['assign', () => this.engine.assignTask(id, event.data.assignee)];
      case 'TaskUnclaimed':
        return ['unassign', () => this.engine.assignTask(id, null)];
      case 'TaskToBeCompleted':
        return ['complete', () => this.engine.completeTask(id, event.data.variables)];
      case 'TaskDeferred':
        return ['defer', () => this.engine.setTaskFollowUpDate(id, event.data.followUpDate)];
      case 'TaskUndeferred':
        return ['undefer', () => this.engine.setTaskFollowUpDate(id, null)];
      case 'TaskDelegated':
        return ['delegate', () => this.engine.assignTask(id, event.data.assignee)];
      case 'TaskEdited':
        return ['edit', () => this.engine.updateTask(id, event.data.changes)];
      default: {
        const unexpected: never = event;
        throw new Error(`unexpected interaction event ${JSON.stringify(unexpected)}`);
      }
    }
  }

  private async applicationOf(taskId: string): Promise<string | null> {
    const known = this.applications.get(taskId);
    if (known) return known;
    const [first] = await this.store.readStream(taskStreamId(taskId), { maxCount: 1 });
    if (first?.type !== 'TaskCreated') return null;
    const application = (first.data as unknown as TaskCreated['data']).sourceReference.applicationName;
    this.applications.set(taskId, application);
    return application;
  }

  /**
   * One engine call for `event`, with its retries, in the span `engine <action>` (tracing on; the engine
   * takes its context into the transaction the call makes) and in the correlation scope of the event, so
   * that its log lines say the correlation id. `subject` names what the call is about in the log (`task
   * t-17`, `process instance pi-3`).
   */
  private callWithRetries(
    action: string,
    subject: string,
    event: StoredEvent,
    call: () => Promise<void>,
    signal: AbortSignal,
  ): Promise<void> {
    return withSpan(
      `engine ${action}`,
      {
        correlationId: event.metadata.correlationId,
        kind: 'client',
        attributes: { 'eddy.subject': subject },
      },
      () => this.callEngine(action, subject, event.position, call, signal),
    );
  }

  private async callEngine(
    action: string,
    subject: string,
    position: number,
    call: () => Promise<void>,
    signal: AbortSignal,
  ): Promise<void> {
    const maxAttempts = this.options.maxAttempts ?? 5;
    let attempts = 0;
    try {
      await retryWithBackoff(
        (attempt) => {
          attempts = attempt;
          return call();
        },
        {
          maxAttempts,
          initialDelayMs: this.options.initialDelayMs ?? 100,
          maxDelayMs: this.options.maxDelayMs ?? 5_000,
          signal,
          shouldRetry: (error) => {
            const code = error instanceof EngineError ? error.code : null;
            return !UNKNOWN_TARGET.has(code ?? '') && code !== 'CLOSED' && code !== 'INVALID_ARGUMENT';
          },
          onRetry: (error, attempt, delay) => {
            calls.inc({ action, outcome: 'retried' });
            this.logger.warn(
              `ENGINE-CLIENT-004 ${subject}: ${action} failed (attempt ${attempt} of ${maxAttempts}), retrying in ${delay} ms: ${(error as Error).message}`,
            );
          },
        },
      );
      calls.inc({ action, outcome: 'done' });
    } catch (error) {
      const message = (error as Error).message;
      const code = error instanceof EngineError ? error.code : null;
      if (UNKNOWN_TARGET.has(code ?? '')) {
        calls.inc({ action, outcome: 'unknown_task' });
        this.logger.warn(
          `ENGINE-CLIENT-002 ${subject}: ${action} (event at ${position}) skipped, the engine has no such open task or running instance: ${message}`,
        );
        return;
      }
      if (code === 'CLOSED' || signal.aborted) {
        // Shutting down: the checkpoint stays before this event, so the call is made after the restart.
        throw error;
      }
      calls.inc({ action, outcome: 'failed' });
      this.logger.error(
        `ENGINE-CLIENT-003 ${subject}: ${action} (event at ${position}) failed after ${attempts} attempt(s), given up; it keeps its state in the task pool: ${message}`,
      );
    }
  }
}
