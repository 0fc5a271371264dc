import { ENGINE_REQUESTS, type EngineRequests } from '@eddy/collector/engine/engine.port';
import {
  COMMAND_DISPATCHER,
  payloadProblem,
  validateCommand,
  type CommandDispatcher,
  type CommandResult,
  type EditTaskData,
  type RequestProcessInstanceCancellation,
  type SavedFilterCommand,
  type TaskInteractionCommand,
} from '@eddy/contracts';
import { EngineError } from '@eddy/collector/engine/engine.errors';
import { EVENT_STORE, type EventStore } from '@eddy/eventstore';
import { withCorrelationId } from '@eddy/observability';
import {
  canSeeTask,
  VIEW_STORE,
  WaitForPositionTimeoutError,
  type ProcessInstanceView,
  type TaskView,
  type ViewName,
  type Viewer,
  type ViewStore,
} from '@eddy/projections';
import { readTaskState } from '@eddy/taskpool';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { TasklistContext } from './tasklist.context';
import { badInput, commandRejected, tasklistError } from './tasklist.errors';
import { TASKLIST_OPTIONS, type TasklistOptions } from './tasklist.options';

export interface StartedProcess {
  processInstanceId: string;
  processDefinitionKey: string;
}

/**
 * The mutations of the tasklist. Each checks the rule it can check on the view, sends an
 * interaction command through the core, waits until the task view has passed the command's events
 * (read your writes) and answers with the task as the view now shows it.
 */
@Injectable()
export class TaskInteractionsService {
  private readonly logger = new Logger('Tasklist');
  /** The interaction in progress per task: the next one on the same task waits for it. */
  private readonly inProgress = new Map<string, Promise<unknown>>();

  constructor(
    @Inject(COMMAND_DISPATCHER) private readonly dispatcher: CommandDispatcher,
    @Inject(VIEW_STORE) private readonly views: ViewStore,
    @Inject(TASKLIST_OPTIONS) private readonly options: TasklistOptions,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Optional() @Inject(ENGINE_REQUESTS) private readonly engine: EngineRequests | null = null,
  ) {}

  /** A user may claim a task they can see that is unassigned or already theirs. */
  claim(context: TasklistContext, id: string): Promise<TaskView> {
    return this.oneAtATime(id, async () => {
      const task = await this.visibleTask(context, id);
      if (task.assignee !== null && task.assignee !== context.viewer.userId) {
        throw tasklistError('CONFLICT', `task ${id} is assigned to someone else`, {
          reason: 'TASK_ASSIGNED',
        });
      }
      // Exclusive: the core refuses the claim if another API instance let someone else claim meanwhile.
      return this.send(context, task, {
        type: 'ClaimTask',
        data: { id, assignee: context.viewer.userId, exclusive: true },
      });
    });
  }

  /** Only the assignee may unclaim. */
  unclaim(context: TasklistContext, id: string): Promise<TaskView> {
    return this.oneAtATime(id, async () => {
      const task = await this.visibleTask(context, id);
      this.requireAssignee(context, task, 'unclaim');
      return this.send(context, task, { type: 'UnclaimTask', data: { id } });
    });
  }

  /** Only the assignee may complete. */
  async complete(context: TasklistContext, id: string, variables: unknown): Promise<TaskView> {
    this.checkVariables(variables);
    return this.oneAtATime(id, async () => {
      const task = await this.visibleTask(context, id);
      this.requireAssignee(context, task, 'complete');
      return this.send(context, task, {
        type: 'CompleteTaskInteraction',
        data: {
          id,
          assignee: context.viewer.userId,
          ...(variables ? { variables: variables as Record<string, unknown> } : {}),
        },
      });
    });
  }

  /**
   * Only the assignee may defer an assigned task (deferring takes it out of their default list); an
   * unassigned one, anyone who may claim it, that is anyone who sees it.
   */
  defer(context: TasklistContext, id: string, followUpDate: string): Promise<TaskView> {
    return this.oneAtATime(id, async () => {
      const task = await this.visibleTask(context, id);
      this.requireAssigneeIfAssigned(context, task, 'defer');
      return this.send(context, task, { type: 'DeferTask', data: { id, followUpDate } });
    });
  }

