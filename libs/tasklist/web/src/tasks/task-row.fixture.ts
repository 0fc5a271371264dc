import type { TaskRow } from './task.types';

/** A task row for the unit tests of the lists: every field empty but the id (also its name). */
export const taskRow = (id: string, fields: Partial<TaskRow> = {}): TaskRow => ({
  id,
  name: id,
  description: null,
  processName: null,
  processDefinitionKey: null,
  priority: null,
  createTime: '2026-01-01T00:00:00Z',
  dueDate: null,
  followUpDate: null,
  deferred: false,
  assignee: null,
  candidateUsers: [],
  candidateGroups: [],
  formKey: null,
  version: 1,
  ...fields,
});
