import { randomUUID } from 'node:crypto';
import { Global, type INestApplication, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@eddy/testing/wait-for';
import { AuthModule } from '@eddy/auth';
import { openPostgresEventStore } from '@eddy/eventstore';
import { EventStoreModule } from '@eddy/eventstore/event-store.module';
import { metricsRegistry } from '@eddy/observability';
import { MongoViewStore, VIEW_STORE } from '@eddy/projections';
import { requireServer } from '@eddy/testing';
import { mongoTestDatabases } from '@eddy/testing/mongo-test-databases';
import { kafkaTestTopics } from '@eddy/testing/kafka-test-topics';
import { aWorkload, everyView, inOrderViews } from '../event-topic/event-log.fixtures.spec';
import { EventTopicProjector } from '../event-topic/event-topic.projector';
import { KafkaProjectorModule } from '../event-topic/kafka-projector.module';
import { EventRelay } from './event.relay';
import { RelayModule } from './relay.module';

const postgres = requireServer('postgres');
const mongo = requireServer('mongo');
const { brokers, fresh: freshTopic } = kafkaTestTopics('eddy-relay-modules');
const databases = mongoTestDatabases('eddy_relay_modules');
const auth = AuthModule.forRoot({
  mode: 'dev',
  jwt: { userClaim: 'sub', groupsClaim: 'groups' },
  adminGroups: ['admins'],
  commandGroups: [],
});

describe('RelayModule and KafkaProjectorModule composed as the relay and projector roles would be', () => {
  const apps: INestApplication[] = [];
  let views: MongoViewStore | undefined;
  afterAll(async () => {
    for (const app of apps.reverse()) await app.close();
    await views?.close();
  });

  it('relays the log, answers the admin status and the metrics, and the projector process reaches the head', async () => {
    const topic = await freshTopic(2);
    const schema = `relay_modules_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const store = await openPostgresEventStore({ connectionString: postgres.url, schema });
    await aWorkload(7, 120, store);
    const head = await store.headPosition();

    const relayRef = await Test.createTestingModule({
      imports: [
        EventStoreModule.forStore(store),
        auth,
        RelayModule.forRoot({ brokers, topic, postgres: { url: postgres.url, schema } }),
      ],
    }).compile();
    const relayApp = relayRef.createNestApplication({ logger: false });
    apps.push(relayApp);
    await relayApp.listen(0, '127.0.0.1');
    const base = await relayApp.getUrl();

    views = await MongoViewStore.connect(mongo.url, databases.fresh());
    @Global()
    @Module({ providers: [{ provide: VIEW_STORE, useValue: views }], exports: [VIEW_STORE] })
    class ViewStoreModule {}
    const projectorRef = await Test.createTestingModule({
      imports: [
        ViewStoreModule,
        KafkaProjectorModule.forRoot({ brokers, topic, groupId: `g-${randomUUID()}` }),
      ],
    }).compile();
    const projectorApp = projectorRef.createNestApplication({ logger: false });
    apps.push(projectorApp);
    await projectorApp.init();

    const status = async (headers: Record<string, string>) => fetch(`${base}/admin/relay`, { headers });
    await waitFor(
      async () => {
        const response = await status({ 'x-user': 'ops', 'x-groups': 'admins' });
        expect(response.status).toBe(200);
        expect(await response.json()).toMatchObject({
          role: 'active',
          topic,
          position: head,
          headPosition: head,
          lag: 0,
        });
      },
      { timeout: 60_000, interval: 100 },
    );
    expect((await status({})).status).toBe(401);
    expect((await status({ 'x-user': 'bob', 'x-groups': 'clerks' })).status).toBe(403);
    const metrics = await metricsRegistry.metrics();
    expect(metrics).toContain('eddy_relay_lag 0');
    expect(metrics).toContain(`eddy_relay_position ${head}`);
    expect(metrics).toContain('eddy_relay_active 1');

    expect(await relayApp.get(EventRelay).readinessCheck().check()).toMatchObject({ ready: true });
    await views.waitForPosition(head, 120_000);
    expect(await projectorApp.get(EventTopicProjector).readinessCheck().check()).toMatchObject({
      ready: true,
      detail: { held: [] },
    });
    expect(await everyView(views)).toEqual(await everyView(await inOrderViews(store)));
  });
});
