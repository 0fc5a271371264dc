import { type NewEvent } from '@eddy/eventstore';
import { randomUUID } from 'node:crypto';

/** A valid event to append in tests; every call gets a fresh id. */
export function anEvent(
  type = 'TestHappened',
  data: Record<string, unknown> = {},
  id = randomUUID(),
): NewEvent {
  return {
    id,
    type,
    schemaVersion: 1,
    data,
    metadata: {
      commandId: `cmd-${id}`,
      correlationId: `corr-${id}`,
      causationId: `cause-${id}`,
      userId: 'user-1',
      timestamp: '2025-01-01T00:00:00.000Z',
    },
  };
}

/** `count` fresh events whose data carry their index. */
export function someEvents(count: number, type = 'TestHappened'): NewEvent[] {
  return Array.from({ length: count }, (_, i) => anEvent(type, { i }));
}