  /** The same rule as {@link defer}. */
  undefer(context: TasklistContext, id: string): Promise<TaskView> {
    return this.oneAtATime(id, async () => {
      const task = await this.visibleTask(context, id);
      this.requireAssigneeIfAssigned(context, task, 'undefer');
      return this.send(context, task, { type: 'UndeferTask', data: { id } });
    });
  }

  /**
   * Hands a task to another user: its assignee may, and a holder of `tasks:manage` may for any task they
   * see. A delegator who no longer sees the task afterwards is answered with it as its new assignee sees it.
   */
  delegate(context: TasklistContext, id: string, assignee: string): Promise<TaskView> {
    return this.oneAtATime(id, async () => {
      const task = await this.visibleTask(context, id);
      if (!context.identity.permissions.has('tasks:manage')) {
        this.requireAssignee(context, task, 'assign');
      }
      return this.send(
        context,
        task,
        { type: 'DelegateTask', data: { id, assignee } },
        {
          fields: { assignee: 'assignee', 'data.assignee': 'assignee' },
          answerAs: { userId: assignee, groups: [] },
        },
      );
    });
  }

  /**
   * Anyone who may see an open task may comment on it. Answers once the task's history shows the
   * comment, so that `comments` of the answer holds it.
   */
  comment(context: TasklistContext, id: string, text: string): Promise<TaskView> {
    return this.oneAtATime(id, async () => {
      const task = await this.visibleTask(context, id);
      return this.send(
        context,
        task,
        { type: 'AddTaskComment', data: { id, author: context.viewer.userId, text } },
        { views: ['tasks', 'history'] },
      );
    });
  }

  /** Changes priority, due and follow-up date: holders of `tasks:manage`, on tasks they see. */
  edit(context: TasklistContext, id: string, changes: Omit<EditTaskData, 'id'> | null): Promise<TaskView> {
    return this.oneAtATime(id, async () => {
      const task = await this.visibleTask(context, id);
      if (!context.identity.permissions.has('tasks:manage')) {
        throw tasklistError('FORBIDDEN', `changing task ${id} needs the tasks:manage permission`);
      }
      const fields = Object.fromEntries(
        ['priority', 'dueDate', 'followUpDate'].flatMap((f) => [
          [f, `changes.${f}`],
          [`data.${f}`, `changes.${f}`],
        ]),
      );
      return this.send(context, task, { type: 'EditTask', data: { ...changes, id } }, { fields });
    });
  }

  /** Starts the latest version of a process the user may start from the tasklist. */
  async startProcess(context: TasklistContext, key: string, variables: unknown): Promise<StartedProcess> {
    this.checkVariables(variables);
    const startable = await this.views.startableProcesses(context.viewer);
    if (!startable.some((d) => d.key === key)) {
      const exists = await this.views.getProcessDefinition(key);
      if (exists) {
        throw tasklistError(
          'FORBIDDEN',
          `process ${key} may not be started by ${context.viewer.userId} from the tasklist`,
        );
      }
      throw tasklistError('NOT_FOUND', `process ${key} does not exist`, { field: 'processDefinitionKey' });
    }
    if (!this.engine) {
      throw tasklistError('UNAVAILABLE', 'this deployment has no process engine to start processes with');
    }
    try {
      const started = await this.engine.startProcessInstance({
        definitionKey: key,
        startUserId: context.viewer.userId,
        ...(variables ? { variables: variables as Record<string, unknown> } : {}),
      });
      return { processInstanceId: started.instanceId, processDefinitionKey: key };
    } catch (error) {
      if (error instanceof EngineError) {
        const code =
          error.code === 'UNKNOWN_PROCESS_DEFINITION'
            ? 'NOT_FOUND'
            : error.code === 'INVALID_ARGUMENT'
              ? 'BAD_USER_INPUT'
              : error.code === 'NOT_STARTABLE'
                ? 'CONFLICT'
                : error.code === 'ENGINE_TIMEOUT'
                  ? 'TIMEOUT'
                  : 'INTERNAL_SERVER_ERROR';
        throw tasklistError(code, error.message, { reason: error.code });
      }
      throw error;
    }
  }

