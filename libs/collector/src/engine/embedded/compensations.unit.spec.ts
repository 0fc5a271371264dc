import { describe, expect, it } from '@jest/globals';
import { type SerializedElement } from './dialect-specs';
import { readCompensations, type SerializedLink } from './compensations';
import { serializedElement } from './serialized-elements.testing';

const element = serializedElement;
const compensate = (activityRef?: string) => ({
  eventDefinitions: [
    {
      type: 'bpmn:CompensateEventDefinition',
      behaviour: { id: 'def', ...(activityRef ? { activityRef: { id: activityRef } } : {}) },
    },
  ],
});
const boundary = (id: string, on: string, scope: string) =>
  element(id, 'bpmn:BoundaryEvent', scope, { attachedTo: { id: on }, ...compensate() });
const handler = (id: string, scope: string) =>
  element(id, 'bpmn:UserTask', scope, { isForCompensation: true });
const link = (id: string, sourceId: string, targetId: string): SerializedLink => ({ id, sourceId, targetId });

function read(all: SerializedElement[], associations: SerializedLink[], flows: SerializedLink[] = []) {
  const problems: { elementId: string; reason: string }[] = [];
  const specs = readCompensations(all, associations, flows, [], 'P', (e, reason) =>
    problems.push({ elementId: e.id, reason }),
  );
  return { specs, problems };
}

describe('compensation at deployment', () => {
  const book = element('Book', 'bpmn:ServiceTask', 'P');
  const sub = element('Sub', 'bpmn:SubProcess', 'P');
  const hold = element('Hold', 'bpmn:Task', 'Sub');

  it('reads each compensation activity with its handler, and each throw with its scope', () => {
    const { specs, problems } = read(
      [
        book,
        boundary('OnBook', 'Book', 'P'),
        handler('Unbook', 'P'),
        element('Undo', 'bpmn:IntermediateThrowEvent', 'P', compensate('Book')),
        sub,
        hold,
        boundary('OnHold', 'Hold', 'Sub'),
        handler('Unhold', 'Sub'),
        element('UndoInSub', 'bpmn:EndEvent', 'Sub', compensate()),
      ],
      [link('a1', 'OnBook', 'Unbook'), link('a2', 'OnHold', 'Unhold')],
    );
    expect(problems).toEqual([]);
    expect(specs.handlers).toEqual(
      new Map([
        ['Book', 'Unbook'],
        ['Hold', 'Unhold'],
      ]),
    );
    expect(specs.throws.get('Undo')).toEqual({
      activityRef: 'Book',
      scopeId: null,
      inEventSubProcess: false,
    });
    expect(specs.throws.get('UndoInSub')).toEqual({
      activityRef: null,
      scopeId: 'Sub',
      inEventSubProcess: false,
    });
  });

  it('a throw in an event sub-process compensates the scope around the event sub-process', () => {
    const { specs } = read(
      [
        sub,
        hold,
        boundary('OnHold', 'Hold', 'Sub'),
        handler('Unhold', 'Sub'),
        element('OnError', 'bpmn:SubProcess', 'Sub', { triggeredByEvent: true }),
        element('UndoOnError', 'bpmn:IntermediateThrowEvent', 'OnError', compensate('Hold')),
      ],
      [link('a1', 'OnHold', 'Unhold')],
    );
    expect(specs.throws.get('UndoOnError')).toEqual({
      activityRef: 'Hold',
      scopeId: 'Sub',
      inEventSubProcess: true,
    });
  });

  it('refuses a handler with sequence flows, an activityRef of another scope, and a throw that would compensate inside a completed sub-process', () => {
    const { problems } = read(
      [
        book,
        boundary('OnBook', 'Book', 'P'),
        handler('Unbook', 'P'),
        sub,
        hold,
        boundary('OnHold', 'Hold', 'Sub'),
        handler('Unhold', 'Sub'),
        element('UndoHold', 'bpmn:IntermediateThrowEvent', 'P', compensate('Hold')),
        element('UndoAll', 'bpmn:EndEvent', 'P', compensate()),
      ],
      [link('a1', 'OnBook', 'Unbook'), link('a2', 'OnHold', 'Unhold')],
      [link('f1', 'Unbook', 'UndoAll')],
    );
    expect(problems).toEqual([
      { elementId: 'Unbook', reason: 'a compensation handler has no incoming or outgoing sequence flows' },
      {
        elementId: 'UndoHold',
        reason:
          'activityRef Hold must name an activity with a compensation boundary event in the scope of the event',
      },
      {
        elementId: 'UndoAll',
        reason: expect.stringMatching(/inside the completed sub-process Sub is not supported/),
      },
    ]);
  });
});
