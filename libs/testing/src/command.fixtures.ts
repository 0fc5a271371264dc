import type { SourceReference } from '@eddy/contracts';

/** A source reference for commands of tests: a generic case of the claims application. */
export const aSourceReference = (overrides: Partial<SourceReference> = {}): SourceReference => ({
  type: 'generic',
  instanceId: 'case-1',
  definitionId: 'claims:1',
  definitionKey: 'claims',
  name: 'Claims',
  applicationName: 'claims-app',
  ...overrides,
});

/** A `CreateTask` in the command API's wire form, with `data` added to the task's required fields. */
export const aCreateTaskCommand = (commandId: string, id: string, data: Record<string, unknown> = {}) => ({
  type: 'CreateTask',
  commandId,
  data: { id, name: 'Check claim', taskDefinitionKey: 'check', sourceReference: aSourceReference(), ...data },
});
