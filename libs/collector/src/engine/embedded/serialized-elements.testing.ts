import { type SerializedElement } from './dialect-specs';

/**
 * An element as bpmn-engine's serializer lists it, for the unit tests of what the compiler reads: in the
 * process `P` when `scope` is `P`, else in the sub-process of that id.
 */
export const serializedElement = (
  id: string,
  type: string,
  scope: string,
  behaviour: Record<string, unknown> = {},
) =>
  ({
    id,
    type,
    parent: { id: scope, type: scope === 'P' ? 'bpmn:Process' : 'bpmn:SubProcess' },
    behaviour: { $type: type, ...behaviour },
  }) as SerializedElement;
