import {
  assertNever,
  DEFAULT_MAX_PAYLOAD_DEPTH,
  validateCommand,
  type Command,
  type CommandWithMetadata,
  type CreateTaskData,
  type DataEntryRef,
  type SourceReference,
  type UpdateTaskAttributesData,
} from '@eddy/contracts';
import type {
  ChangeableTaskAttribute,
  EngineEvent,
  EngineProcessInstance,
  EngineTask,
  EngineTaskEvent,
  EngineTransaction,
  Variables,
} from '../engine/engine.port';
import type { CollectorOptions } from './collector.options';
import { taskCorrelations, taskPayload, type CorrelationProblem } from './variable-enrichment';

/** Something of a transaction that could not become (part of) a command; the collector logs each. */
export interface CollectionProblem {
  code: 'INVALID_CORRELATION' | 'INVALID_COMMAND';
  /** The task or process instance concerned. */
  subject: string;
  message: string;
}

export interface CollectedTransaction {
  /** In the order the engine made the changes, each with an id derived from the engine's event ids. */
  commands: CommandWithMetadata[];
  problems: CollectionProblem[];
}

/** Command id of a command made from the engine event `eventId`: the same on every redelivery. */
export const engineCommandId = (eventId: string): string => `engine:${eventId}`;

/**
 * Turns one engine transaction into as few commands as possible (see {@link collectTransaction}).
 * Pure: the same transaction and options give the same commands, ids and timestamps included.
 */
export function transactionToCommands(
  tx: EngineTransaction,
  options: CollectorOptions,
): CommandWithMetadata[] {
  return collectTransaction(tx, options).commands;
}

/** What one task went through in the transaction, in order. */
interface TaskAccumulator {
  /** The first event of the task in the transaction: the merged commands are ordered by it. */
  order: number;
  created: { eventId: string; occurredAt: string } | null;
  /** Latest snapshot of the task. */
  task: EngineTask;
  assigned: { eventId: string; occurredAt: string } | null;
  changed: { eventId: string; occurredAt: string; attributes: Set<ChangeableTaskAttribute> } | null;
  /** The variables at the task changed, nothing else: the payload alone is updated. */
  variables: { eventId: string; occurredAt: string } | null;
  /** `before`: the lists before the first candidate change of the transaction. */
  candidates: { eventId: string; occurredAt: string; before: CandidateLists } | null;
  /** How the task ended in this transaction, with the task as it was then. */
  ending:
    | { kind: 'completed'; eventId: string; occurredAt: string; task: EngineTask }
    | { kind: 'cancelled'; eventId: string; occurredAt: string; task: EngineTask; reason: string }
    | null;
}

type CandidateLists = Pick<EngineTask, 'candidateUsers' | 'candidateGroups'>;

type Step =
  | { kind: 'task'; order: number; acc: TaskAccumulator }
  | { kind: 'instance'; order: number; event: Exclude<EngineEvent, EngineTaskEvent> };

/**
 * Accumulates one engine transaction per task and merges each task's events:
 *
 * - created, then assigned / changed / candidates changed: one `CreateTask` with the final state;
 * - created and completed (or cancelled): `CreateTask` with the state before the end, then `CompleteTask`
 *   (or `DeleteTask` with the reason);
 * - an existing task: one `AssignTask` with the last assignee, one `UpdateTaskAttributes` with every changed
 *   attribute's final value (and the payload; the payload alone when only its variables changed), candidate
 *   changes as add/delete commands, then the end;
 * - process instance events: `StartProcessInstance`, `FinishProcessInstance`, `CancelProcessInstance`.
 *
 * Tasks get their payload and correlations from the variables the engine reported for them. Every command is
 * checked against its schema; one that fails is left out and reported as a problem.
 */
