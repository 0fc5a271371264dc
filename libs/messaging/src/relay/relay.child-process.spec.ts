/**
 * Child process of the relay's takeover spec (not a spec itself: no tier in its name): runs one
 * relay on the PostgreSQL event store until it is killed, and prints `role <role> <position>` on
 * stdout whenever its role or position changes.
 */
import { openPostgresEventStore } from '@eddy/eventstore';
import { EventRelay } from './event.relay';

interface ChildOptions {
  url: string;
  schema: string;
  brokers: string[];
  topic: string;
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '') as ChildOptions;
  const store = await openPostgresEventStore({ connectionString: options.url, schema: options.schema });
  const relay = new EventRelay(store, {
    brokers: options.brokers,
    topic: options.topic,
    postgres: { url: options.url, schema: options.schema },
    standbyPollMs: 250,
  });
  relay.start();
  let last = '';
  setInterval(() => {
    void relay.status().then((status) => {
      const line = `role ${status.role} ${status.position}`;
      if (line !== last) process.stdout.write(`${line}\n`);
      last = line;
    });
  }, 50);
}

void main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
