import type { TaskAttributes, TaskEvent } from '@eddy/contracts';
import type { StoredEvent } from '@eddy/eventstore';
import { assertNever, type Projection, ProjectionApplyError, storedVersion } from '../projection';
import type { StoredViewDocument } from '../view-store.port';
import type { TaskView } from '../view.types';

const TASK_EVENT_TYPES: ReadonlySet<string> = new Set<TaskEvent['type']>([
  'TaskCreated',
  'TaskAssigned',
  'TaskAttributesUpdated',
  'TaskCandidateUsersChanged',
  'TaskCandidateGroupsChanged',
  'TaskCompleted',
  'TaskDeleted',
  'TaskClaimed',
  'TaskUnclaimed',
  'TaskToBeCompleted',
  'TaskDeferred',
  'TaskUndeferred',
  'TaskDelegated',
  'TaskEdited',
  'TaskCommentAdded',
]);

type Stored = StoredViewDocument<'tasks'>;

/** The task a `TaskCreated` describes, as the view holds it. */
export function taskViewOf(attributes: TaskAttributes, version: number, position: number): TaskView {
  const source = attributes.sourceReference;
  return {
    id: attributes.id,
    name: attributes.name,
    description: attributes.description,
    taskDefinitionKey: attributes.taskDefinitionKey,
    formKey: attributes.formKey,
    priority: attributes.priority,
    createTime: attributes.createTime,
    dueDate: attributes.dueDate,
    followUpDate: attributes.followUpDate,
    assignee: attributes.assignee,
    owner: attributes.owner,
    candidateUsers: [...attributes.candidateUsers],
    candidateGroups: [...attributes.candidateGroups],
    businessKey: attributes.businessKey,
    applicationName: source.applicationName,
    processName: source.name,
    processDefinitionKey: source.definitionKey,
    processInstanceId: source.instanceId,
    tenantId: source.tenantId ?? null,
    sourceReference: source,
    payload: attributes.payload,
    correlations: attributes.correlations,
    toBeCompleted: false,
    version,
    position,
  };
}

/** What {@link changesOf} answers for an event that closes the task. */
const CLOSES = 'closes';
const NO_CHANGES: Partial<TaskView> = Object.freeze({});

/**
 * A pending completion belonged to the previous assignee: it ends when the assignee changes, as in
 * the task decider's state.
 */
function reassigned(task: TaskView, assignee: string | null): Partial<TaskView> {
  return assignee === task.assignee ? NO_CHANGES : { assignee, toBeCompleted: false };
}

/**
 * The fields an event of an open task changes (module functions, not closures made per event: this
 * runs for every task event of a replay, three times with the closed tasks and history views).
 */
function changesOf(
  task: TaskView,
  event: Exclude<TaskEvent, { type: 'TaskCreated' }>,
): Partial<TaskView> | typeof CLOSES {
  switch (event.type) {
    case 'TaskAssigned':
      return reassigned(task, event.data.assignee);
    case 'TaskAttributesUpdated': {
      const changes = event.data.changes;
      const next: Partial<TaskView> = {};
      for (const key of Object.keys(changes) as (keyof typeof changes)[]) {
        if (changes[key] !== undefined) (next as Record<string, unknown>)[key] = changes[key];
      }
      return next;
    }
    case 'TaskCandidateUsersChanged':
      return { candidateUsers: [...event.data.candidateUsers] };
    case 'TaskCandidateGroupsChanged':
      return { candidateGroups: [...event.data.candidateGroups] };
    case 'TaskCompleted':
    case 'TaskDeleted':
      return CLOSES;
    case 'TaskClaimed':
      return reassigned(task, event.data.assignee);
    case 'TaskUnclaimed':
      return reassigned(task, null);
    case 'TaskToBeCompleted':
      return { toBeCompleted: true };
    case 'TaskDeferred':
      return { followUpDate: event.data.followUpDate };
    case 'TaskUndeferred':
      return { followUpDate: null };
    case 'TaskDelegated':
      return reassigned(task, event.data.assignee);
    case 'TaskEdited':
      return event.data.changes;
    case 'TaskCommentAdded':
      // The task's fields stay; its revision moves, so that its subscribers are told of the comment.
      return NO_CHANGES;
    default:
      return assertNever(event, 'task event');
  }
}

/**
 * The open tasks. A completed or deleted task leaves the view (a tombstone keeps its revision, so
 * a late event cannot bring it back).
 */
export const tasksProjection: Projection<'tasks'> = {
  name: 'tasks',

  documentId(event: StoredEvent): string | null {
    return TASK_EVENT_TYPES.has(event.type) ? (event.data as { id: string }).id : null;
  },

  apply(current: Stored | undefined, stored: StoredEvent): Stored | undefined {
    if (storedVersion(current) >= stored.revision) return current;
    const event = stored as unknown as TaskEvent;
    if (event.type === 'TaskCreated') {
      return {
        id: event.data.id,
        removed: false,
        document: taskViewOf(event.data, stored.revision, stored.position),
      };
    }
    if (!current) throw new ProjectionApplyError('tasks', stored, `task ${event.data.id} was never created`);
    if (current.removed) return current; // a closed task takes no more changes
    const task = current.document;
    const changes = changesOf(task, event);
    if (changes === CLOSES) {
      return { id: task.id, removed: true, version: stored.revision, position: stored.position };
    }
    return {
      id: task.id,
      removed: false,
      document: { ...task, ...changes, version: stored.revision, position: stored.position },
    };
  },
};
