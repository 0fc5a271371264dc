/**
 * Child process of the event store's kill -9 test: opens a store, appends from several writers
 * until it is killed, and prints `ack <eventId> <streamId> <position>` for every event of an
 * append once the append has resolved.
 */
import { randomUUID } from 'node:crypto';
import { type EventStoreChildOpener } from './event-store.crash-test';

interface AppendingStore {
  appendToStream(
    streamId: string,
    events: readonly unknown[],
    options?: { expectedRevision?: number | 'no_stream' },
  ): Promise<{ position: number; nextExpectedRevision: number }>;
}

async function main(): Promise<void> {
  const opener = JSON.parse(process.argv[2] ?? '') as EventStoreChildOpener;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const adapter = require(opener.module) as Record<string, (options: unknown) => AppendingStore>;
  const store = await adapter[opener.exportName](opener.options);
  const writers = 8;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      const streamId = `crash-${w}-${randomUUID()}`;
      let revision = -1;
      for (;;) {
        // Alternate single events and batches of three.
        const count = revision % 2 === 0 ? 3 : 1;
        const events = Array.from({ length: count }, () => {
          const id = randomUUID();
          return {
            id,
            type: 'CrashTestHappened',
            schemaVersion: 1,
            data: { writer: w, padding: 'p'.repeat(200) },
            metadata: { commandId: id, correlationId: id, timestamp: new Date().toISOString() },
          };
        });
        const result = await store.appendToStream(streamId, events, {
          expectedRevision: revision === -1 ? 'no_stream' : revision,
        });
        revision = result.nextExpectedRevision;
        // The result names the position of the append's last event only.
        const lines = events.map(
          (e, i) => `ack ${e.id} ${streamId} ${i === count - 1 ? result.position : '-'}\n`,
        );
        process.stdout.write(lines.join(''));
      }
    }),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