export function collectTransaction(tx: EngineTransaction, options: CollectorOptions): CollectedTransaction {
  const tasks = new Map<string, TaskAccumulator>();
  const steps: Step[] = [];
  tx.events.forEach((event, order) => {
    if (!isTaskEvent(event)) {
      steps.push({ kind: 'instance', order, event });
      return;
    }
    let acc = tasks.get(event.task.id);
    if (!acc) {
      acc = {
        order,
        created: null,
        task: event.task,
        assigned: null,
        changed: null,
        variables: null,
        candidates: null,
        ending: null,
      };
      tasks.set(event.task.id, acc);
      steps.push({ kind: 'task', order, acc });
    }
    const at = { eventId: event.eventId, occurredAt: event.occurredAt };
    switch (event.type) {
      case 'task.created':
        acc.created = at;
        break;
      case 'task.assigned':
        acc.assigned ??= at;
        break;
      case 'task.attributesChanged':
        acc.changed ??= { ...at, attributes: new Set() };
        for (const attribute of event.changed) acc.changed.attributes.add(attribute);
        break;
      case 'task.variablesChanged':
        acc.variables ??= at;
        break;
      case 'task.candidatesChanged':
        acc.candidates ??= { ...at, before: event.previous };
        break;
      case 'task.completed':
        acc.ending = { kind: 'completed', ...at, task: event.task };
        break;
      case 'task.cancelled':
        acc.ending = { kind: 'cancelled', ...at, task: event.task, reason: event.reason };
        break;
      default:
        assertNever(event, 'engine task event');
    }
    acc.task = event.task;
  });

  const commands: CommandWithMetadata[] = [];
  const problems: CollectionProblem[] = [];
  const push = (subject: string, eventId: string, occurredAt: string, command: Command) => {
    // The command API's checks, nesting limit included: what the engine reports is input like any other.
    const invalid = validateCommand(command, {
      maxPayloadDepth: options.maxPayloadDepth ?? DEFAULT_MAX_PAYLOAD_DEPTH,
    });
    if (invalid) {
      problems.push({ code: 'INVALID_COMMAND', subject, message: `${command.type} ${invalid.message}` });
      return;
    }
    commands.push({
      ...command,
      metadata: { commandId: engineCommandId(eventId), correlationId: tx.id, timestamp: occurredAt },
    } as CommandWithMetadata);
  };

  for (const step of steps) {
    if (step.kind === 'instance') {
      const command = instanceCommand(step.event, options);
      push(`process instance ${step.event.instance.id}`, step.event.eventId, step.event.occurredAt, command);
      continue;
    }
    const acc = step.acc;
    const subject = `task ${acc.task.id}`;
    const variables = tx.variables[acc.task.id] ?? {};
    const location = {
      processDefinitionKey: acc.task.processDefinitionKey,
      taskDefinitionKey: acc.task.taskDefinitionKey,
    };
    const payload = taskPayload(variables, location, options);
    const { correlations, problems: correlationProblems } = taskCorrelations(variables, location, options);
    for (const problem of correlationProblems) problems.push(correlationProblem(subject, problem));
    // The state the task had when it was open last: an ending event carries the task as it ended.
    const open = acc.ending?.task ?? acc.task;

    if (acc.created) {
      push(subject, acc.created.eventId, acc.created.occurredAt, {
        type: 'CreateTask',
        data: createTaskData(open, options, payload, correlations),
      });
    } else {
      if (acc.assigned) {
        push(subject, acc.assigned.eventId, acc.assigned.occurredAt, {
          type: 'AssignTask',
          data: { id: open.id, assignee: open.assignee },
        });
      }
      // An attribute change carries the payload too; variables alone update just the payload.
      const update = acc.changed ?? (acc.variables && { ...acc.variables, attributes: new Set() });
      if (update) {
        push(subject, update.eventId, update.occurredAt, {
          type: 'UpdateTaskAttributes',
          data: updateData(open, update.attributes, payload, correlations),
        });
      }
      if (acc.candidates) {
        for (const [type, data] of candidateCommands(open, acc.candidates.before)) {
          push(subject, `${acc.candidates.eventId}:${type}`, acc.candidates.occurredAt, {
            type,
            data,
          } as Command);
        }
      }
    }
    if (acc.ending?.kind === 'completed') {
      push(subject, acc.ending.eventId, acc.ending.occurredAt, {
        type: 'CompleteTask',
        data: definedOnly({ id: open.id, assignee: open.assignee ?? undefined }),
      });
    } else if (acc.ending?.kind === 'cancelled') {
      push(subject, acc.ending.eventId, acc.ending.occurredAt, {
        type: 'DeleteTask',
        data: { id: open.id, deleteReason: acc.ending.reason },
      });
    }
  }
  return { commands, problems };
}

function isTaskEvent(event: EngineEvent): event is EngineTaskEvent {
  return event.type.startsWith('task.');
}

/** Where a task or instance comes from, as the core knows it. */
export function sourceReferenceOf(
  from: Pick<
    EngineTask,
    'processInstanceId' | 'processDefinitionId' | 'processDefinitionKey' | 'processName' | 'tenantId'
  >,
  applicationName: string,
): SourceReference {
  return definedOnly({
    type: 'process' as const,
    instanceId: from.processInstanceId,
    definitionId: from.processDefinitionId,
    definitionKey: from.processDefinitionKey,
    name: from.processName || from.processDefinitionKey,
    applicationName,
    tenantId: from.tenantId ?? undefined,
  });
}

