import { type NewEvent } from '@eddy/eventstore';
import { randomUUID } from 'node:crypto';

/** A realistic task event (about 400 bytes of JSON), with a fresh id. */
export function benchEvent(i: number): NewEvent {
  const id = randomUUID();
  return {
    id,
    type: 'TaskCreated',
    schemaVersion: 1,
    data: {
      taskId: `task-${i}`,
      name: 'Approve invoice',
      description: 'Check the amounts and approve the invoice for payment',
      assignee: null,
      candidateGroups: ['accounting', 'management'],
      processInstanceId: `pi-${i >> 4}`,
      payload: { invoiceId: `inv-${i}`, amount: 1234.5, currency: 'EUR', lines: 3 },
    },
    metadata: {
      commandId: randomUUID(),
      correlationId: randomUUID(),
      userId: 'collector',
      timestamp: '2025-01-01T00:00:00.000Z',
    },
  };
}

/** `count` bench events. */
export function benchEvents(count: number, offset = 0): NewEvent[] {
  return Array.from({ length: count }, (_, i) => benchEvent(offset + i));
}
