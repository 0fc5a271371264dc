import {
  DomainError,
  jsonEquals,
  type Decider,
  type ProcessDefinitionCommand,
  type ProcessDefinitionEvent,
  type ProcessDefinitionRegistered,
  type RegisterProcessDefinitionData,
} from '@eddy/contracts';

/** The state of one process definition stream (one definition id). */
export type ProcessDefinitionState =
  { status: 'not-registered' } | { status: 'registered'; definition: ProcessDefinitionRegistered['data'] };

/** Codes with which the process definition decider refuses commands. */
export const ProcessDefinitionErrorCodes = {
  PROCESS_DEFINITION_CONFLICT: 'PROCESS_DEFINITION_CONFLICT',
} as const;

function registered(data: RegisterProcessDefinitionData): ProcessDefinitionRegistered['data'] {
  return {
    id: data.id,
    key: data.key,
    version: data.version,
    name: data.name,
    applicationName: data.applicationName,
    versionTag: data.versionTag ?? null,
    description: data.description ?? null,
    formKey: data.formKey ?? null,
    startableFromTasklist: data.startableFromTasklist,
    candidateStarterUsers: [...new Set(data.candidateStarterUsers ?? [])],
    candidateStarterGroups: [...new Set(data.candidateStarterGroups ?? [])],
  };
}

/**
 * A deployed process definition never changes: registering it again (every engine start does)
 * changes nothing, and a different content under the same id is a mistake of the sender. A new
 * version is a new definition id under the same key.
 */
export const processDefinitionDecider: Decider<
  ProcessDefinitionCommand,
  ProcessDefinitionEvent,
  ProcessDefinitionState
> = {
  decide(command, state) {
    const definition = registered(command.data);
    if (state.status === 'not-registered') return [{ type: 'ProcessDefinitionRegistered', data: definition }];
    if (jsonEquals(definition, state.definition)) return [];
    throw new DomainError(
      ProcessDefinitionErrorCodes.PROCESS_DEFINITION_CONFLICT,
      `process definition ${definition.id} is already registered with a different content`,
      'data.id',
    );
  },
  evolve(_state, event) {
    return { status: 'registered', definition: event.data };
  },
  initialState: () => ({ status: 'not-registered' }),
};
