import { describe, expect, it } from '@jest/globals';
import type { StoredEvent } from '@eddy/eventstore';
import { decodeEventMessage, EVENT_HEADERS, eventMessage, watermarkMessage } from './event-message';
import { groupWatermark, watermarkMetadata, watermarkOf } from './partition-watermarks';

const event: StoredEvent = {
  id: 'e-1',
  streamId: 'task-t-1',
  revision: 3,
  position: 42,
  type: 'TaskClaimed',
  schemaVersion: 1,
  data: { id: 't-1', assignee: 'alice' },
  metadata: { commandId: 'c-1', correlationId: 'corr-1', timestamp: '2026-01-01T00:00:00.000Z' },
};

/** A message as the consumer receives it: buffers instead of strings. */
function received(message: ReturnType<typeof eventMessage>) {
  return {
    key: message.key === undefined || message.key === null ? null : Buffer.from(message.key as string),
    value: message.value === null ? null : Buffer.from(message.value as string),
    headers: Object.fromEntries(
      Object.entries(message.headers ?? {}).map(([k, v]) => [k, Buffer.from(String(v))]),
    ),
  };
}

describe('event topic messages', () => {
  it('keys an event by its stream and carries type, revision, position, schema version and correlation id', () => {
    const message = eventMessage(event);
    expect(message.key).toBe('task-t-1');
    expect(message.headers).toEqual({
      'eddy-kind': 'event',
      'eddy-event-id': 'e-1',
      'eddy-event-type': 'TaskClaimed',
      'eddy-stream-revision': '3',
      'eddy-position': '42',
      'eddy-schema-version': '1',
      'eddy-correlation-id': 'corr-1',
    });
    expect(decodeEventMessage(received(message))).toEqual({ kind: 'event', event });
  });

  it('decodes a watermark sent to one partition', () => {
    const message = watermarkMessage(42, 2);
    expect(message.partition).toBe(2);
    expect(decodeEventMessage(received(message))).toEqual({ kind: 'watermark', position: 42 });
  });

  it.each([
    ['no kind header', { [EVENT_HEADERS.kind]: undefined }, 'EVENTTOPIC-001', 'eddy-kind'],
    ['a position that is not a number', { [EVENT_HEADERS.position]: 'x' }, 'EVENTTOPIC-001', 'eddy-position'],
    [
      'a position that disagrees',
      { [EVENT_HEADERS.position]: '41' },
      'EVENTTOPIC-001',
      'eddy-position: 41 disagrees',
    ],
    [
      'a revision missing',
      { [EVENT_HEADERS.streamRevision]: undefined },
      'EVENTTOPIC-001',
      'eddy-stream-revision',
    ],
    ['a schema version 0', { [EVENT_HEADERS.schemaVersion]: '0' }, 'EVENTTOPIC-001', 'eddy-schema-version'],
    ['a type that disagrees', { [EVENT_HEADERS.type]: 'TaskCompleted' }, 'EVENTTOPIC-001', 'eddy-event-type'],
  ])('refuses a message with %s, naming the header', (_, change, code, named) => {
    const message = received(eventMessage(event));
    for (const [name, value] of Object.entries(change)) {
      if (value === undefined) delete message.headers[name];
      else message.headers[name] = Buffer.from(value);
    }
    const decoded = decodeEventMessage(message);
    expect(decoded).toMatchObject({ kind: 'bad', code });
    expect((decoded as { message: string }).message).toContain(named);
  });

  it('refuses a value that is not a stored event, and a key that is not its stream', () => {
    const notJson = { ...received(eventMessage(event)), value: Buffer.from('{') };
    expect(decodeEventMessage(notJson)).toMatchObject({ kind: 'bad', code: 'EVENTTOPIC-002' });
    const noData = {
      ...received(eventMessage(event)),
      value: Buffer.from(JSON.stringify({ ...event, data: 3 })),
    };
    expect(decodeEventMessage(noData)).toMatchObject({
      kind: 'bad',
      code: 'EVENTTOPIC-002',
      message: 'value: data: must be an object',
    });
    const otherKey = { ...received(eventMessage(event)), key: Buffer.from('task-t-2') };
    expect(decodeEventMessage(otherKey)).toMatchObject({ kind: 'bad', code: 'EVENTTOPIC-001' });
  });
});

describe('partition watermarks', () => {
  it('vouches for the lowest watermark of every partition, 0 while one has none', () => {
    expect(watermarkOf(watermarkMetadata(17))).toBe(17);
    expect(watermarkOf(null)).toBe(0);
    expect(watermarkOf('garbage')).toBe(0);
    expect(
      groupWatermark([
        { partition: 0, metadata: '17' },
        { partition: 1, metadata: '12' },
        { partition: 2, metadata: '30' },
      ]),
    ).toBe(12);
    expect(
      groupWatermark([
        { partition: 0, metadata: '17' },
        { partition: 1, metadata: null },
      ]),
    ).toBe(0);
    expect(groupWatermark([])).toBe(0);
  });
});
