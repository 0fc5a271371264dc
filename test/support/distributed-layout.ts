import { openPostgresEventStore, type PostgresEventStore } from '@eddy/eventstore';
import { MongoViewStore } from '@eddy/projections';
import { requireServer } from '@eddy/testing/servers';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DistributedServers } from './distributed-servers';
import { EddyProcess } from './eddy-process';

/** The headers of a platform admin in development mode. */
export const ADMIN_HEADERS = { 'x-user': 'root', 'x-groups': 'admins' };

/**
 * The distributed layout as separate processes on the real servers of the int-servers tier: two
 * `core,relay` processes on one PostgreSQL event store (a database of its own; the first holds the
 * relay's lease, the second stands by and takes commands too), a `projector` (event topic -> MongoDB
 * views) and an `api`. The event topic and the projectors' group are fresh, so are the databases
 * ({@link DistributedServers}).
 *
 * The spec reads the event store and the views through connections of its own
 * ({@link eventStore}, {@link views}). With `EDDY_TEST_LAYOUT_LOGS=<dir>` {@link stop} writes each
 * process's log lines to `<dir>/<process>.log`.
 */
export class DistributedLayout {
  private readonly servers = new DistributedServers('eddy_layout');
  readonly run = this.servers.run;
  readonly topic = `eddy-test-layout-events-${this.run}`;
  private readonly projectorGroup = `eddy-test-layout-projector-${this.run}`;
  /** `core,relay`: the first starts with the relay's lease, the second stands by. */
  readonly cores: [EddyProcess, EddyProcess];
  readonly projector: EddyProcess;
  readonly api: EddyProcess;
  eventStore!: PostgresEventStore;
  views!: MongoViewStore;

  constructor(private readonly options: { partitions?: number; settings?: Record<string, string> } = {}) {
    mkdirSync(join(this.servers.dir, 'bpmn'));
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
    return this.servers.postgresUrl;
  }

  private settings(name: string, roles: string): Record<string, string> {
    return {
      ...this.servers.storeSettings(),
      EDDY_ROLES: roles,
      EDDY_KAFKA_BROKERS: this.servers.brokers.join(','),
      EDDY_KAFKA_EVENTS_TOPIC: this.topic,
      EDDY_KAFKA_PROJECTOR_GROUP: this.projectorGroup,
      EDDY_ENGINE: 'none',
      EDDY_DATA_DIR: this.servers.dataDir(name),
      EDDY_BPMN_DIR: join(this.servers.dir, 'bpmn'),
      ...this.options.settings,
    };
  }

  /**
   * Creates the database and the event topic, starts the processes (the first core before the
   * others: it creates the event store's tables and takes the lease) and opens the spec's own
   * connections.
   */
  async start(): Promise<this> {
    await this.servers.create([this.topic], this.options.partitions ?? 3);
    await this.cores[0].start();
    await Promise.all([this.cores[1].start(), this.projector.start(), this.api.start()]);
    this.eventStore = await openPostgresEventStore({ connectionString: this.postgresUrl });
    this.views = await MongoViewStore.connect(requireServer('mongo').url, this.servers.mongoDatabase);
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

  /** Stops every process, drops the databases, the topic and the projectors' group, removes the data directories. */
  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop()));
    const logs = process.env.EDDY_TEST_LAYOUT_LOGS;
    if (logs) for (const p of this.processes) writeFileSync(join(logs, `${p.name}.log`), p.log.join('\n'));
    await this.eventStore?.close();
    await this.views?.close();
    await this.servers.remove([this.topic], [this.projectorGroup]);
  }
}
