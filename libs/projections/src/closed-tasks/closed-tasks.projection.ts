import type { TaskEvent } from '@eddy/contracts';
import type { StoredEvent } from '@eddy/eventstore';
import { type Projection, ProjectionApplyError, storedVersion } from '../projection';
import { tasksProjection } from '../tasks/tasks.projection';
import type { StoredViewDocument } from '../view-store.port';
import type { ClosedTaskView, TaskView } from '../view.types';

type Stored = StoredViewDocument<'closed-tasks'>;

/**
 * A created task as this view holds it while it is open. One object literal on purpose, not
 * `{ ...task, closedAs: null, ... }`: V8 copies a document made by a literal fast, while every
 * later spread of one whose fields were added after a spread took the slow path (this view's replay
 * ran 2.3 times longer; docs/benchmarks.md, "Projections"). Later documents carry these fields over.
 */
function openTask(t: TaskView): ClosedTaskView {
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    taskDefinitionKey: t.taskDefinitionKey,
    formKey: t.formKey,
    priority: t.priority,
    createTime: t.createTime,
    dueDate: t.dueDate,
    followUpDate: t.followUpDate,
    assignee: t.assignee,
    owner: t.owner,
    candidateUsers: t.candidateUsers,
    candidateGroups: t.candidateGroups,
    businessKey: t.businessKey,
    applicationName: t.applicationName,
    processName: t.processName,
    processDefinitionKey: t.processDefinitionKey,
    processInstanceId: t.processInstanceId,
    tenantId: t.tenantId,
    sourceReference: t.sourceReference,
    payload: t.payload,
    correlations: t.correlations,
    toBeCompleted: t.toBeCompleted,
    version: t.version,
    position: t.position,
    closedAs: null,
    closedAt: null,
    completedBy: null,
    closedBy: null,
    deleteReason: null,
  };
}

/**
 * The completed and deleted tasks, as they were when they closed, with who closed them when. An
 * open task's fields are kept the way the tasks view keeps them (this projection applies the tasks
 * projection to them), so that the closing event finds them; a closed task takes no more changes.
 */
export const closedTasksProjection: Projection<'closed-tasks'> = {
  name: 'closed-tasks',

  documentId: (event) => tasksProjection.documentId(event),

  apply(current: Stored | undefined, stored: StoredEvent): Stored | undefined {
    if (storedVersion(current) >= stored.revision) return current;
    if (current && !current.removed && current.document.closedAs !== null) return current;
    const event = stored as unknown as TaskEvent;
    if (event.type === 'TaskCompleted' || event.type === 'TaskDeleted') {
      if (!current || current.removed) {
        throw new ProjectionApplyError('closed-tasks', stored, `task ${event.data.id} was never created`);
      }
      const userId = stored.metadata.userId ?? null;
      const closing: Partial<ClosedTaskView> =
        event.type === 'TaskCompleted'
          ? {
              closedAs: 'COMPLETED',
              assignee: event.data.assignee,
              completedBy: event.data.assignee ?? userId,
            }
          : { closedAs: 'DELETED', deleteReason: event.data.deleteReason };
      const document: ClosedTaskView = {
        ...current.document,
        ...closing,
        closedAt: stored.metadata.timestamp,
        closedBy: userId,
        toBeCompleted: false,
        version: stored.revision,
        position: stored.position,
      };
      return { id: current.id, removed: false, document };
    }
    const next = tasksProjection.apply(current as StoredViewDocument<'tasks'> | undefined, stored);
    if (next === undefined || next === current || next.removed) return current;
    // Only a created task lacks the closing fields; later documents carry them over from `current`.
    const document =
      'closedAs' in next.document ? (next.document as ClosedTaskView) : openTask(next.document);
    return { id: next.id, removed: false, document };
  },
};
