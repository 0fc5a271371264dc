import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from '@jest/globals';
import { waitFor } from '@eddy/testing/wait-for';
import { eventSchemaVersions } from '@eddy/contracts';
import { openPostgresEventStore, type StoredEvent } from '@eddy/eventstore';
import { metricsRegistry } from '@eddy/observability';
import { DEFAULT_PROJECTIONS, LIVE_COPY, MongoViewStore } from '@eddy/projections';
import { aSourceReference, requireServer } from '@eddy/testing';
import { mongoTestDatabases } from '@eddy/testing/mongo-test-databases';
import { kafkaTestTopics } from '@eddy/testing/kafka-test-topics';
import { EventRelay } from '../relay/event.relay';
import { aWorkload, everyView, inOrderViews } from './event-log.fixtures.spec';
import { eventMessage } from './event-message';
import { EventTopicProjector, type EventTopicProjectorOptions } from './event-topic.projector';

const postgres = requireServer('postgres');
const mongo = requireServer('mongo');
const { brokers, kafka, admin, fresh: freshTopic } = kafkaTestTopics('eddy-projector');
const databases = mongoTestDatabases('eddy_event_topic');
const cleanup: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
});

async function viewStore(database: string): Promise<MongoViewStore> {
  const store = await MongoViewStore.connect(mongo.url, database);
  cleanup.push(() => store.close());
  return store;
}

function projector(
  topic: string,
  groupId: string,
  views: MongoViewStore,
  events?: EventTopicProjectorOptions['events'],
) {
  const p = new EventTopicProjector(
    { brokers, topic, groupId, holdBackoff: { initialDelayMs: 200, maxDelayMs: 1_000 }, events },
    views,
    DEFAULT_PROJECTIONS,
  );
  cleanup.push(() => p.stop());
  p.start();
  return p;
}

