import { requireServer } from '@eddy/testing/servers';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { Client } from 'pg';

/**
 * What one run of a distributed harness (`distributed-cluster.ts`, `distributed-layout.ts`) owns on the
 * real PostgreSQL, Kafka and MongoDB-compatible servers of the int-servers tier: a database and a MongoDB
 * database named `<prefix>_<run>`, the Kafka topics and consumer groups the harness names, and a folder of
 * data directories. {@link create} makes the database and the topics, {@link remove} removes all of them.
 */
export class DistributedServers {
  readonly run = randomUUID().slice(0, 8);
  readonly brokers = requireServer('kafka').brokers;
  readonly database: string;
  readonly mongoDatabase: string;
  /** The run's folder: the processes' data directories and whatever else the harness keeps on disk. */
  readonly dir: string;
  private readonly kafka: Kafka;

  constructor(prefix: string) {
    this.database = `${prefix}_${this.run}`;
    this.mongoDatabase = this.database;
    this.dir = mkdtempSync(join(tmpdir(), `${prefix.replaceAll('_', '-')}-`));
    this.kafka = new Kafka({ clientId: prefix, brokers: this.brokers, logLevel: logLevel.NOTHING });
  }

  /** The connection string of the run's event store database. */
  get postgresUrl(): string {
    const url = new URL(requireServer('postgres').url);
    url.pathname = `/${this.database}`;
    return url.toString();
  }

  /**
   * The settings every process of the run shares: the development identity mode, the run's PostgreSQL
   * event store and MongoDB views, and timeouts generous enough for a slow, shared machine.
   */
  storeSettings(): Record<string, string> {
    return {
      EDDY_AUTH_MODE: 'dev',
      EDDY_EVENT_STORE: 'postgres',
      EDDY_POSTGRES_URL: this.postgresUrl,
      EDDY_VIEW_STORE: 'mongodb',
      EDDY_MONGODB_URL: requireServer('mongo').url,
      EDDY_MONGODB_DATABASE: this.mongoDatabase,
      EDDY_READ_YOUR_WRITES_TIMEOUT_MS: '60000',
    };
  }

  /** The data directory of one process of the run (`EDDY_DATA_DIR`). */
  dataDir(process: string): string {
    return join(this.dir, process);
  }

  /** Creates the database, and the topics with `partitions` each (none when `topics` is empty). */
  async create(topics: string[], partitions: number): Promise<void> {
    const admin = new Client({ connectionString: requireServer('postgres').url });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${this.database}`);
    } finally {
      await admin.end();
    }
    if (topics.length === 0) return;
    const kafkaAdmin = this.kafka.admin();
    await kafkaAdmin.connect();
    try {
      await kafkaAdmin.createTopics({
        topics: topics.map((topic) => ({ topic, numPartitions: partitions })),
        waitForLeaders: true,
      });
    } finally {
      await kafkaAdmin.disconnect();
    }
  }

  /**
   * Drops the database and the MongoDB database, deletes the topics and the consumer groups, removes the
   * folder; call it once the processes have stopped. What is already gone is passed over.
   */
  async remove(topics: string[], groups: string[]): Promise<void> {
    const admin = new Client({ connectionString: requireServer('postgres').url });
    await admin.connect().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${this.database} WITH (FORCE)`).catch(() => undefined);
    await admin.end().catch(() => undefined);
    const mongo = new MongoClient(requireServer('mongo').url);
    await mongo
      .db(this.mongoDatabase)
      .dropDatabase()
      .catch(() => undefined);
    await mongo.close();
    if (topics.length > 0 || groups.length > 0) {
      const kafkaAdmin = this.kafka.admin();
      await kafkaAdmin
        .connect()
        .then(() => (topics.length > 0 ? kafkaAdmin.deleteTopics({ topics }) : undefined))
        .then(() => (groups.length > 0 ? kafkaAdmin.deleteGroups(groups) : undefined))
        .catch(() => undefined);
      await kafkaAdmin.disconnect();
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
