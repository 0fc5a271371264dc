import { describe, expect, it } from '@jest/globals';
import { type SerializedElement } from './dialect-specs';
import { eventSubProcessCatching, readErrorEventSubProcesses } from './error-event-sub-processes';

const element = (id: string, type: string, scope: string, behaviour: Record<string, unknown> = {}) =>
  ({
    id,
    type,
    parent: { id: scope, type: scope === 'P' ? 'bpmn:Process' : 'bpmn:SubProcess' },
    behaviour: { $type: type, ...behaviour },
  }) as SerializedElement;
const onError = (errorRef?: string) => ({
  eventDefinitions: [
    { type: 'bpmn:ErrorEventDefinition', behaviour: errorRef ? { errorRef: { id: errorRef } } : {} },
  ],
});

describe('error event sub-processes', () => {
  const specs = readErrorEventSubProcesses(
    [
      element('E_DECLINED', 'bpmn:Error', 'P', { errorCode: 'DECLINED' }),
      element('E_FRAUD', 'bpmn:Error', 'P', { errorCode: 'FRAUD' }),
      element('Sub', 'bpmn:SubProcess', 'P'),
      element('Charge', 'bpmn:ServiceTask', 'Sub'),
      element('OnSub', 'bpmn:BoundaryEvent', 'P', { attachedTo: { id: 'Sub' }, ...onError('E_FRAUD') }),
      element('Other', 'bpmn:ServiceTask', 'P'),
      element('OnDeclined', 'bpmn:SubProcess', 'P', { triggeredByEvent: true }),
      element('DeclinedStart', 'bpmn:StartEvent', 'OnDeclined', onError('E_DECLINED')),
      element('InHandler', 'bpmn:ServiceTask', 'OnDeclined'),
      element('OnAny', 'bpmn:SubProcess', 'P', { triggeredByEvent: true }),
      element('AnyStart', 'bpmn:StartEvent', 'OnAny', onError()),
    ],
    'P',
  );

  it('an error goes to the event sub-process of its code, then to the one that catches every code', () => {
    expect(eventSubProcessCatching(specs, 'Other', 'DECLINED')).toEqual({
      id: 'OnDeclined',
      errorRefId: 'E_DECLINED',
      code: 'DECLINED',
    });
    expect(eventSubProcessCatching(specs, 'Charge', 'LATE')?.id).toBe('OnAny');
  });

  it('a boundary event of a sub-process around the element catches first', () => {
    expect(eventSubProcessCatching(specs, 'Charge', 'FRAUD')).toBeUndefined();
    expect(eventSubProcessCatching(specs, 'Other', 'FRAUD')?.id).toBe('OnAny');
  });

  it('an error thrown inside an event sub-process is not caught by the event sub-processes of the process', () => {
    expect(eventSubProcessCatching(specs, 'InHandler', 'DECLINED')).toBeUndefined();
  });
});
