import { describe, expect, it } from '@jest/globals';
import { eventSubProcessCatching, readErrorEventSubProcesses } from './error-event-sub-processes';
import { serializedElement } from './serialized-elements.testing';

const element = serializedElement;
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
      element('Shipping', 'bpmn:SubProcess', 'P'),
      element('Label', 'bpmn:ServiceTask', 'Shipping'),
      element('OnShippingDeclined', 'bpmn:SubProcess', 'Shipping', { triggeredByEvent: true }),
      element('ShippingDeclinedStart', 'bpmn:StartEvent', 'OnShippingDeclined', onError('E_DECLINED')),
      element('InShippingHandler', 'bpmn:ServiceTask', 'OnShippingDeclined'),
    ],
    'P',
  );

  it('an error goes to the event sub-process of its code, then to the one that catches every code', () => {
    expect(eventSubProcessCatching(specs, 'Other', 'DECLINED')).toEqual({
      id: 'OnDeclined',
      scopeId: null,
      errorRefId: 'E_DECLINED',
      code: 'DECLINED',
    });
    expect(eventSubProcessCatching(specs, 'Charge', 'LATE')?.id).toBe('OnAny');
  });

  it('a boundary event of a sub-process around the element catches first', () => {
    expect(eventSubProcessCatching(specs, 'Charge', 'FRAUD')).toBeUndefined();
    expect(eventSubProcessCatching(specs, 'Other', 'FRAUD')?.id).toBe('OnAny');
  });

  it('an error thrown inside an event sub-process is not caught by the event sub-processes of its scope', () => {
    expect(eventSubProcessCatching(specs, 'InHandler', 'DECLINED')).toBeUndefined();
    expect(eventSubProcessCatching(specs, 'InShippingHandler', 'DECLINED')?.id).toBe('OnDeclined');
  });

  it('the event sub-process of the sub-process an element is in catches before those of the process', () => {
    expect(eventSubProcessCatching(specs, 'Label', 'DECLINED')).toMatchObject({
      id: 'OnShippingDeclined',
      scopeId: 'Shipping',
    });
    // A code it does not catch goes out to the process.
    expect(eventSubProcessCatching(specs, 'Label', 'LATE')?.id).toBe('OnAny');
  });
});
