import { openPostgresEventStore, type PostgresEventStore } from '@eddy/eventstore';
import { MongoViewStore } from '@eddy/projections';
import { requireServer } from '@eddy/testing/servers';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { Client } from 'pg';
import { EddyProcess } from './eddy-process';

/** The headers of a platform admin in development mode. */
export const ADMIN_HEADERS = { 'x-user': 'root', 'x-groups': 'admins' };

/**
 * The distributed layout as separate processes on the real servers of the int-servers tier: two
 * `core,relay` processes on one PostgreSQL event store (a database of its own; the first holds the
 * relay's lease, the second stands by and takes commands too), a `projector` (event topic -> MongoDB
 * views) and an `api`. The event topic and the projectors' group are fresh, so are the databases.
 *
 * The spec reads the event store and the views through connections of its own
 * ({@link eventStore}, {@link views}). With `EDDY_TEST_LAYOUT_LOGS=<dir>` {@link stop} writes each
 * process's log lines to `<dir>/<process>.log`.
 */
export class DistributedLayout {
  readonly run = randomUUID().slice(0, 8);
  readonly topic = `eddy-test-layout-events-${this.run}`;
  private readonly database = `eddy_layout_${this.run}`;
  private readonly mongoDatabase = `eddy_layout_${this.run}`;
  private readonly dir = mkdtempSync(join(tmpdir(), 'eddy-layout-'));
  private readonly postgres = requireServer('postgres');
  private readonly kafka: Kafka;
  /** `core,relay`: the first starts with the relay's lease, the second stands by. */
  readonly cores: [EddyProcess, EddyProcess];
  readonly projector: EddyProcess;
  readonly api: EddyProcess;
  eventStore!: PostgresEventStore;
  views!: MongoViewStore;

  constructor(private readonly options: { partitions?: number; settings?: Record<string, string> } = {}) {
    this.kafka = new Kafka({
      clientId: 'eddy-layout-spec',
      brokers: requireServer('kafka').brokers,
      logLevel: logLevel.NOTHING,
    });
    this.cores = [
      new EddyProcess('core-relay-1', this.settings('core-relay-1', 'core,relay')),
      new EddyProcess('core-relay-2', this.settings('core-relay-2', 'core,relay')),
    ];
    this.projector = new EddyProcess('projector', this.settings('projector', 'projector'));
    this.api = new EddyProcess('api', this.settings('api', 'api'));
  }

  /** Every process of the layout. */
  get processes(): EddyProcess[] {
    return [...this.cores, this.projector, this.api];
  }

  /** The connection string of the layout's event store. */
  get postgresUrl(): string {
    const url = new URL(this.postgres.url);
    url.pathname = `/${this.database}`;
    return url.toString();
  }

  private settings(name: string, roles: string): Record<string, string> {
    mkdirSync(join(this.dir, 'bpmn'), { recursive: true });
    return {
      EDDY_ROLES: roles,
      EDDY_AUTH_MODE: 'dev',
      EDDY_EVENT_STORE: 'postgres',
      EDDY_POSTGRES_URL: this.postgresUrl,
      EDDY_VIEW_STORE: 'mongodb',
      EDDY_MONGODB_URL: requireServer('mongo').url,
      EDDY_MONGODB_DATABASE: this.mongoDatabase,
      EDDY_KAFKA_BROKERS: requireServer('kafka').brokers.join(','),
      EDDY_KAFKA_EVENTS_TOPIC: this.topic,
      EDDY_KAFKA_PROJECTOR_GROUP: `eddy-test-layout-projector-${this.run}`,
      EDDY_ENGINE: 'none',
      // Generous: a read-your-writes answer must not time out on a slow, shared machine.
      EDDY_READ_YOUR_WRITES_TIMEOUT_MS: '60000',
      EDDY_DATA_DIR: join(this.dir, `${name}-data`),
      EDDY_BPMN_DIR: join(this.dir, 'bpmn'),
      ...this.options.settings,
    };
  }

  /**
   * Creates the database and the event topic, starts the processes (the first core before the
   * others: it creates the event store's tables and takes the lease) and opens the spec's own
   * connections.
   */
  async start(): Promise<this> {
    const admin = new Client({ connectionString: this.postgres.url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${this.database}`);
    await admin.end();
    const kafkaAdmin = this.kafka.admin();
    await kafkaAdmin.connect();
    await kafkaAdmin.createTopics({
      topics: [{ topic: this.topic, numPartitions: this.options.partitions ?? 3 }],
      waitForLeaders: true,
    });
    await kafkaAdmin.disconnect();
    await this.cores[0].start();
    await Promise.all([this.cores[1].start(), this.projector.start(), this.api.start()]);
    this.eventStore = await openPostgresEventStore({ connectionString: this.postgresUrl });
    this.views = await MongoViewStore.connect(requireServer('mongo').url, this.mongoDatabase);
    return this;
  }

  /** The core process whose relay holds the lease, or undefined while none does. */
  async activeRelay(): Promise<EddyProcess | undefined> {
    for (const core of this.cores) {
      if (!core.running) continue;
      const answer = await fetch(`${core.url}/admin/relay`, { headers: ADMIN_HEADERS }).catch(() => null);
      if (answer?.ok && ((await answer.json()) as { role: string }).role === 'active') return core;
    }
    return undefined;
  }

  /** Stops every process, drops the databases and the topic, removes the data directories. */
  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop()));
    const logs = process.env.EDDY_TEST_LAYOUT_LOGS;
    if (logs) for (const p of this.processes) writeFileSync(join(logs, `${p.name}.log`), p.log.join('\n'));
    await this.eventStore?.close();
    await this.views?.close();
    const admin = new Client({ connectionString: this.postgres.url });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${this.database} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    const kafkaAdmin = this.kafka.admin();
    await kafkaAdmin.connect().catch(() => undefined);
    await kafkaAdmin.deleteTopics({ topics: [this.topic] }).catch(() => undefined);
    await kafkaAdmin.disconnect().catch(() => undefined);
    const mongo = new MongoClient(requireServer('mongo').url);
    await mongo
      .db(this.mongoDatabase)
      .dropDatabase()
      .catch(() => undefined);
    await mongo.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