describe('the Kafka projector against Kafka, PostgreSQL and the MongoDB-compatible server', () => {
  it('shares the partitions between two instances and builds every view as the in-order projection does', async () => {
    const schema = `projector_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    const store = await openPostgresEventStore({ connectionString: postgres.url, schema });
    cleanup.push(() => store.close());
    await aWorkload(31, 300, store);
    const topic = await freshTopic(4);
    const relay = new EventRelay(store, {
      brokers,
      topic,
      postgres: { url: postgres.url, schema },
      maxBatchSize: 40,
    });
    cleanup.push(() => relay.stop());
    relay.start();

    const database = databases.fresh();
    const groupId = `eddy-projector-spec-${randomUUID()}`;
    const [viewsA, viewsB] = [await viewStore(database), await viewStore(database)];
    const a = projector(topic, groupId, viewsA);
    const b = projector(topic, groupId, viewsB);
    await Promise.all([a.joinedGroup(), b.joinedGroup()]);

    let head = await store.headPosition();
    // Read your writes: the views' checkpoint reaches the head once every partition has been applied.
    await viewsA.waitForPosition(head, 120_000);
    expect(await everyView(viewsA)).toEqual(await everyView(await inOrderViews(store)));
    expect(a.status().applied).toBeGreaterThan(0);
    expect(b.status().applied).toBeGreaterThan(0);
    expect(a.status().applied + b.status().applied).toBeGreaterThanOrEqual(head);

    // One instance leaves: the other takes its partitions over and goes on from the committed offsets.
    await a.stop();
    await aWorkload(32, 150, store);
    head = await store.headPosition();
    await viewsB.waitForPosition(head, 120_000);
    expect(await everyView(viewsB)).toEqual(await everyView(await inOrderViews(store)));
    for (const view of ['tasks', 'data-entries', 'process-definitions', 'process-instances'] as const) {
      expect(await viewsB.checkpoint(view)).toBe(head);
    }
  });

  it('passes over a message with a bad header, holds a partition at an event it cannot read, and lets the others go on', async () => {
    const topic = await freshTopic(3);
    const producer = kafka.producer();
    await producer.connect();
    cleanup.push(() => producer.disconnect());
    const created = (id: string, position: number, extra: Partial<StoredEvent> = {}): StoredEvent => ({
      id: `e-${id}`,
      streamId: `task-${id}`,
      revision: 0,
      position,
      type: 'TaskCreated',
      schemaVersion: 1,
      data: {
        id,
        name: `Task ${id}`,
        taskDefinitionKey: 'review',
        sourceReference: aSourceReference(),
        candidateUsers: [],
        candidateGroups: ['clerks'],
        correlations: [],
        payload: {},
      },
      metadata: { commandId: `c-${id}`, correlationId: `corr-${id}`, timestamp: '2026-01-01T00:00:00.000Z' },
      ...extra,
    });
    const badHeader = eventMessage(created('bad', 1));
    delete (badHeader.headers as Record<string, unknown>)['eddy-position'];
    await producer.send({
      topic,
      messages: [
        { ...badHeader, partition: 0 },
        { ...eventMessage(created('a', 2)), partition: 0 },
        { ...eventMessage(created('x', 3, { type: 'TaskTeleported' })), partition: 0 },
        { ...eventMessage(created('b', 4)), partition: 0 },
        { ...eventMessage(created('c', 5)), partition: 1 },
        { ...eventMessage(created('n', 6, { schemaVersion: 2 })), partition: 2 },
        { ...eventMessage(created('d', 7)), partition: 2 },
      ],
    });

    const database = databases.fresh();
    const groupId = `eddy-projector-spec-${randomUUID()}`;
    const views = await viewStore(database);
    const first = projector(topic, groupId, views);
    const tasks = async () =>
      [
        ...(
          await views.load({ view: 'tasks', copy: LIVE_COPY }, ['a', 'b', 'c', 'd', 'n', 'x', 'bad'])
        ).keys(),
      ].sort();
    await waitFor(
      async () => {
        expect(await tasks()).toEqual(['a', 'c']);
        expect(
          first
            .status()
            .held.map((h) => [h.partition, h.code])
            .sort(),
        ).toEqual([
          [0, 'EVENTTOPIC-003'],
          [2, 'EVENTTOPIC-004'],
        ]);
      },
      { timeout: 60_000, interval: 100 },
    );
    expect(first.status().held.find((h) => h.partition === 0)?.message).toContain('TaskTeleported');
    const metrics = await metricsRegistry.getSingleMetricAsString('eddy_event_topic_errors_total');
    for (const code of ['EVENTTOPIC-001', 'EVENTTOPIC-003', 'EVENTTOPIC-004'])
      expect(metrics).toContain(`code="${code}"`);
    // Nothing at or after a held event is committed: the group goes on from it (partition 2 was held
    // at its first message, so it has no committed offset at all).
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(Object.fromEntries(committed.partitions.map((p) => [p.partition, p.offset]))).toEqual({
      0: '2',
      1: '1',
      2: '-1',
    });

    // A projector that reads the newer events goes on where the first one held: nothing was lost.
    await first.stop();
    const upgraded = projector(topic, groupId, views, {
      schemaVersions: { ...eventSchemaVersions, TaskCreated: 2, TaskTeleported: 1 },
      upcasters: { TaskCreated: { 1: (data) => data } },
    });
    // (The tasks view has no use for a TaskTeleported: x stays out of it.)
    await waitFor(async () => expect(await tasks()).toEqual(['a', 'b', 'c', 'd', 'n']), {
      timeout: 60_000,
      interval: 100,
    });
    expect(upgraded.status().held).toEqual([]);
  });

  it('loses nothing when the group dropped it during a stall longer than its session, and is a member again', async () => {
    const schema = `projector_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    const store = await openPostgresEventStore({ connectionString: postgres.url, schema });
    cleanup.push(() => store.close());
    await aWorkload(33, 120, store);
    const topic = await freshTopic(2);
    const relay = new EventRelay(store, { brokers, topic, postgres: { url: postgres.url, schema } });
    cleanup.push(() => relay.stop());
    relay.start();

    // The first write of the views stalls until the group has given up on the member (no heartbeat
    // within its session): its commit then finds a group that no longer knows it.
    const groupId = `eddy-projector-spec-${randomUUID()}`;
    const views = await viewStore(databases.fresh());
    let stalled = false;
    const groupDroppedTheMember = () =>
      waitFor(
        async () => {
          const { groups } = await admin.describeGroups([groupId]);
          expect(groups[0].members).toEqual([]);
        },
        { timeout: 60_000, interval: 200 },
      );
    const stalling = new Proxy(views, {
      get: (target, name, receiver) => {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (typeof value !== 'function') return value;
        if (name !== 'commit') return value.bind(target);
        return async (...args: unknown[]) => {
          if (!stalled) {
            stalled = true;
            await groupDroppedTheMember();
          }
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const p = new EventTopicProjector(
      { brokers, topic, groupId, sessionTimeoutMs: 6_000 },
      stalling,
      DEFAULT_PROJECTIONS,
    );
    cleanup.push(() => p.stop());
    p.start();

    const head = await store.headPosition();
    await views.waitForPosition(head, 120_000);
    expect(stalled).toBe(true);
    expect(await everyView(views)).toEqual(await everyView(await inOrderViews(store)));
    // Back in the group (kafkajs rejoins after the failed heartbeat; EVENTTOPIC-011 where it would
    // stop the consumer instead).
    const { groups } = await admin.describeGroups([groupId]);
    expect(groups[0].members).toHaveLength(1);
  });

  it('reports brokers that cannot be reached at start-up with EVENTTOPIC-010 and keeps trying', async () => {
    const views = await viewStore(databases.fresh());
    const p = new EventTopicProjector(
      { brokers: ['127.0.0.1:1'], topic: 'eddy-unreachable', groupId: `g-${randomUUID()}` },
      views,
      DEFAULT_PROJECTIONS,
    );
    cleanup.push(() => p.stop());
    p.start();
    await waitFor(
      async () =>
        expect(await metricsRegistry.getSingleMetricAsString('eddy_event_topic_errors_total')).toContain(
          'code="EVENTTOPIC-010"',
        ),
      { timeout: 120_000, interval: 200 },
    );
  });
});
