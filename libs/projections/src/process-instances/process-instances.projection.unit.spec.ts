import { describe, it } from '@jest/globals';
import { projectionSpecification } from '@eddy/testing';
import { source } from '../projection.fixtures.spec';
import { processInstancesProjection } from './process-instances.projection';

const spec = projectionSpecification(processInstancesProjection);
const base = { sourceReference: source(), businessKey: 'BK-1' };

describe('process instances projection', () => {
  it('follows the state from start to end', () => {
    spec
      .given({
        type: 'ProcessInstanceStarted',
        data: { ...base, time: '2026-01-01T10:00:00.000Z', startUserId: 'alice' },
      })
      .when(
        {
          type: 'ProcessInstanceSuspended',
          data: { ...base, time: '2026-01-01T11:00:00.000Z', reason: 'wait' },
        },
        { type: 'ProcessInstanceResumed', data: { ...base, time: '2026-01-01T12:00:00.000Z' } },
        { type: 'ProcessVariablesChanged', data: { sourceReference: source(), variables: { a: 1 } } },
        { type: 'ProcessInstanceFinished', data: { ...base, time: '2026-01-01T13:00:00.000Z' } },
      )
      .thenDocument('shop/pi-1', {
        state: 'FINISHED',
        businessKey: 'BK-1',
        startUserId: 'alice',
        startTime: '2026-01-01T10:00:00.000Z',
        endTime: '2026-01-01T13:00:00.000Z',
        processDefinitionKey: 'order',
        version: 4,
      })
      .thenReplayGivesSameView();
  });

  it('knows the instance whose call activity started an instance', () => {
    spec
      .given()
      .when({
        type: 'ProcessInstanceStarted',
        data: { ...base, time: '2026-01-01T10:00:00.000Z', startUserId: null, parentInstanceId: 'pi-0' },
      })
      .thenDocument('shop/pi-1', { state: 'RUNNING', parentInstanceId: 'pi-0' })
      .thenReplayGivesSameView();
  });

  it('a cancelled instance keeps its reason; an instance seen late has no start time', () => {
    spec
      .given()
      .when({
        type: 'ProcessInstanceCancelled',
        data: { ...base, time: '2026-01-01T13:00:00.000Z', reason: 'no stock' },
      })
      .thenDocument('shop/pi-1', {
        state: 'CANCELLED',
        reason: 'no stock',
        startTime: null,
        endTime: '2026-01-01T13:00:00.000Z',
      });
  });

  it('a requested cancellation shows until the engine reports the end', () => {
    const started = {
      type: 'ProcessInstanceStarted' as const,
      data: { ...base, time: '2026-01-01T10:00:00.000Z', startUserId: 'alice' },
    };
    const requested = {
      type: 'ProcessInstanceCancellationRequested' as const,
      data: { ...base, time: '2026-01-01T11:00:00.000Z', requestedBy: 'alice', reason: null },
    };
    spec
      .given(started)
      .when(requested)
      .thenDocument('shop/pi-1', { state: 'RUNNING', cancellationRequested: true, version: 1 })
      .thenReplayGivesSameView();
    spec
      .given(started, requested)
      .when({
        type: 'ProcessInstanceCancelled',
        data: { ...base, time: '2026-01-01T11:00:01.000Z', reason: null },
      })
      .thenDocument('shop/pi-1', { state: 'CANCELLED', cancellationRequested: false, version: 2 });
  });
});
