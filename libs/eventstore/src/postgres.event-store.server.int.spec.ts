import { eventStoreContract, anEvent, requireServer } from '@eddy/testing';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { Client } from 'pg';
import { afterEach, describe, expect, it } from '@jest/globals';
import { waitFor } from '@eddy/testing/wait-for';
import { type StoredEvent } from './event-store.port';
import { openPostgresEventStore, type PostgresEventStore } from './postgres.event-store';

// EDDY_TEST_POSTGRES_URL, set by `npm run test:int` (infra:up): a fresh database for the run.
let url: string | undefined;
let missing: unknown;
try {
  url = requireServer('postgres').url;
} catch (error) {
  missing = error;
}

if (url === undefined) {
  describe('postgres event store', () => {
    it('needs a PostgreSQL server', () => {
      // Fails rather than skips: an adapter that did not run against its server must not look green.
      throw missing;
    });
  });
} else {
  const connectionString = url;
  let last = '';
  const freshSchema = (): string => (last = `contract_${randomUUID().replace(/-/g, '').slice(0, 16)}`);

  eventStoreContract('postgres', {
    create: () => openPostgresEventStore({ connectionString, schema: freshSchema() }),
    reopen: () => openPostgresEventStore({ connectionString, schema: last }),
    childOpener: () => ({
      module: resolve(__dirname, 'postgres.event-store.ts'),
      exportName: 'openPostgresEventStore',
      options: { connectionString, schema: last },
    }),
  });

  describe('postgres event store: readers never pass a position a running transaction may still commit', () => {
    const cleanup: Array<() => Promise<unknown>> = [];
    afterEach(async () => {
      for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
    });

    it('holds back a committed higher position until the open lower one commits, then delivers both in order', async () => {
      const schema = freshSchema();
      const store: PostgresEventStore = await openPostgresEventStore({ connectionString, schema });
      cleanup.push(() => store.close());
      await store.appendToStream('before', [anEvent()]);
      const head = await store.headPosition();

      // A writer that has taken the lower position and not committed yet.
      const slow = new Client({ connectionString });
      await slow.connect();
      cleanup.push(() => slow.end());
      const low = anEvent('Low');
      await slow.query('BEGIN');
      const held = await slow.query<{ last_position: string }>(
        `SELECT last_position FROM "${schema}".eddy_append($1, -3, $2, $3, $4, $5, $6)`,
        ['slow', [low.id], [low.type], [1], [JSON.stringify(low.data)], [JSON.stringify(low.metadata)]],
      );
      const lowPosition = Number(held.rows[0].last_position);

      // A writer that takes a higher position and commits first.
      const high = anEvent('High');
      const committed = await store.appendToStream('fast', [high]);
      expect(committed.position).toBeGreaterThan(lowPosition);
      const raw = await store['pool'].query<{ event_id: string }>(
        `SELECT event_id FROM "${schema}".eddy_events`,
      );
      expect(raw.rows.map((r) => r.event_id)).toContain(high.id);

      // Readers stop before the open transaction's position.
      expect((await store.readAll()).map((e) => e.position)).toEqual([head]);
      expect(await store.headPosition()).toBe(head);
      const controller = new AbortController();
      cleanup.push(async () => controller.abort());
      const subscription = store.subscribeToAll({ after: head, signal: controller.signal });
      const iterator = subscription[Symbol.asyncIterator]();
      let settled = false;
      const first = iterator.next().then((result) => {
        settled = true;
        return result;
      });
      // Give the subscription many chances to read (it polls while held back) before checking.
      for (let i = 0; i < 5; i++) {
        await store.appendToStream('fast', []);
        await new Promise((done) => setTimeout(done, 50));
      }
      expect(settled).toBe(false);
      expect((await store.readAll({ after: head })).length).toBe(0);

      await slow.query('COMMIT');
      const delivered: StoredEvent[] = [];
      const firstResult = await first;
      if (!firstResult.done) delivered.push(...firstResult.value);
      while (delivered.length < 2) {
        const next = await iterator.next();
        if (next.done) break;
        delivered.push(...next.value);
      }
      expect(delivered.map((e) => [e.id, e.position])).toEqual([
        [low.id, lowPosition],
        [high.id, committed.position],
      ]);
      expect((await store.readAll({ after: head })).map((e) => e.id)).toEqual([low.id, high.id]);
    });

    it('wakes a subscriber of another instance through NOTIFY', async () => {
      const schema = freshSchema();
      const writer = await openPostgresEventStore({ connectionString, schema });
      const reader = await openPostgresEventStore({ connectionString, schema });
      cleanup.push(
        () => writer.close(),
        () => reader.close(),
      );
      const controller = new AbortController();
      cleanup.push(async () => controller.abort());
      const iterator = reader.subscribeToAll({ signal: controller.signal })[Symbol.asyncIterator]();
      const first = iterator.next();
      // Append only once the reader has caught up and waits live: otherwise its catch-up read could
      // find the event first, and the test would not show the notification at work.
      await waitFor(() => expect(reader['notifier']['waiters'].size).toBeGreaterThan(0), {
        timeout: 10_000,
      });

      const event = anEvent();
      const { position } = await writer.appendToStream('s', [event]);
      const batch = await first;
      expect(batch.done).toBe(false);
      expect((batch.value as StoredEvent[]).map((e) => e.id)).toEqual([event.id]);
      // The reader learnt of the commit from the writer's notification, not from a poll.
      expect(reader['notifier'].latest).toBe(position);
    });

    it('is not held back by an unrelated transaction that started earlier and still runs', async () => {
      const store = await openPostgresEventStore({ connectionString, schema: freshSchema() });
      cleanup.push(() => store.close());
      const unrelated = new Client({ connectionString });
      await unrelated.connect();
      cleanup.push(() => unrelated.end());
      await unrelated.query('BEGIN');
      await unrelated.query('SELECT pg_current_xact_id()');
      cleanup.push(() => unrelated.query('ROLLBACK'));

      const first = await store.appendToStream('a', [anEvent()]);
      const last = await store.appendToStream('b', [anEvent(), anEvent()]);
      expect((await store.readAll()).map((e) => e.position)).toEqual([
        first.position,
        last.position - 1,
        last.position,
      ]);
      expect(await store.headPosition()).toBe(last.position);
    });

    it('refuses an append inside a transaction that has written before, which would break the order', async () => {
      const schema = freshSchema();
      const store = await openPostgresEventStore({ connectionString, schema });
      cleanup.push(() => store.close());
      const client = new Client({ connectionString });
      await client.connect();
      cleanup.push(() => client.end());
      const event = anEvent();
      const args = [
        's',
        [event.id],
        [event.type],
        [1],
        [JSON.stringify(event.data)],
        [JSON.stringify(event.metadata)],
      ];
      await client.query('BEGIN');
      await client.query(`SELECT * FROM "${schema}".eddy_append($1, -3, $2, $3, $4, $5, $6)`, args);
      await expect(
        client.query(`SELECT * FROM "${schema}".eddy_append($1, -3, $2, $3, $4, $5, $6)`, [
          't',
          ...args.slice(1).map((a, i) => (i === 0 ? [anEvent().id] : a)),
        ]),
      ).rejects.toThrow(/first write of its transaction/);
      await client.query('ROLLBACK');
    });

    it('passes over positions of an append that failed, once its transaction has ended', async () => {
      const store = await openPostgresEventStore({ connectionString, schema: freshSchema() });
      cleanup.push(() => store.close());
      const taken = anEvent();
      await store.appendToStream('a', [taken]);
      await expect(store.appendToStream('b', [anEvent(), { ...anEvent(), id: taken.id }])).rejects.toThrow(
        /duplicate event id/,
      );
      const after = await store.appendToStream('c', [anEvent()]);
      const all = await store.readAll();
      expect(all.map((e) => e.streamId)).toEqual(['a', 'c']);
      expect(all[1].position).toBe(after.position);
      expect(after.position).toBeGreaterThan(all[0].position + 1);
    });

    it('indexes the commands of a schema written before the command index, keeping the first stream of a repeated id', async () => {
      const schema = freshSchema();
      const before = await openPostgresEventStore({ connectionString, schema });
      const withCommand = (commandId: string) => ({
        ...anEvent(),
        metadata: { ...anEvent().metadata, commandId },
      });
      await before.appendToStream('a', [withCommand('c1'), withCommand('c1')]);
      const b = await before.appendToStream('b', [withCommand('c2')]);
      await before.appendToStream('a', [withCommand('c2')]);
      await before.close();
      const client = new Client({ connectionString });
      await client.connect();
      cleanup.push(() => client.end());
      await client.query(`DROP TABLE "${schema}".eddy_commands`);

      const store = await openPostgresEventStore({ connectionString, schema });
      cleanup.push(() => store.close());
      expect(await store.findCommand('c1')).toMatchObject({ streamId: 'a', revision: 1 });
      expect(await store.findCommand('c2')).toEqual({
        commandId: 'c2',
        streamId: 'b',
        revision: 0,
        position: b.position,
      });
    });

    it('creates its schema idempotently, also when instances start at the same time', async () => {
      const schema = freshSchema();
      const stores = await Promise.all(
        Array.from({ length: 4 }, () => openPostgresEventStore({ connectionString, schema })),
      );
      for (const s of stores) cleanup.push(() => s.close());
      await stores[0].appendToStream('s', [anEvent()]);
      expect(await stores[3].readStream('s')).toHaveLength(1);
    });
  });
}
