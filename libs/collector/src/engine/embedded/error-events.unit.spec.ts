import { describe, expect, it } from '@jest/globals';
import { catchesError, errorCatchers, errorEndEvents } from './error-events';

const error = (id: string, errorCode?: string) => ({ id, type: 'bpmn:Error', behaviour: { errorCode } });
const errorDefinition = (errorRef?: string) => ({
  type: 'bpmn:ErrorEventDefinition',
  behaviour: errorRef ? { errorRef: { id: errorRef } } : {},
});
const inScope = (id: string, type: string, scope: string, behaviour: Record<string, unknown> = {}) => ({
  id,
  type,
  parent: { id: scope, type: scope === 'P' ? 'bpmn:Process' : 'bpmn:SubProcess' },
  behaviour,
});

describe('error events', () => {
  const elements = [
    error('E_DECLINED', 'DECLINED'),
    error('E_FRAUD', 'FRAUD'),
    error('E_NOCODE'),
    inScope('Sub', 'bpmn:SubProcess', 'P'),
    inScope('Charge', 'bpmn:ServiceTask', 'Sub'),
    inScope('Declined', 'bpmn:BoundaryEvent', 'Sub', {
      attachedTo: { id: 'Charge' },
      eventDefinitions: [errorDefinition('E_DECLINED'), errorDefinition('E_NOCODE')],
    }),
    inScope('OnSub', 'bpmn:BoundaryEvent', 'P', {
      attachedTo: { id: 'Sub' },
      eventDefinitions: [errorDefinition('E_FRAUD')],
    }),
    inScope('Fails', 'bpmn:EndEvent', 'Sub', { eventDefinitions: [errorDefinition('E_FRAUD')] }),
    inScope('Other', 'bpmn:ServiceTask', 'P'),
    inScope('Handler', 'bpmn:SubProcess', 'P', { triggeredByEvent: true }),
    inScope('HandlerStart', 'bpmn:StartEvent', 'Handler', { eventDefinitions: [errorDefinition()] }),
    inScope('Top', 'bpmn:EndEvent', 'P', { eventDefinitions: [errorDefinition('E_DECLINED')] }),
  ];
  const catchers = errorCatchers(elements);

  it('catches at the element, at the sub-processes around it and in the event sub-processes of its scopes', () => {
    expect(catchesError(catchers.get('Charge'), 'DECLINED')).toBe(true);
    expect(catchesError(catchers.get('Charge'), 'FRAUD')).toBe(true);
    // The process's error event sub-process names no error: it catches every code, everywhere in the process.
    expect(catchesError(catchers.get('Other'), 'ANYTHING')).toBe(true);
    expect(catchesError(catchers.get('Fails'), 'FRAUD')).toBe(true);
  });

  it('catches nothing where no catch event is', () => {
    const withoutHandler = errorCatchers(elements.filter((e) => e.id !== 'HandlerStart'));
    expect(catchesError(withoutHandler.get('Other'), 'DECLINED')).toBe(false);
    expect(catchesError(withoutHandler.get('Charge'), 'OTHER')).toBe(false);
    // A referenced error without a code catches nothing but what a catch-all would.
    expect(withoutHandler.get('Charge')).toEqual({ all: false, codes: ['DECLINED', 'FRAUD'] });
  });

  it('reads the codes error end events throw', () => {
    expect(errorEndEvents(elements)).toEqual(
      new Map([
        ['Fails', 'FRAUD'],
        ['Top', 'DECLINED'],
      ]),
    );
  });
});
