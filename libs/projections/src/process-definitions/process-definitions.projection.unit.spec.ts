import { describe, it } from '@jest/globals';
import { projectionSpecification } from '@eddy/testing';
import { definitionRegistered } from '../projection.fixtures.spec';
import { processDefinitionsProjection } from './process-definitions.projection';

const spec = projectionSpecification(processDefinitionsProjection);

describe('process definitions projection', () => {
  it('keeps the latest version per key with who may start it', () => {
    spec
      .given(definitionRegistered('order', 1))
      .when(
        definitionRegistered('order', 2, { candidateStarterGroups: ['sales'], startableFromTasklist: false }),
      )
      .thenDocument('order', {
        id: 'order:2',
        version: 2,
        startableFromTasklist: false,
        candidateStarterGroups: ['sales'],
        candidateStarterUsers: [],
      })
      .thenReplayGivesSameView();
  });

  it('an older version registered late, or a duplicate, changes nothing', () => {
    spec
      .given(definitionRegistered('order', 2))
      .when(definitionRegistered('order', 1, { name: 'old' }), {
        ...definitionRegistered('order', 2, { name: 'dup' }),
        streamId: 'spec-order',
        revision: 0,
      })
      .thenNothingChanged();
  });
});
