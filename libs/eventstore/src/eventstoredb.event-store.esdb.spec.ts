import { eventStoreContract, anEvent } from '@eddy/testing';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { DuplicateEventIdError } from './event-store.port';
import { type EventStoreDbEventStore, openEventStoreDbEventStore } from './eventstoredb.event-store';
import { DuplicateCommandIdError } from './eventstoredb.mapping';

/**
 * The contract suite against a real EventStoreDB server: `npm run test:eventstoredb` with
 * `EDDY_TEST_EVENTSTOREDB_URL` set (see libs/eventstore/README.md). No EventStoreDB server can be had
 * on this project's machines, so this spec is not part of `npm test`, `npm run test:int` or CI.
 */
const url = process.env.EDDY_TEST_EVENTSTOREDB_URL?.trim();

if (url === undefined || url === '') {
  describe('EventStoreDB event store', () => {
    it('needs an EventStoreDB server', () => {
      // Fails rather than skips: an adapter that did not run against its server must not look green.
      throw new Error(
        'TESTING-003 EDDY_TEST_EVENTSTOREDB_URL is not set: start EventStoreDB 22.10 or later ' +
          '(e.g. --insecure --max-append-size=4194304) and set it to its connection string, ' +
          'e.g. esdb://127.0.0.1:2113?tls=false',
      );
    });
  });
} else {
  const connectionString = url;
  let last = '';
  // One database for every test: each store gets streams of its own prefix.
  const freshPrefix = (): string => (last = `contract-${randomUUID().slice(0, 8)}-`);

  eventStoreContract('eventstoredb', {
    create: () => openEventStoreDbEventStore({ connectionString, streamPrefix: freshPrefix() }),
    reopen: () => openEventStoreDbEventStore({ connectionString, streamPrefix: last }),
    duplicateEventIds: 'retry',
  });

  describe('EventStoreDB command reservations', () => {
    const open: EventStoreDbEventStore[] = [];
    const fresh = async (): Promise<EventStoreDbEventStore> => {
      const store = await openEventStoreDbEventStore({ connectionString, streamPrefix: freshPrefix() });
      open.push(store);
      return store;
    };
    afterEach(async () => {
      for (const store of open.splice(0)) await store.close();
    });

    it('answers where a command id was appended, and refuses it on another stream', async () => {
      const store = await fresh();
      const event = anEvent();
      await store.appendToStream('task-1', [event]);
      expect(await store.findCommand(event.metadata.commandId)).toEqual({
        commandId: event.metadata.commandId,
        streamId: 'task-1',
      });
      expect(await store.findCommand('never-sent')).toBeUndefined();

      const sameCommand = {
        ...anEvent(),
        metadata: { ...anEvent().metadata, commandId: event.metadata.commandId },
      };
      const error = await store.appendToStream('task-2', [sameCommand]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DuplicateCommandIdError);
      expect(error).toBeInstanceOf(DuplicateEventIdError);
      expect(await store.readStream('task-2')).toEqual([]);
    });

    it('lets a command whose append failed be appended again to the same stream', async () => {
      const store = await fresh();
      const event = anEvent();
      await expect(store.appendToStream('task-1', [event], { expectedRevision: 4 })).rejects.toThrow();
      await store.appendToStream('task-1', [event], { expectedRevision: 'no_stream' });
      expect((await store.readStream('task-1')).map((e) => e.id)).toEqual([event.id]);
    });
  });
}
