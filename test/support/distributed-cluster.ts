import { resolve } from 'node:path';
import { DistributedServers } from './distributed-servers';
import { EddyProcess } from './eddy-process';

/** The four processes of the distributed layout, by their part in it. */
export type ClusterMember = 'core' | 'projector' | 'api1' | 'api2';

export interface DistributedClusterOptions {
  /** Folder of the models the embedded engine deploys; default the repository's `bpmn/`. */
  bpmnDir?: string;
  /** Settings on top of the cluster's own, for every process or for one. */
  env?: Record<string, string>;
  envOf?: Partial<Record<ClusterMember, Record<string, string>>>;
  /** Partitions of each topic the cluster creates (default 3). */
  partitions?: number;
}

/**
 * The distributed layout as separate processes (`src/main.ts`, as an operator starts them) on the real
 * PostgreSQL, Kafka and MongoDB-compatible servers of the real-server tier:
 *
 * - `core`: `collector,core,relay`, the embedded engine, the command topic on (`EDDY_KAFKA_COMMANDS`);
 * - `projector`: the views from the event topic into MongoDB;
 * - `api1`, `api2`: two `api` replicas, which hand commands, process starts and messages to `core` over
 *   Kafka.
 *
 * Each cluster has a database, a MongoDB database, topics and consumer groups of its own
 * ({@link DistributedServers}), all removed by {@link stop}. {@link kill} (`kill -9`) and {@link restart} act on one member.
 */
export class DistributedCluster {
  private readonly servers = new DistributedServers('eddy_cluster');
  readonly run = this.servers.run;
  readonly brokers = this.servers.brokers;
  /** The Kafka settings every member shares: this cluster's topics and groups. */
  readonly kafkaSettings: Record<string, string>;
  readonly database = this.servers.database;
  readonly mongoDatabase = this.servers.mongoDatabase;
  readonly members: Record<ClusterMember, EddyProcess>;
  /** Processes started beside the four members with {@link startExtra}. */
  readonly extras: EddyProcess[] = [];
  private readonly member: (name: string, roles: string, own?: Record<string, string>) => EddyProcess;

  private constructor(private readonly options: DistributedClusterOptions) {
    const topic = (name: string) => `eddy-cluster-${this.run}.${name}`;
    this.kafkaSettings = {
      EDDY_KAFKA_BROKERS: this.brokers.join(','),
      EDDY_KAFKA_EVENTS_TOPIC: topic('events'),
      EDDY_KAFKA_COMMAND_TOPIC: topic('commands'),
      EDDY_KAFKA_COMMAND_RESULTS_TOPIC: topic('command-results'),
      EDDY_KAFKA_COMMAND_DLQ_TOPIC: topic('commands.dlq'),
      EDDY_KAFKA_REPLIES_TOPIC: topic('replies'),
      EDDY_KAFKA_ENGINE_REQUESTS_TOPIC: topic('engine-requests'),
      EDDY_KAFKA_COMMAND_GROUP: `eddy-cluster-${this.run}-core`,
      EDDY_KAFKA_PROJECTOR_GROUP: `eddy-cluster-${this.run}-projector`,
      EDDY_KAFKA_ENGINE_REQUESTS_GROUP: `eddy-cluster-${this.run}-collector`,
    };
    const shared = {
      ...this.servers.storeSettings(),
      EDDY_BPMN_DIR: options.bpmnDir ?? resolve(__dirname, '..', '..', 'bpmn'),
      // Generous: the machine may be shared and slow.
      EDDY_KAFKA_REQUEST_TIMEOUT_MS: '60000',
      ...this.kafkaSettings,
      ...options.env,
    };
    const member = (name: string, roles: string, own: Record<string, string> = {}) =>
      new EddyProcess(name, {
        ...shared,
        EDDY_ROLES: roles,
        EDDY_DATA_DIR: this.servers.dataDir(name),
        ...own,
        ...options.envOf?.[name as ClusterMember],
      });
    this.member = member;
    this.members = {
      core: member('core', 'collector,core,relay', { EDDY_KAFKA_COMMANDS: 'on' }),
      projector: member('projector', 'projector'),
      api1: member('api1', 'api'),
      api2: member('api2', 'api'),
    };
  }

  /** Creates the database and the topics, then starts the core (it creates the event store's tables) and the rest. */
  static async start(options: DistributedClusterOptions = {}): Promise<DistributedCluster> {
    const cluster = new DistributedCluster(options);
    await cluster.servers.create(cluster.topics(), options.partitions ?? 3);
    await cluster.members.core.start();
    await Promise.all([
      cluster.members.projector.start(),
      cluster.members.api1.start(),
      cluster.members.api2.start(),
    ]);
    return cluster;
  }

  /**
   * Starts one more process on the cluster's stores and topics (`env` on top), stopped with the cluster:
   * a third api with other settings, a standby relay, a second projector.
   */
  async startExtra(name: string, roles: string, env: Record<string, string> = {}): Promise<EddyProcess> {
    const process = this.member(name, roles, env);
    this.extras.push(process);
    return process.start();
  }

  /** The topics of this cluster. */
  topics(): string[] {
    return Object.entries(this.kafkaSettings)
      .filter(([name]) => name.endsWith('_TOPIC'))
      .map(([, topic]) => topic);
  }

  url(member: ClusterMember): string {
    return this.members[member].url;
  }

  /** `kill -9` of one member; {@link restart} starts it again with the same settings. */
  kill(member: ClusterMember): Promise<void> {
    return this.members[member].kill();
  }

  /** Stops (SIGTERM, when it runs) and starts one member again, resolving once it is ready. */
  async restart(member: ClusterMember): Promise<EddyProcess> {
    return this.members[member].restart();
  }

  /** Stops every member and removes the database, the MongoDB database, the topics and the folder. */
  async stop(): Promise<void> {
    await Promise.all([...this.extras, ...Object.values(this.members)].map((p) => p.stop()));
    await this.servers.remove(
      this.topics(),
      Object.entries(this.kafkaSettings)
        .filter(([name]) => name.endsWith('_GROUP'))
        .map(([, group]) => group),
    );
  }
}
