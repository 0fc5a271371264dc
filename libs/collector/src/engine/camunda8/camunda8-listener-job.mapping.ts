import { z } from 'zod';
import { firstIssue } from '@eddy/contracts';
import type {
  ChangeableTaskAttribute,
  EngineEvent,
  EngineProcessInstance,
  EngineTask,
  EngineTransaction,
  TaskCancellationReason,
  Variables,
} from '../engine.port';
import type { Camunda8ProcessModel } from './camunda8-bpmn.model';

/** Camunda 8's id of the default tenant; Eddy calls it "no tenant" (null). */
export const CAMUNDA_DEFAULT_TENANT = '<default>';

const isoDateTime = z.iso.datetime({ offset: true });
/** Camunda clears a date with an empty string or null. */
const optionalDate = z.union([isoDateTime, z.literal(''), z.null()]).optional();
const key = z.string().min(1);

/**
 * An activated job of a user task or execution listener, as `POST /v2/jobs/activation` returns it (Camunda
 * 8.8 `ActivatedJobResult`), reduced to what Eddy reads and checked before anything is reported.
 */
export const listenerJobSchema = z.object({
  jobKey: key,
  type: z.string(),
  kind: z.enum(['TASK_LISTENER', 'EXECUTION_LISTENER']),
  listenerEventType: z.enum(['CREATING', 'ASSIGNING', 'UPDATING', 'COMPLETING', 'CANCELING', 'START', 'END']),
  processInstanceKey: key,
  processDefinitionKey: key,
  processDefinitionId: key,
  elementId: key,
  elementInstanceKey: key,
  retries: z.number().int(),
  tenantId: z.string().nullish(),
  variables: z.record(z.string(), z.unknown()),
  userTask: z
    .object({
      userTaskKey: key,
      assignee: z.string().nullish(),
      candidateUsers: z.array(z.string()).nullish(),
      candidateGroups: z.array(z.string()).nullish(),
      changedAttributes: z.array(z.string()).nullish(),
      dueDate: optionalDate,
      followUpDate: optionalDate,
      formKey: z.string().nullish(),
      priority: z.number().int().min(0).max(100).nullish(),
    })
    .nullish(),
});

/** A listener job that passed {@link listenerJobSchema}. */
export type Camunda8ListenerJob = z.infer<typeof listenerJobSchema>;

/** What the mapping needs besides the job. */
export interface ListenerJobContext {
  /** The process model of the job's definition (names, descriptions), if the adapter knows it. */
  model: Camunda8ProcessModel | undefined;
  /** The task as last reported to Eddy, for events that only tell what changed. */
  previous: EngineTask | undefined;
  /** Process variable holding the business key (Camunda 8 has none of its own). */
  businessKeyVariable: string;
  /** Instances the adapter itself cancelled: their cancelled tasks get reason `instanceCancelled`. */
  cancelledByEddy: boolean;
  /** Time of the mapping: the event's `occurredAt`, and `createTime` of a new task. */
  now: string;
}

export type ListenerJobMapping =
  | { ok: true; transaction: EngineTransaction; task: EngineTask | null; taskEnded: boolean }
  | { ok: false; reason: string };

function describe(job: unknown): string {
  const j = (job ?? {}) as Record<string, unknown>;
  return `job ${String(j['jobKey'] ?? '?')} (${String(j['listenerEventType'] ?? '?')} at ${String(j['elementId'] ?? '?')})`;
}

/** A Camunda date (ISO-8601 with any offset; empty clears it) as Eddy's UTC ISO string, or null. */
export function isoDateOrNull(value: string | null | undefined): string | null {
  return value ? new Date(value).toISOString() : null;
}

/** Camunda's tenant id as Eddy's: the default tenant is no tenant. */
export function tenantOrNull(value: string | null | undefined): string | null {
  return value && value !== CAMUNDA_DEFAULT_TENANT ? value : null;
}

