import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  foldEvents,
  type ProcessInstanceCommand,
  type ProcessInstanceEvent,
  type SourceReference,
} from '@eddy/contracts';
import { DeciderSpecification, defaultTestMetadata, testMetadata } from '@eddy/testing';
import { processInstanceDecider } from './process-instance.decider';

const sourceReference: SourceReference = {
  type: 'process',
  instanceId: 'pi-1',
  definitionId: 'order:1:abc',
  definitionKey: 'order',
  name: 'Order',
  applicationName: 'shop',
};
const time = defaultTestMetadata.timestamp;
const started: ProcessInstanceEvent = {
  type: 'ProcessInstanceStarted',
  data: { sourceReference, businessKey: 'order-17', startUserId: 'anna', time },
};
const finished: ProcessInstanceEvent = {
  type: 'ProcessInstanceFinished',
  data: { sourceReference, businessKey: 'order-17', time },
};
const cancelled: ProcessInstanceEvent = {
  type: 'ProcessInstanceCancelled',
  data: { sourceReference, businessKey: 'order-17', time, reason: null },
};
const suspended: ProcessInstanceEvent = {
  type: 'ProcessInstanceSuspended',
  data: { sourceReference, businessKey: 'order-17', time, reason: null },
};
const variablesChanged = (variables: Record<string, unknown>): ProcessInstanceEvent => ({
  type: 'ProcessVariablesChanged',
  data: { sourceReference, variables },
});

const start: ProcessInstanceCommand = {
  type: 'StartProcessInstance',
  data: { sourceReference, businessKey: 'order-17', startUserId: 'anna' },
};
const lifecycle = (
  type: Exclude<ProcessInstanceCommand['type'], 'StartProcessInstance' | 'ChangeProcessVariables'>,
  reason?: string,
): ProcessInstanceCommand => ({ type, data: { sourceReference, ...(reason ? { reason } : {}) } });

const spec = DeciderSpecification.for(processInstanceDecider);

