import { eventStoreContract, someEvents } from '@eddy/testing';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from '@jest/globals';
import { DuplicateCommandError, WrongExpectedRevisionError } from './event-store.port';
import { type EventStoreDbEventStore, openEventStoreDbEventStore } from './eventstoredb.event-store';

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

  describe('EventStoreDB command records', () => {
    const open: EventStoreDbEventStore[] = [];
    const fresh = async (): Promise<EventStoreDbEventStore> => {
      const store = await openEventStoreDbEventStore({ connectionString, streamPrefix: freshPrefix() });
      open.push(store);
      return store;
    };
    afterEach(async () => {
      for (const store of open.splice(0)) await store.close();
    });

    it('frees the command id of an append the server refused', async () => {
      const store = await fresh();
      await expect(
        store.appendToStream('task-1', someEvents(1), { expectedRevision: 4, commandId: 'cmd-1' }),
      ).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      expect(await store.findCommand('cmd-1')).toBeUndefined();
      await store.appendToStream('task-2', someEvents(1), { commandId: 'cmd-1' });
      expect(await store.findCommand('cmd-1')).toMatchObject({ streamId: 'task-2', revision: 0 });
      await expect(
        store.appendToStream('task-1', someEvents(1), { commandId: 'cmd-1' }),
      ).rejects.toBeInstanceOf(DuplicateCommandError);
    });
  });
}
