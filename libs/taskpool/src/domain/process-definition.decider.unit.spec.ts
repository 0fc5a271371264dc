import { describe, it } from '@jest/globals';
import type { ProcessDefinitionRegistered, RegisterProcessDefinitionData } from '@eddy/contracts';
import { DeciderSpecification } from '@eddy/testing';
import { processDefinitionDecider } from './process-definition.decider';

const command: RegisterProcessDefinitionData = {
  id: 'order:1:abc',
  key: 'order',
  version: 1,
  name: 'Order',
  applicationName: 'shop',
  startableFromTasklist: true,
  candidateStarterGroups: ['clerks'],
};
const registered: ProcessDefinitionRegistered = {
  type: 'ProcessDefinitionRegistered',
  data: {
    ...command,
    versionTag: null,
    description: null,
    formKey: null,
    candidateStarterUsers: [],
    candidateStarterGroups: ['clerks'],
  },
};

const spec = DeciderSpecification.for(processDefinitionDecider);

describe('process definition decider', () => {
  it('registers a definition with defaults for the optional fields', () => {
    spec.given([]).when({ type: 'RegisterProcessDefinition', data: command }).then([registered]);
  });

  it('emits nothing when the same definition is registered again', () => {
    spec.given([registered]).when({ type: 'RegisterProcessDefinition', data: command }).thenNothing();
    // Optional fields left out and given as their defaults are the same definition.
    spec
      .given([registered])
      .when({ type: 'RegisterProcessDefinition', data: { ...command, candidateStarterUsers: [] } })
      .thenNothing();
  });

  it('refuses a different content under the same id with PROCESS_DEFINITION_CONFLICT', () => {
    spec
      .given([registered])
      .when({ type: 'RegisterProcessDefinition', data: { ...command, name: 'Order (new)' } })
      .thenThrows('PROCESS_DEFINITION_CONFLICT');
    spec
      .given([registered])
      .when({ type: 'RegisterProcessDefinition', data: { ...command, startableFromTasklist: false } })
      .thenThrows('PROCESS_DEFINITION_CONFLICT');
  });

  it('registers a new version as a new definition id (its own stream)', () => {
    spec
      .given([])
      .when({ type: 'RegisterProcessDefinition', data: { ...command, id: 'order:2:def', version: 2 } })
      .then([{ ...registered, data: { ...registered.data, id: 'order:2:def', version: 2 } }]);
  });
});
