import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from 'pg';
import { afterEach, describe, expect, it } from '@jest/globals';
import { waitFor } from '@eddy/testing/wait-for';
import { openPostgresEventStore, type PostgresEventStore } from '@eddy/eventstore';
import { metricsRegistry } from '@eddy/observability';
import { anEvent, requireServer } from '@eddy/testing';
import { kafkaTestTopics } from '@eddy/testing/kafka-test-topics';
import { decodeEventMessage } from '../event-topic/event-message';
import { EventRelay } from './event.relay';

const postgres = requireServer('postgres');
const { brokers, kafka, fresh: freshTopic } = kafkaTestTopics('eddy-relay');
const cleanup: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
});

async function freshStore(): Promise<{ store: PostgresEventStore; schema: string }> {
  const schema = `relay_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const store = await openPostgresEventStore({ connectionString: postgres.url, schema });
  cleanup.push(() => store.close());
  return { store, schema };
}

/** Appends `count` events over a few streams; returns how many there are now. */
async function append(store: PostgresEventStore, count: number, streams = 7): Promise<number> {
  for (let i = 0; i < count; i++)
    await store.appendToStream(`stream-${i % streams}`, [anEvent('Happened', { i })]);
  return store.headPosition();
}

/** Everything on the topic: the events as decoded, with their partition, and the watermarks. */
/**
 * Reads the topic until `until` holds for the events and watermarks read so far (a partition's last
 * watermark may come after the last event of the log).
 */
async function readTopic(
  topic: string,
  until: (events: number, watermarks: readonly { partition: number; position: number }[]) => boolean,
) {
  const consumer = kafka.consumer({ groupId: `eddy-relay-spec-reader-${randomUUID()}` });
  await consumer.connect();
  cleanup.push(() => consumer.disconnect());
  const events: {
    partition: number;
    position: number;
    streamId: string;
    revision: number;
    headers: Record<string, string>;
  }[] = [];
  const watermarks: { partition: number; position: number }[] = [];
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const decoded = decodeEventMessage(message);
      if (decoded.kind === 'event') {
        events.push({
          partition,
          position: decoded.event.position,
          streamId: decoded.event.streamId,
          revision: decoded.event.revision,
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        });
      } else if (decoded.kind === 'watermark') watermarks.push({ partition, position: decoded.position });
      else throw new Error(`unexpected message: ${decoded.message}`);
    },
  });
  await waitFor(() => expect(until(events.length, watermarks)).toBe(true), {
    timeout: 60_000,
    interval: 100,
  });
  await consumer.stop();
  return { events, watermarks };
}

async function storedCheckpoint(schema: string): Promise<number | undefined> {
  const client = new Client({ connectionString: postgres.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ position: string }>(
      `SELECT position FROM "${schema}".eddy_relay_checkpoints WHERE name = 'relay'`,
    );
    return rows[0] ? Number(rows[0].position) : undefined;
  } finally {
    await client.end();
  }
}

function relayOf(
  store: PostgresEventStore,
  schema: string,
  topic: string,
  overrides: Partial<ConstructorParameters<typeof EventRelay>[1]> = {},
) {
  const relay = new EventRelay(store, {
    brokers,
    topic,
    postgres: { url: postgres.url, schema },
    standbyPollMs: 250,
    backoff: { initialDelayMs: 100, maxDelayMs: 1_000 },
    ...overrides,
  });
  cleanup.push(() => relay.stop());
  return relay;
}

describe('the relay against PostgreSQL and Kafka', () => {
  it('publishes the log keyed by stream with its headers, and a watermark per partition after each batch', async () => {
    const topic = await freshTopic(3);
    const { store, schema } = await freshStore();
    const head = await append(store, 120);
    const relay = relayOf(store, schema, topic, { maxBatchSize: 50 });
    relay.start();
    await waitFor(async () => expect((await relay.status()).position).toBe(head), {
      timeout: 60_000,
      interval: 100,
    });
    expect(await storedCheckpoint(schema)).toBe(head);
    expect(await relay.status()).toMatchObject({ role: 'active', lag: 0, headPosition: head });

    const { events, watermarks } = await readTopic(
      topic,
      (n, marks) =>
        n >= head && [0, 1, 2].every((p) => marks.some((w) => w.partition === p && w.position === head)),
    );
    expect(events.map((e) => e.position).sort((a, b) => a - b)).toEqual(
      Array.from({ length: head }, (_, i) => i + 1),
    );
    // One stream, one partition, in revision order.
    const byStream = new Map<string, typeof events>();
    for (const e of events) byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e]);
    for (const [, streamEvents] of byStream) {
      expect(new Set(streamEvents.map((e) => e.partition)).size).toBe(1);
      expect(streamEvents.map((e) => e.revision)).toEqual(streamEvents.map((_, i) => i));
    }
    expect(new Set(events.map((e) => e.partition)).size).toBeGreaterThan(1);
    expect(events[0].headers).toMatchObject({ 'eddy-event-type': 'Happened', 'eddy-schema-version': '1' });
    expect(Object.keys(events[0].headers)).toEqual(
      expect.arrayContaining(['eddy-stream-revision', 'eddy-position', 'eddy-correlation-id']),
    );
    // Every partition heard that the whole log was published.
    for (const partition of [0, 1, 2]) {
      expect(Math.max(...watermarks.filter((w) => w.partition === partition).map((w) => w.position))).toBe(
        head,
      );
    }

    const metrics = await metricsRegistry.metrics();
    expect(metrics).toMatch(/eddy_relay_events_total \d+/);
  });

  it('goes on after its checkpoint when restarted: events published before are not sent again', async () => {
    const topic = await freshTopic(2);
    const { store, schema } = await freshStore();
    const first = await append(store, 30);
    const relay = relayOf(store, schema, topic);
    relay.start();
    await waitFor(async () => expect((await relay.status()).position).toBe(first), {
      timeout: 60_000,
      interval: 100,
    });
    await relay.stop();

    const head = await append(store, 20);
    const next = relayOf(store, schema, topic);
    next.start();
    await waitFor(async () => expect((await next.status()).position).toBe(head), {
      timeout: 60_000,
      interval: 100,
    });
    const { events } = await readTopic(topic, (n) => n >= head);
    expect(events.map((e) => e.position).sort((a, b) => a - b)).toEqual(
      Array.from({ length: head }, (_, i) => i + 1),
    );
  });

  it('reports brokers that cannot be reached with RELAY-003 and keeps trying', async () => {
    const { store, schema } = await freshStore();
    await append(store, 1);
    const relay = relayOf(store, schema, 'eddy-unreachable', { brokers: ['127.0.0.1:1'] });
    relay.start();
    await waitFor(async () => expect((await relay.status()).lastError?.code).toBe('RELAY-003'), {
      timeout: 120_000,
      interval: 200,
    });
    expect((await relay.status()).lastError?.message).toContain('127.0.0.1:1');
    expect(await metricsRegistry.getSingleMetricAsString('eddy_relay_errors_total')).toContain(
      'code="RELAY-003"',
    );
  });

  it('keeps one relay active across two processes; a standby takes over when the active one is killed -9', async () => {
    const topic = await freshTopic(3);
    const { store, schema } = await freshStore();
    await append(store, 40);
    const a = relayProcess({ url: postgres.url, schema, brokers, topic });
    await a.waitFor((line) => line.startsWith('role active'));
    const b = relayProcess({ url: postgres.url, schema, brokers, topic });
    await b.waitFor((line) => line.startsWith('role standby'));

    // Events keep coming while the active relay dies.
    const writing = (async () => {
      for (let i = 0; i < 60; i++) await append(store, 1);
    })();
    await a.waitFor((line) => /^role active [1-9]/.test(line) && Number(line.split(' ')[2]) > 45);
    a.child.kill('SIGKILL');
    await b.waitFor((line) => line.startsWith('role active'), 30_000);
    expect(b.lines.some((l) => l.startsWith('role standby'))).toBe(true);
    await writing;
    const head = await store.headPosition();
    await b.waitFor((line) => line === `role active ${head}`, 60_000);

    // At least once: every position is on the topic (a batch in flight at the kill may come twice).
    const { events } = await readTopic(topic, (n) => n >= head);
    expect(new Set(events.map((e) => e.position))).toEqual(
      new Set(Array.from({ length: head }, (_, i) => i + 1)),
    );
    expect(await storedCheckpoint(schema)).toBe(head);
  });
});

/** A relay in a child process of its own, and the status lines it printed. */
function relayProcess(options: { url: string; schema: string; brokers: string[]; topic: string }) {
  // Node itself with tsx's loader, not the tsx CLI: a SIGKILL must reach the relay's own process.
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(__dirname, 'relay.child-process.spec.ts'), JSON.stringify(options)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  cleanup.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const lines: string[] = [];
  let stderr = '';
  const waiting = new Set<() => void>();
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const wake of waiting) wake();
  });
  return {
    child,
    lines,
    /** Resolves once a line satisfies `test` (lines printed before count too). */
    waitFor(test: (line: string) => boolean, timeoutMs = 60_000): Promise<void> {
      return new Promise((done, fail) => {
        const check = () => {
          if (!lines.some(test)) return;
          waiting.delete(check);
          clearTimeout(timer);
          done();
        };
        const timer = setTimeout(() => {
          waiting.delete(check);
          fail(
            new Error(
              `no such line from the relay process within ${timeoutMs} ms; lines: ${lines.join(' | ')}; stderr: ${stderr}`,
            ),
          );
        }, timeoutMs);
        waiting.add(check);
        check();
      });
    },
  };
}
