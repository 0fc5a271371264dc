import { formatDateTime } from '../format';
import type { TaskDetail } from './task.types';

/** The task's fields: process, dates, priority, assignee and candidates. */
export function TaskFacts({ task }: { task: TaskDetail }) {
  return (
    <dl class="facts">
      <dt>Process</dt>
      <dd>{task.processName ?? task.processDefinitionKey ?? '—'}</dd>
      <dt>Business key</dt>
      <dd>{task.businessKey ?? '—'}</dd>
      <dt>Created</dt>
      <dd>{formatDateTime(task.createTime)}</dd>
      <dt>Due</dt>
      <dd data-testid="due-date">{formatDateTime(task.dueDate)}</dd>
      <dt>Follow-up</dt>
      <dd>
        {formatDateTime(task.followUpDate)}
        {task.deferred && ' (deferred)'}
      </dd>
      <dt>Priority</dt>
      <dd data-testid="priority">{task.priority ?? '—'}</dd>
      <dt>Assignee</dt>
      <dd data-testid="assignee">{task.assignee ?? 'nobody'}</dd>
      <dt>Candidates</dt>
      <dd>{[...task.candidateUsers, ...task.candidateGroups.map((g) => `group ${g}`)].join(', ') || '—'}</dd>
    </dl>
  );
}
