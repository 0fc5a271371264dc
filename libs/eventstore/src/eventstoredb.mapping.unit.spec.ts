import {
  ANY,
  type AllStreamResolvedEvent,
  type AppendResult as EsdbAppendResult,
  NO_STREAM,
  type ResolvedEvent,
  START,
  STREAM_EXISTS,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { anEvent } from '@eddy/testing';
import { describe, expect, it } from '@jest/globals';
import {
  DuplicateEventIdError,
  InvalidEventError,
  type NewEvent,
  WrongExpectedRevisionError,
} from './event-store.port';
import {
  COMMAND_EVENT_TYPES,
  commandEvent,
  type CommandRecord,
  commandStreamName,
  fromCommandEvent,
  fromEsdbAppendError,
  fromEsdbAppendResult,
  fromEsdbEvent,
  fromEsdbRevision,
  rawPosition,
  toEsdbEvent,
  toEsdbEventId,
  toEsdbExpectedRevision,
  toReadPosition,
  validateEsdbAppend,
} from './eventstoredb.mapping';

/** What EventStoreDB hands back from `$all` for an event that `toEsdbEvent` made. */
function recorded(
  event: NewEvent,
  streamName: string,
  revision: bigint,
  commit: bigint,
  overrides: Partial<NonNullable<AllStreamResolvedEvent['event']>> = {},
): AllStreamResolvedEvent {
  const written = toEsdbEvent(event);
  return {
    event: {
      streamId: streamName,
      id: written.id,
      isJson: true,
      revision,
      type: written.type,
      created: new Date('2025-01-01T00:00:00Z'),
      data: written.data,
      metadata: written.metadata,
      position: { commit, prepare: commit },
      ...overrides,
    } as NonNullable<AllStreamResolvedEvent['event']>,
    commitPosition: commit,
  };
}

describe('EventStoreDB mapping', () => {
  describe('expected revisions', () => {
    it("maps each of the port's expected revisions to EventStoreDB's", () => {
      expect(toEsdbExpectedRevision('any')).toBe(ANY);
      expect(toEsdbExpectedRevision('no_stream')).toBe(NO_STREAM);
      expect(toEsdbExpectedRevision('stream_exists')).toBe(STREAM_EXISTS);
      expect(toEsdbExpectedRevision(0)).toBe(0n);
      expect(toEsdbExpectedRevision(41)).toBe(41n);
    });

    it("maps EventStoreDB's current revision to the port's, -1 for no stream", () => {
      expect(fromEsdbRevision(NO_STREAM)).toBe(-1);
      expect(fromEsdbRevision(7n)).toBe(7);
      expect(() => fromEsdbRevision(2n ** 60n)).toThrow(/EVENTSTORE-204/);
    });

    it('turns a wrong expected version into the port error with the actual revision', () => {
      const error = new WrongExpectedVersionError(undefined, {
        streamName: 'p-task-1',
        expected: 3n,
        current: 5n,
      });
      const mapped = fromEsdbAppendError('task-1', 3, error);
      expect(mapped).toBeInstanceOf(WrongExpectedRevisionError);
      expect(mapped).toMatchObject({ streamId: 'task-1', expected: 3, actual: 5 });

      const missing = new WrongExpectedVersionError(undefined, {
        streamName: 'task-2',
        expected: STREAM_EXISTS,
        current: NO_STREAM,
      });
      expect(fromEsdbAppendError('task-2', 'stream_exists', missing)).toMatchObject({
        expected: 'stream_exists',
        actual: -1,
      });
      const other = new Error('unavailable');
      expect(fromEsdbAppendError('task-3', 'any', other)).toBe(other);
    });
  });

  describe('positions', () => {
    it('reads $all from the start for 0 and from the commit position otherwise', () => {
      expect(toReadPosition(0)).toBe(START);
      expect(toReadPosition(4_711)).toEqual({ commit: 4_711n, prepare: 4_711n });
    });

    it('answers an append with the stream revision and the commit position of its last event', () => {
      const result: EsdbAppendResult = {
        success: true,
        nextExpectedRevision: 2n,
        position: { commit: 9_000n, prepare: 9_000n },
      };
      expect(fromEsdbAppendResult('s', result)).toEqual({ nextExpectedRevision: 2, position: 9_000 });
    });

    it('treats a success without a position (an idempotent retry) as a duplicate, not a new write', () => {
      const result: EsdbAppendResult = { success: true, nextExpectedRevision: 2n };
      expect(() => fromEsdbAppendResult('s', result)).toThrow(DuplicateEventIdError);
    });

    it('knows the position of events that the port does not show, so that paging goes on past them', () => {
      const system = recorded(anEvent(), '$stats-127.0.0.1:2113', 0n, 800n, { type: '$statsCollected' });
      expect(fromEsdbEvent(system, '')).toBeUndefined();
      expect(rawPosition(system)).toBe(800);
      expect(rawPosition({ commitPosition: 900n })).toBe(900);
      expect(rawPosition({})).toBeUndefined();
    });
  });

  describe('events', () => {
    it('keeps a lower-case UUID as the event id and derives a stable UUID from any other id', () => {
      const uuid = '0b9a3f64-5b1e-4c0e-9f7e-2a1d3c4b5e6f';
      expect(toEsdbEventId(uuid)).toBe(uuid);
      const derived = toEsdbEventId('task-1/cmd-1/0');
      expect(derived).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(toEsdbEventId('task-1/cmd-1/0')).toBe(derived);
      expect(toEsdbEventId('task-1/cmd-1/1')).not.toBe(derived);
      expect(toEsdbEventId(uuid.toUpperCase())).not.toBe(uuid.toUpperCase());
    });

    it('writes JSON data and the metadata under EventStoreDB names, with a copy of the data', () => {
      const event = anEvent('TaskCreated', { nested: { n: 1 } });
      const written = toEsdbEvent(event);
      expect(written).toMatchObject({ id: event.id, contentType: 'application/json', type: 'TaskCreated' });
      expect(written.metadata).toEqual({
        schemaVersion: 1,
        commandId: event.metadata.commandId,
        $correlationId: event.metadata.correlationId,
        $causationId: event.metadata.causationId,
        userId: 'user-1',
        timestamp: event.metadata.timestamp,
      });
      (event.data as { nested: { n: number } }).nested.n = 2;
      expect(written.data).toEqual({ nested: { n: 1 } });
    });

    it('reads back exactly the event that was written, in its stream without the prefix', () => {
      const event = anEvent('TaskCreated', { list: [1, 'two', null, true] });
      expect(fromEsdbEvent(recorded(event, 'p1-task-1', 3n, 1_234n), 'p1-')).toEqual({
        ...event,
        streamId: 'task-1',
        revision: 3,
        position: 1_234,
      });
    });

    it('keeps optional metadata absent and a non-UUID id intact through the round trip', () => {
      const event: NewEvent = {
        id: 'not-a-uuid',
        type: 'Bare',
        schemaVersion: 2,
        data: {},
        metadata: { commandId: 'c', correlationId: 'k', timestamp: '2025-01-01T00:00:00Z' },
      };
      const written = toEsdbEvent(event);
      expect(written.metadata).toEqual({
        eddyEventId: 'not-a-uuid',
        schemaVersion: 2,
        commandId: 'c',
        $correlationId: 'k',
        timestamp: '2025-01-01T00:00:00Z',
      });
      const read = fromEsdbEvent(recorded(event, 'bare', 0n, 10n), '');
      expect(read).toEqual({ ...event, streamId: 'bare', revision: 0, position: 10 });
      expect(Object.keys(read!.metadata)).not.toContain('causationId');
    });

    it('keeps the trace context of the metadata through the round trip', () => {
      const traceparent = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
      const event: NewEvent = {
        id: 'traced',
        type: 'Traced',
        schemaVersion: 1,
        data: {},
        metadata: { commandId: 'c', correlationId: 'k', timestamp: '2025-01-01T00:00:00Z', traceparent },
      };
      expect(toEsdbEvent(event).metadata.traceparent).toBe(traceparent);
      expect(fromEsdbEvent(recorded(event, 'traced', 0n, 10n), '')?.metadata.traceparent).toBe(traceparent);
    });

    it('does not show system events, other prefixes, command reservations or unresolved links', () => {
      const event = anEvent();
      expect(fromEsdbEvent(recorded(event, 'task-1', 0n, 1n, { type: '$metadata' }), '')).toBeUndefined();
      expect(fromEsdbEvent(recorded(event, '$$task-1', 0n, 1n), '')).toBeUndefined();
      expect(fromEsdbEvent(recorded(event, 'p2-task-1', 0n, 1n), 'p1-')).toBeUndefined();
      expect(fromEsdbEvent(recorded(event, commandStreamName('p1-', 'c'), 0n, 1n), 'p1-')).toBeUndefined();
      expect(fromEsdbEvent({ commitPosition: 5n }, '')).toBeUndefined();
    });

    it('refuses, naming the event, what is not an event of Eddy or carries no position', () => {
      const event = anEvent();
      expect(() =>
        fromEsdbEvent(
          recorded(event, 'x', 0n, 1n, { isJson: false, data: new Uint8Array([1]) } as never),
          '',
        ),
      ).toThrow(/EVENTSTORE-201 EventStoreDB event .* \(x@0\)/);
      expect(() => fromEsdbEvent(recorded(event, 'x', 0n, 1n, { metadata: { other: true } }), '')).toThrow(
        /EVENTSTORE-201 .*lacks schemaVersion/,
      );
      const fromOldServer: ResolvedEvent = {
        event: { ...recorded(event, 'x', 0n, 1n).event!, position: undefined },
      };
      expect(() => fromEsdbEvent(fromOldServer, '')).toThrow(/EVENTSTORE-202 .*22\.6/);
    });
  });

  describe('appends EventStoreDB would treat otherwise', () => {
    it('refuses system stream names, reservation stream names, system event types and an id twice', () => {
      expect(() => validateEsdbAppend('$task', [anEvent()])).toThrow(InvalidEventError);
      expect(() => validateEsdbAppend('$task', [anEvent()])).toThrow(/streamId/);
      expect(() => validateEsdbAppend('eddy-store-x', [anEvent()])).toThrow(/streamId/);
      expect(() => validateEsdbAppend('task', [anEvent(), anEvent('$>')])).toThrow(/events\[1\]\.type/);
      const event = anEvent();
      expect(() => validateEsdbAppend('task', [event, { ...event }])).toThrow(DuplicateEventIdError);
      expect(() => validateEsdbAppend('task', [anEvent(), anEvent()])).not.toThrow();
    });
  });

  describe('command records', () => {
    it('gives each command id one stream under the prefix, whatever characters the id holds', () => {
      const name = commandStreamName('p1-', 'cmd/ü 1');
      expect(name).toMatch(/^p1-eddy-store-command-[0-9a-f]{64}$/);
      expect(commandStreamName('p1-', 'cmd/ü 1')).toBe(name);
      expect(commandStreamName('p1-', 'cmd/ü 2')).not.toBe(name);
    });

    it('reads back each state a command stream records, and refuses an event that is none', () => {
      const records: CommandRecord[] = [
        { state: 'reserved', streamId: 'task-1' },
        {
          state: 'accepted',
          accepted: { commandId: 'cmd-1', streamId: 'task-1', revision: 3, position: 99 },
        },
        { state: 'released' },
      ];
      for (const record of records) {
        const written = commandEvent('cmd-1', record);
        expect(written.type).toBe(COMMAND_EVENT_TYPES[record.state]);
        const resolved: ResolvedEvent = {
          event: {
            streamId: commandStreamName('', 'cmd-1'),
            id: written.id,
            isJson: true,
            revision: 0n,
            type: written.type,
            created: new Date(),
            data: written.data,
            metadata: undefined,
          },
        };
        expect(fromCommandEvent(resolved)).toEqual(record);
      }
      expect(() => fromCommandEvent({})).toThrow(/EVENTSTORE-203/);
    });
  });
});