describe('process instance decider', () => {
  describe('RequestProcessInstanceCancellation', () => {
    const request = lifecycle('RequestProcessInstanceCancellation', 'not needed');
    const requested: ProcessInstanceEvent = {
      type: 'ProcessInstanceCancellationRequested',
      data: { sourceReference, businessKey: 'order-17', time, requestedBy: 'anna', reason: 'not needed' },
    };
    it("records who asked, once; the engine's cancellation then closes the instance", () => {
      spec.given([started]).when(request, { userId: 'anna' }).then([requested]);
      spec.given([started, requested]).when(request, { userId: 'anna' }).thenNothing();
      spec.given([started, requested]).when(lifecycle('CancelProcessInstance')).then([cancelled]);
    });
    it('refuses an instance that does not exist or has ended', () => {
      spec.given([]).when(request).thenThrows('PROCESS_INSTANCE_NOT_FOUND');
      spec.given([started, finished]).when(request).thenThrows('PROCESS_INSTANCE_CLOSED');
      spec.given([started, cancelled]).when(request).thenThrows('PROCESS_INSTANCE_CLOSED');
    });
  });

  describe('StartProcessInstance', () => {
    it('starts at the command time', () => {
      spec.given([]).when(start).then([started]);
      spec
        .given([])
        .when(
          { type: 'StartProcessInstance', data: { sourceReference } },
          { timestamp: '2026-05-05T00:00:00Z' },
        )
        .then([
          {
            type: 'ProcessInstanceStarted',
            data: { sourceReference, businessKey: null, startUserId: null, time: '2026-05-05T00:00:00Z' },
          },
        ]);
    });
    it('records the instance whose call activity started it, and takes the same start again as nothing new', () => {
      const child: ProcessInstanceCommand = {
        type: 'StartProcessInstance',
        data: { sourceReference, parentInstanceId: 'pi-parent' },
      };
      const childStarted: ProcessInstanceEvent = {
        type: 'ProcessInstanceStarted',
        data: { sourceReference, businessKey: null, startUserId: null, parentInstanceId: 'pi-parent', time },
      };
      spec.given([]).when(child).then([childStarted]);
      spec.given([childStarted]).when(child).thenNothing();
      spec
        .given([childStarted])
        .when({ type: 'StartProcessInstance', data: { sourceReference } })
        .thenThrows('PROCESS_INSTANCE_EXISTS');
    });
    it('emits nothing for an identical start of an existing instance, whatever its status', () => {
      spec.given([started]).when(start).thenNothing();
      spec.given([started, finished]).when(start).thenNothing();
    });
    it('refuses a different start of an existing instance with PROCESS_INSTANCE_EXISTS', () => {
      spec
        .given([started])
        .when({ type: 'StartProcessInstance', data: { ...start.data, businessKey: 'order-18' } })
        .thenThrows('PROCESS_INSTANCE_EXISTS');
    });
  });

  describe('lifecycle', () => {
    it('finishes a running and a suspended instance, keeping the business key', () => {
      spec.given([started]).when(lifecycle('FinishProcessInstance')).then([finished]);
      spec.given([started, suspended]).when(lifecycle('FinishProcessInstance')).then([finished]);
    });
    it('cancels with the reason', () => {
      spec
        .given([started])
        .when(lifecycle('CancelProcessInstance', 'no longer needed'))
        .then([{ ...cancelled, data: { ...cancelled.data, reason: 'no longer needed' } }]);
    });
    it('suspends a running instance and resumes a suspended one', () => {
      spec.given([started]).when(lifecycle('SuspendProcessInstance')).then([suspended]);
      spec
        .given([started, suspended])
        .when(lifecycle('ResumeProcessInstance'))
        .then([{ type: 'ProcessInstanceResumed', data: { sourceReference, businessKey: 'order-17', time } }]);
    });
    it('emits nothing when suspending a suspended instance or resuming a running one', () => {
      spec.given([started, suspended]).when(lifecycle('SuspendProcessInstance')).thenNothing();
      spec.given([started]).when(lifecycle('ResumeProcessInstance')).thenNothing();
    });
    it.each([
      'FinishProcessInstance',
      'CancelProcessInstance',
      'SuspendProcessInstance',
      'ResumeProcessInstance',
    ] as const)('%s of an unknown instance is refused with PROCESS_INSTANCE_NOT_FOUND', (type) => {
      spec.given([]).when(lifecycle(type)).thenThrows('PROCESS_INSTANCE_NOT_FOUND');
    });
    it.each([
      'FinishProcessInstance',
      'CancelProcessInstance',
      'SuspendProcessInstance',
      'ResumeProcessInstance',
    ] as const)('%s of a finished or cancelled instance is refused with PROCESS_INSTANCE_CLOSED', (type) => {
      spec.given([started, finished]).when(lifecycle(type)).thenThrows('PROCESS_INSTANCE_CLOSED');
      spec.given([started, cancelled]).when(lifecycle(type)).thenThrows('PROCESS_INSTANCE_CLOSED');
    });
  });

  describe('ChangeProcessVariables', () => {
    it('emits only the variables that change, removals as null', () => {
      spec
        .given([started, variablesChanged({ amount: 10, customer: { name: 'A' }, note: 'x' })])
        .when({
          type: 'ChangeProcessVariables',
          data: {
            sourceReference,
            variables: { amount: 10, customer: { name: 'B' }, note: null, missing: null, fresh: 1 },
          },
        })
        .then([variablesChanged({ customer: { name: 'B' }, note: null, fresh: 1 })]);
    });
    it('removes a variable set to null', () => {
      spec
        .given([started, variablesChanged({ amount: 10, note: 'x' })])
        .when({ type: 'ChangeProcessVariables', data: { sourceReference, variables: { note: null } } })
        .thenState((state) => expect(state.variables).toEqual({ amount: 10 }));
    });
    it('emits nothing when no variable changes', () => {
      spec
        .given([started, variablesChanged({ amount: 10 })])
        .when({
          type: 'ChangeProcessVariables',
          data: { sourceReference, variables: { amount: 10, gone: null } },
        })
        .thenNothing();
    });
    it('accepts variables of a finished instance and of one whose start has not arrived yet', () => {
      spec
        .given([started, finished])
        .when({ type: 'ChangeProcessVariables', data: { sourceReference, variables: { late: true } } })
        .then([variablesChanged({ late: true })]);
      spec
        .given([variablesChanged({ early: true })])
        .when(start)
        .thenState((state) => expect(state).toMatchObject({ status: 'running', variables: { early: true } }));
    });
  });

  it('deciding the same commands twice from the same state gives the same events', () => {
    const command: fc.Arbitrary<ProcessInstanceCommand> = fc.oneof(
      fc.constant(start),
      fc
        .constantFrom(
          'FinishProcessInstance',
          'CancelProcessInstance',
          'SuspendProcessInstance',
          'ResumeProcessInstance',
        )
        .map((type) => lifecycle(type)),
      fc
        .dictionary(
          fc.constantFrom('a', 'b', 'c'),
          fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 2 })),
        )
        .map((variables): ProcessInstanceCommand => ({
          type: 'ChangeProcessVariables',
          data: { sourceReference, variables },
        })),
    );
    const run = (commands: ProcessInstanceCommand[]) => {
      let state = processInstanceDecider.initialState();
      const events: ProcessInstanceEvent[] = [];
      for (const c of commands) {
        try {
          const emitted = processInstanceDecider.decide(c, state, testMetadata());
          events.push(...emitted);
          state = foldEvents(processInstanceDecider, emitted, state);
        } catch {
          // refusals are part of the run
        }
      }
      return { events, state };
    };
    fc.assert(
      fc.property(fc.array(command, { maxLength: 20 }), (commands) => {
        const first = run(commands);
        expect(run(commands)).toEqual(first);
        expect(foldEvents(processInstanceDecider, first.events)).toEqual(first.state);
      }),
    );
  });
});