  /**
   * Asks the engine, through the core, to cancel a running instance: its starter may, and an admin. An
   * instance the user may not cancel is answered like one that does not exist. The answer shows the
   * instance with `cancellationRequested`; the engine's cancellation follows through the collector.
   */
  async cancelProcessInstance(context: TasklistContext, id: string): Promise<ProcessInstanceView> {
    const instance = await this.views.getProcessInstance(id);
    const allowed =
      instance !== null &&
      (instance.startUserId === context.viewer.userId || context.identity.permissions.has('admin'));
    if (!allowed) {
      throw tasklistError('NOT_FOUND', `process instance ${id} does not exist or is not yours to cancel`, {
        field: 'id',
      });
    }
    if (instance.state === 'FINISHED' || instance.state === 'CANCELLED') {
      throw tasklistError('CONFLICT', `process instance ${id} is ${instance.state.toLowerCase()}`, {
        reason: 'PROCESS_INSTANCE_CLOSED',
        field: 'id',
      });
    }
    const sourceReference = {
      type: 'process' as const,
      instanceId: instance.processInstanceId,
      definitionId: instance.processDefinitionId,
      definitionKey: instance.processDefinitionKey,
      name: instance.processName,
      applicationName: instance.applicationName,
      ...(instance.tenantId !== null ? { tenantId: instance.tenantId } : {}),
    };
    await this.dispatchAndWait(
      context,
      { type: 'RequestProcessInstanceCancellation', data: { sourceReference } },
      `process instance ${id}`,
      ['process-instances'],
      { 'data.sourceReference.instanceId': 'id' },
    );
    return (await this.views.getProcessInstance(id)) ?? instance;
  }

  /**
   * Runs the interactions on one task one after the other. Each checks its rule on the view after
   * the previous one's events are in it (read your writes), so two users claiming the same
   * unassigned task at once get one success and one CONFLICT instead of both succeeding. Across API
   * instances the claim is sent `exclusive`, so the core refuses it when someone else holds the task.
   */
  private oneAtATime<R>(taskId: string, interaction: () => Promise<R>): Promise<R> {
    const previous = this.inProgress.get(taskId) ?? Promise.resolve();
    const current = previous.then(interaction, interaction);
    const settled = current.then(
      () => undefined,
      () => undefined,
    );
    this.inProgress.set(taskId, settled);
    void settled.then(() => {
      if (this.inProgress.get(taskId) === settled) this.inProgress.delete(taskId);
    });
    return current;
  }

  /**
   * Variables are a JSON object within the payload limits (nesting, reserved names), checked before
   * anything else so that no deep value reaches the engine or the core.
   */
  private checkVariables(variables: unknown): void {
    if (variables === null || variables === undefined) return;
    if (typeof variables !== 'object' || Array.isArray(variables)) {
      throw badInput('variables', 'must be a JSON object');
    }
    const found = payloadProblem(variables, this.options.maxPayloadDepth);
    if (found) throw badInput(['variables', ...found.path].join('.'), found.problem);
  }

  /**
   * Tasks the user may not see are answered like tasks that do not exist: nothing leaks. A task that
   * left the view because it was completed or deleted is answered `TASK_CLOSED`, as the core would,
   * to the users who could see it when it closed.
   */
  private async visibleTask(context: TasklistContext, id: string): Promise<TaskView> {
    const task = await this.views.getTask(id, context.viewer);
    if (task) return task;
    const state = await readTaskState(this.store, id);
    if (
      (state.status === 'completed' || state.status === 'deleted') &&
      canSeeTask(
        { ...state.task, processDefinitionKey: state.task.sourceReference.definitionKey },
        context.viewer,
      )
    ) {
      throw tasklistError('CONFLICT', `task ${id} is ${state.status}`, {
        reason: 'TASK_CLOSED',
        field: 'id',
      });
    }
    throw tasklistError('NOT_FOUND', `task ${id} does not exist or is not visible to you`, { field: 'id' });
  }