function instanceSource(instance: EngineProcessInstance, applicationName: string): SourceReference {
  return sourceReferenceOf(
    {
      processInstanceId: instance.id,
      processDefinitionId: instance.processDefinitionId,
      processDefinitionKey: instance.processDefinitionKey,
      processName: instance.processName,
      tenantId: instance.tenantId,
    },
    applicationName,
  );
}

function instanceCommand(event: Exclude<EngineEvent, EngineTaskEvent>, options: CollectorOptions): Command {
  const data = definedOnly({
    sourceReference: instanceSource(event.instance, options.applicationName),
    businessKey: event.instance.businessKey ?? undefined,
  });
  switch (event.type) {
    case 'processInstance.started':
      return {
        type: 'StartProcessInstance',
        data: definedOnly({
          ...data,
          startUserId: event.startUserId || undefined,
          parentInstanceId: event.instance.parentInstanceId,
        }),
      };
    case 'processInstance.finished':
      return { type: 'FinishProcessInstance', data };
    case 'processInstance.cancelled':
      return {
        type: 'CancelProcessInstance',
        data: {
          ...data,
          reason: event.reason === 'incident' ? `incident: ${event.error ?? 'unknown'}` : event.reason,
        },
      };
    default:
      return assertNever(event, 'engine process instance event');
  }
}

function createTaskData(
  task: EngineTask,
  options: CollectorOptions,
  payload: Variables,
  correlations: DataEntryRef[],
): CreateTaskData {
  return definedOnly({
    id: task.id,
    name: task.name || task.taskDefinitionKey,
    taskDefinitionKey: task.taskDefinitionKey,
    sourceReference: sourceReferenceOf(task, options.applicationName),
    description: task.description ?? undefined,
    formKey: task.formKey ?? undefined,
    priority: task.priority,
    createTime: task.createTime,
    dueDate: task.dueDate ?? undefined,
    followUpDate: task.followUpDate ?? undefined,
    assignee: task.assignee ?? undefined,
    candidateUsers: task.candidateUsers,
    candidateGroups: task.candidateGroups,
    businessKey: task.businessKey ?? undefined,
    payload,
    correlations,
  });
}

function updateData(
  task: EngineTask,
  changed: ReadonlySet<ChangeableTaskAttribute>,
  payload: Variables,
  correlations: DataEntryRef[],
): UpdateTaskAttributesData {
  const data: UpdateTaskAttributesData = { id: task.id, payload, correlations };
  for (const attribute of changed) {
    switch (attribute) {
      case 'name':
        data.name = task.name || task.taskDefinitionKey;
        break;
      case 'description':
        data.description = task.description;
        break;
      case 'priority':
        data.priority = task.priority;
        break;
      case 'dueDate':
        data.dueDate = task.dueDate;
        break;
      case 'followUpDate':
        data.followUpDate = task.followUpDate;
        break;
      case 'formKey':
        // The core keeps the form key of the creation; UpdateTaskAttributes has no field for it.
        break;
      default:
        assertNever(attribute, 'task attribute');
    }
  }
  return data;
}

type CandidateCommand = [
  'AddCandidateUsers' | 'DeleteCandidateUsers' | 'AddCandidateGroups' | 'DeleteCandidateGroups',
  { id: string; users: string[] } | { id: string; groups: string[] },
];

/** Candidate changes of an existing task: its lists now against `before`, the lists before the first change. */
function candidateCommands(task: EngineTask, before: CandidateLists): CandidateCommand[] {
  const commands: CandidateCommand[] = [];
  const diff = (now: string[], then: string[]) => ({
    added: now.filter((name) => !then.includes(name)),
    removed: then.filter((name) => !now.includes(name)),
  });
  const users = diff(task.candidateUsers, before.candidateUsers);
  const groups = diff(task.candidateGroups, before.candidateGroups);
  if (users.added.length > 0) commands.push(['AddCandidateUsers', { id: task.id, users: users.added }]);
  if (users.removed.length > 0)
    commands.push(['DeleteCandidateUsers', { id: task.id, users: users.removed }]);
  if (groups.added.length > 0) commands.push(['AddCandidateGroups', { id: task.id, groups: groups.added }]);
  if (groups.removed.length > 0) {
    commands.push(['DeleteCandidateGroups', { id: task.id, groups: groups.removed }]);
  }
  return commands;
}

function correlationProblem(subject: string, problem: CorrelationProblem): CollectionProblem {
  return {
    code: 'INVALID_CORRELATION',
    subject,
    message: `variable ${problem.variable} (entry type ${problem.entryType}): ${problem.problem}`,
  };
}

/** Drops keys whose value is undefined: the command schemas are strict about optional fields. */
function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
