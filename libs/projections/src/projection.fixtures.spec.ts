import { randomUUID } from 'node:crypto';
import type {
  DataEntryCreated,
  ProcessDefinitionRegistered,
  SourceReference,
  TaskAttributes,
} from '@eddy/contracts';

/** Test data shared by the projection specs (not a spec itself: no tier in its name). */

/** An event to append to an event store in a test. */
export function eventDraft(type: string, data: object) {
  return {
    id: randomUUID(),
    type,
    schemaVersion: 1,
    data: data as Record<string, unknown>,
    metadata: { commandId: randomUUID(), correlationId: 'c', timestamp: '2026-01-01T00:00:00.000Z' },
  };
}

export const source = (overrides: Partial<SourceReference> = {}): SourceReference => ({
  type: 'process',
  instanceId: 'pi-1',
  definitionId: 'order:1',
  definitionKey: 'order',
  name: 'Order approval',
  applicationName: 'shop',
  ...overrides,
});

export const taskAttributes = (id: string, overrides: Partial<TaskAttributes> = {}): TaskAttributes => ({
  id,
  name: `Approve ${id}`,
  taskDefinitionKey: 'approve',
  sourceReference: source(),
  description: null,
  formKey: null,
  priority: 50,
  createTime: '2026-01-01T10:00:00.000Z',
  dueDate: null,
  followUpDate: null,
  assignee: null,
  owner: null,
  candidateUsers: [],
  candidateGroups: ['clerks'],
  businessKey: null,
  payload: {},
  correlations: [],
  ...overrides,
});

export const taskCreated = (id: string, overrides: Partial<TaskAttributes> = {}) => ({
  type: 'TaskCreated' as const,
  data: taskAttributes(id, overrides),
});

export const dataEntryCreated = (
  entryId: string,
  overrides: Partial<DataEntryCreated['data']> = {},
): DataEntryCreated => ({
  type: 'DataEntryCreated',
  data: {
    entryType: 'order',
    entryId,
    type: 'Order',
    name: `Order ${entryId}`,
    applicationName: 'shop',
    description: null,
    formKey: null,
    state: { processingType: 'IN_PROGRESS', state: 'open' },
    payload: {},
    correlations: [],
    authorizedUsers: [],
    authorizedGroups: ['sales'],
    protocolEntry: {
      time: '2026-01-01T10:00:00.000Z',
      processingType: 'IN_PROGRESS',
      state: 'open',
      username: 'alice',
      logMessage: 'created',
      logDetails: null,
    },
    ...overrides,
  },
});

export const definitionRegistered = (
  key: string,
  version: number,
  overrides: Partial<ProcessDefinitionRegistered['data']> = {},
): ProcessDefinitionRegistered => ({
  type: 'ProcessDefinitionRegistered',
  data: {
    id: `${key}:${version}`,
    key,
    version,
    name: `Process ${key}`,
    applicationName: 'shop',
    versionTag: null,
    description: null,
    formKey: null,
    startableFromTasklist: true,
    candidateStarterUsers: [],
    candidateStarterGroups: [],
    ...overrides,
  },
});