  private requireAssignee(context: TasklistContext, task: TaskView, action: string): void {
    if (task.assignee === null) {
      throw tasklistError('CONFLICT', `task ${task.id} is not assigned; only its assignee may ${action} it`, {
        reason: 'TASK_NOT_ASSIGNED',
      });
    }
    this.requireAssigneeIfAssigned(context, task, action);
  }

  private requireAssigneeIfAssigned(context: TasklistContext, task: TaskView, action: string): void {
    if (task.assignee !== null && task.assignee !== context.viewer.userId) {
      throw tasklistError('FORBIDDEN', `only the assignee of task ${task.id} may ${action} it`);
    }
  }

  /**
   * `fields` renames the command's field paths (as validated, and as the core names them) to the mutation's
   * arguments; `answerAs` is whose view of the task answers when the user no longer sees it (a delegated
   * task); `views` are those that must show the command's events before it is answered.
   */
  private async send(
    context: TasklistContext,
    before: TaskView,
    command: TaskInteractionCommand,
    {
      fields = {},
      answerAs,
      views = ['tasks'],
    }: { fields?: Record<string, string>; answerAs?: Viewer; views?: readonly ViewName[] } = {},
  ): Promise<TaskView> {
    await this.dispatchAndWait(context, command, `task ${before.id}`, views, fields);
    // A task that left the view meanwhile (completed by its engine) is answered as last seen.
    const after =
      (await this.views.getTask(before.id, context.viewer)) ??
      (answerAs ? await this.views.getTask(before.id, answerAs) : null);
    return after ?? before;
  }

  /**
   * Validates the command, sends it through the core as the user and waits until `views` show its events
   * (read your writes), in the correlation scope of the request: its log lines, and the core's, say the
   * correlation id. `fields` renames the command's field paths to the mutation's arguments.
   */
  dispatchAndWait(
    context: TasklistContext,
    command: TaskInteractionCommand | RequestProcessInstanceCancellation | SavedFilterCommand,
    subject: string,
    views: readonly ViewName[],
    fields: Record<string, string>,
  ): Promise<void> {
    return withCorrelationId(context.correlationId, async () => {
      // Checked like the command API checks what it receives; paths name the mutation's arguments.
      const limits = {
        maxPayloadDepth: this.options.maxPayloadDepth,
        maxCommentLength: this.options.maxCommentLength,
      };
      const invalid = validateCommand(command, limits, []);
      if (invalid) throw commandRejected(invalid, fields);
      const commandId = randomUUID();
      let result: CommandResult;
      try {
        result = await this.dispatcher.dispatch({
          ...command,
          metadata: {
            commandId,
            correlationId: context.correlationId,
            userId: context.viewer.userId,
            timestamp: new Date().toISOString(),
          },
        } as Parameters<CommandDispatcher['dispatch']>[0]);
      } catch (error) {
        this.logger.error(`TASKLIST-101 ${command.type} ${subject} command ${commandId}: ${String(error)}`);
        throw error;
      }
      if (result.status === 'rejected') throw commandRejected(result.error, fields);
      try {
        await this.views.waitForPosition(result.position, this.options.readYourWritesTimeoutMs, views);
      } catch (error) {
        if (error instanceof WaitForPositionTimeoutError) {
          this.logger.warn(`TASKLIST-102 ${command.type} ${subject}: ${error.message}`);
          throw tasklistError(
            'TIMEOUT',
            `the command was accepted, but the ${views.join(' and ')} view did not show it within ${this.options.readYourWritesTimeoutMs} ms`,
            { commandId, position: result.position },
          );
        }
        throw error;
      }
    });
  }
}
