import { z } from 'zod';
import { firstIssue } from '@eddy/contracts';
import type { EngineTask, EngineTransaction, Variables } from '../engine.port';
import type { Camunda8ProcessModel } from './camunda8-bpmn.model';
import { businessKeyOf, isoDateOrNull, tenantOrNull } from './camunda8-listener-job.mapping';

/**
 * A user task as Camunda 8.8's search returns it (`POST /v2/user-tasks/search`, `GET /v2/user-tasks/{key}`:
 * `UserTaskResult`), reduced to what Eddy reads.
 */
export const userTaskResultSchema = z.object({
  userTaskKey: z.string().min(1),
  elementId: z.string().min(1),
  name: z.string().nullish(),
  state: z.string(),
  assignee: z.string().nullish(),
  candidateUsers: z.array(z.string()).nullish(),
  candidateGroups: z.array(z.string()).nullish(),
  creationDate: z.string().nullish(),
  dueDate: z.string().nullish(),
  followUpDate: z.string().nullish(),
  formKey: z.string().nullish(),
  externalFormReference: z.string().nullish(),
  priority: z.number().int().nullish(),
  processInstanceKey: z.string().min(1),
  processDefinitionKey: z.string().min(1),
  processDefinitionId: z.string().min(1),
  processName: z.string().nullish(),
  tenantId: z.string().nullish(),
});

export type Camunda8UserTask = z.infer<typeof userTaskResultSchema>;

/** Checks a search result; the reason names the field. */
export function parseUserTask(
  raw: unknown,
): { ok: true; task: Camunda8UserTask } | { ok: false; reason: string } {
  const parsed = userTaskResultSchema.safeParse(raw);
  if (parsed.success) return { ok: true, task: parsed.data };
  const { path, problem } = firstIssue(parsed.error);
  const key = (raw as { userTaskKey?: unknown } | null)?.userTaskKey;
  return { ok: false, reason: `user task ${String(key ?? '?')}: ${path}: ${problem}` };
}

/** The task as Eddy's port describes it, from Camunda's search result and the process model. Pure. */
export function userTaskToEngineTask(
  userTask: Camunda8UserTask,
  model: Camunda8ProcessModel | undefined,
  variables: Variables,
  businessKeyVariable: string,
): EngineTask {
  const element = model?.userTasks.get(userTask.elementId);
  return {
    id: userTask.userTaskKey,
    name: userTask.name ?? element?.name ?? null,
    taskDefinitionKey: userTask.elementId,
    description: element?.description ?? null,
    formKey: userTask.formKey ?? userTask.externalFormReference ?? null,
    priority: userTask.priority ?? 50,
    createTime: isoDateOrNull(userTask.creationDate) ?? new Date(0).toISOString(),
    dueDate: isoDateOrNull(userTask.dueDate),
    followUpDate: isoDateOrNull(userTask.followUpDate),
    assignee: userTask.assignee ? userTask.assignee : null,
    candidateUsers: userTask.candidateUsers ?? [],
    candidateGroups: userTask.candidateGroups ?? [],
    processInstanceId: userTask.processInstanceKey,
    processDefinitionId: userTask.processDefinitionKey,
    processDefinitionKey: userTask.processDefinitionId,
    processName: userTask.processName ?? model?.name ?? null,
    businessKey: businessKeyOf(variables, businessKeyVariable),
    tenantId: tenantOrNull(userTask.tenantId),
  };
}

/** Where Camunda's open user tasks and the tasks reported to Eddy differ. */
export interface OpenTaskDifference {
  /** Open in Camunda, never reported: Eddy missed its creation. */
  missing: Camunda8UserTask[];
  /** Reported open, no longer open in Camunda: Eddy missed its end. */
  ended: EngineTask[];
}

/** States of a user task in which its own listener job is about to report it: the re-sync leaves it alone. */
const LISTENER_PENDING = new Set(['CREATING', 'COMPLETING', 'CANCELING']);

/**
 * Compares Camunda's open user tasks with the tasks reported open. A task whose creating, completing or
 * canceling listener has not completed yet is not missing: that listener's job reports it. `recentlyEnded`
 * holds tasks whose end was reported a moment ago, which Camunda's search (eventually consistent) may still
 * show open. Pure.
 */
export function diffOpenTasks(
  camundaOpen: Camunda8UserTask[],
  reported: EngineTask[],
  recentlyEnded: ReadonlySet<string> = new Set(),
): OpenTaskDifference {
  const open = new Set(camundaOpen.map((t) => t.userTaskKey));
  const known = new Set(reported.map((t) => t.id));
  return {
    missing: camundaOpen.filter(
      (t) => !known.has(t.userTaskKey) && !recentlyEnded.has(t.userTaskKey) && !LISTENER_PENDING.has(t.state),
    ),
    ended: reported.filter((t) => !open.has(t.id)),
  };
}

/**
 * How a task that is no longer open ended, as Camunda tells it. Only these two are corrected: a task that
 * the search does not show yet but Camunda still has open is left alone.
 */
export type EndedTaskState = 'COMPLETED' | 'CANCELED';

/**
 * The transaction that corrects the task pool for one difference: a missed task is created, an ended one
 * completed (Camunda says `COMPLETED`) or cancelled (`CANCELED`, reason `instanceEnded`). Ids derive from the task and the correction, so a correction repeated by the next
 * re-sync is a duplicate to the core. Pure.
 */
export function correctionTransaction(
  correction:
    | { kind: 'missing'; task: EngineTask; variables: Variables }
    | { kind: 'ended'; task: EngineTask; state: EndedTaskState },
  now: string,
): EngineTransaction {
  const { task } = correction;
  const base = `${task.processInstanceId}:${task.id}:resync`;
  if (correction.kind === 'missing') {
    return {
      id: `camunda8:resync:${task.id}:created`,
      processInstanceId: task.processInstanceId,
      events: [{ type: 'task.created', eventId: `${base}:created`, occurredAt: now, task }],
      variables: { [task.id]: correction.variables },
    };
  }
  const completed = correction.state === 'COMPLETED';
  return {
    id: `camunda8:resync:${task.id}:ended`,
    processInstanceId: task.processInstanceId,
    events: [
      completed
        ? { type: 'task.completed', eventId: `${base}:ended`, occurredAt: now, task, variables: {} }
        : {
            type: 'task.cancelled',
            eventId: `${base}:ended`,
            occurredAt: now,
            task,
            reason: 'instanceEnded',
          },
    ],
    variables: {},
  };
}