/** The business key held by the process variable `name`, if it holds a non-empty string. */
export function businessKeyOf(variables: Variables, name: string): string | null {
  const value = variables[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

function taskOf(job: Camunda8ListenerJob, context: ListenerJobContext): EngineTask {
  const userTask = job.userTask!;
  const element = context.model?.userTasks.get(job.elementId);
  const previous = context.previous;
  return {
    id: userTask.userTaskKey,
    name: element?.name ?? previous?.name ?? null,
    taskDefinitionKey: job.elementId,
    description: element?.description ?? previous?.description ?? null,
    formKey: userTask.formKey ?? previous?.formKey ?? null,
    priority: userTask.priority ?? previous?.priority ?? 50,
    createTime: previous?.createTime ?? context.now,
    dueDate: isoDateOrNull(userTask.dueDate),
    followUpDate: isoDateOrNull(userTask.followUpDate),
    assignee: userTask.assignee ? userTask.assignee : null,
    candidateUsers: userTask.candidateUsers ?? [],
    candidateGroups: userTask.candidateGroups ?? [],
    processInstanceId: job.processInstanceKey,
    processDefinitionId: job.processDefinitionKey,
    processDefinitionKey: job.processDefinitionId,
    processName: context.model?.name ?? previous?.processName ?? null,
    businessKey: businessKeyOf(job.variables, context.businessKeyVariable),
    tenantId: tenantOrNull(job.tenantId),
  };
}

const CHANGEABLE: Record<string, ChangeableTaskAttribute> = {
  dueDate: 'dueDate',
  followUpDate: 'followUpDate',
  priority: 'priority',
  name: 'name',
  formKey: 'formKey',
};

/**
 * Turns one listener job into the engine transaction Eddy's collector receives: the user task listener
 * event types `CREATING`, `ASSIGNING`, `UPDATING`, `COMPLETING` and `CANCELING` become the task events of
 * the same meaning, the process's `START` and `END` execution listeners `processInstance.started` and
 * `.finished`. Ids derive from the job key, so a job delivered again yields the same transaction.
 *
 * A job whose data does not fit (a missing key, a priority out of range, a date that is not ISO-8601, a
 * business key that is not a string) is refused with a reason naming the field: the adapter fails it back to
 * Camunda, which raises an incident. Pure.
 */
export function mapListenerJob(raw: unknown, context: ListenerJobContext): ListenerJobMapping {
  const parsed = listenerJobSchema.safeParse(raw);
  if (!parsed.success) {
    const { path, problem } = firstIssue(parsed.error);
    return { ok: false, reason: `${describe(raw)}: ${path || 'job'}: ${problem}` };
  }
  const job = parsed.data;
  const bk = job.variables[context.businessKeyVariable];
  if (bk !== undefined && bk !== null && typeof bk !== 'string') {
    return {
      ok: false,
      reason: `${describe(job)}: variables.${context.businessKeyVariable}: the business key must be a string`,
    };
  }
  if (job.kind === 'TASK_LISTENER' && !job.userTask) {
    return { ok: false, reason: `${describe(job)}: userTask: a task listener job must carry the user task` };
  }
  const base = `${job.processInstanceKey}:${job.elementInstanceKey}:${job.jobKey}`;
  const occurredAt = context.now;
  const events: EngineEvent[] = [];
  let task: EngineTask | null = null;
  let taskEnded = false;

  switch (job.listenerEventType) {
    case 'START':
    case 'END': {
      if (job.kind !== 'EXECUTION_LISTENER' || job.elementId !== job.processDefinitionId) {
        return {
          ok: false,
          reason: `${describe(job)}: elementId: Eddy listens to the start and end of processes only`,
        };
      }
      const instance: EngineProcessInstance = {
        id: job.processInstanceKey,
        processDefinitionId: job.processDefinitionKey,
        processDefinitionKey: job.processDefinitionId,
        processName: context.model?.name ?? null,
        businessKey: businessKeyOf(job.variables, context.businessKeyVariable),
        tenantId: tenantOrNull(job.tenantId),
        startTime: occurredAt,
      };
      events.push(
        job.listenerEventType === 'START'
          ? {
              type: 'processInstance.started',
              eventId: base,
              occurredAt,
              instance,
              variables: job.variables,
              startUserId: null,
            }
          : { type: 'processInstance.finished', eventId: base, occurredAt, instance },
      );
      break;
    }
    case 'CREATING':
      task = taskOf(job, context);
      events.push({ type: 'task.created', eventId: base, occurredAt, task });
      break;
    case 'ASSIGNING':
      task = taskOf(job, context);
      events.push({ type: 'task.assigned', eventId: base, occurredAt, task, assignee: task.assignee });
      break;
    case 'UPDATING': {
      task = taskOf(job, context);
      const changedAttributes = job.userTask!.changedAttributes ?? [];
      const changed = [
        ...new Set(changedAttributes.map((a) => CHANGEABLE[a]).filter((a) => a !== undefined)),
      ];
      if (changedAttributes.includes('candidateUsers') || changedAttributes.includes('candidateGroups')) {
        events.push({
          type: 'task.candidatesChanged',
          eventId: `${base}:candidates`,
          occurredAt,
          task,
          previous: {
            candidateUsers: context.previous?.candidateUsers ?? [],
            candidateGroups: context.previous?.candidateGroups ?? [],
          },
        });
      }
      if (changed.length > 0) {
        events.push({ type: 'task.attributesChanged', eventId: base, occurredAt, task, changed });
      }
      break;
    }
    case 'COMPLETING':
      task = taskOf(job, context);
      taskEnded = true;
      events.push({ type: 'task.completed', eventId: base, occurredAt, task, variables: job.variables });
      break;
    case 'CANCELING': {
      task = taskOf(job, context);
      taskEnded = true;
      const reason: TaskCancellationReason = context.cancelledByEddy ? 'instanceCancelled' : 'boundaryEvent';
      events.push({ type: 'task.cancelled', eventId: base, occurredAt, task, reason });
      break;
    }
    default: {
      const unexpected: never = job.listenerEventType;
      return {
        ok: false,
        reason: `${describe(job)}: listenerEventType: ${String(unexpected)} is not handled`,
      };
    }
  }
  return {
    ok: true,
    transaction: {
      id: `camunda8:${job.jobKey}`,
      processInstanceId: job.processInstanceKey,
      events,
      variables: task ? { [task.id]: job.variables } : {},
    },
    task,
    taskEnded,
  };
}
