import { resolve } from 'node:path';
import { DistributedServers } from './distributed-servers';
import { EddyProcess } from './eddy-process';

/** The processes of a cluster by their part in it: the four of the distributed layout, or the single node. */
export type ClusterMember = 'core' | 'projector' | 'api1' | 'api2' | 'node';

/**
 * What a cluster runs: the distributed layout (four processes over Kafka), or the single node (`node`:
 * every role in one process, `EDDY_ROLES=all`) on the same PostgreSQL and MongoDB without Kafka, which
 * projects from the event store itself. The second is the baseline the distributed layout is measured
 * against.
 */
export type ClusterLayout = 'distributed' | 'single-node';

export interface DistributedClusterOptions {
  /** Folder of the models the embedded engine deploys; default the repository's `bpmn/`. */
  bpmnDir?: string;
  /** Settings on top of the cluster's own, for every process or for one. */
  env?: Record<string, string>;
  envOf?: Partial<Record<ClusterMember, Record<string, string>>>;
  /** Partitions of each topic the cluster creates (default 3). */
  partitions?: number;
  /** Default `distributed`. */
  layout?: ClusterLayout;
  /** The start of the names of the run's databases, topics and groups (default `eddy_cluster`). */
  prefix?: string;
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
 * With `layout: 'single-node'` the cluster is the one process `node` on a database and a MongoDB database of
 * its own, and no topics.
 */
export class DistributedCluster {
  private readonly servers: DistributedServers;
  readonly run: string;
  readonly brokers: string[];
  /** The Kafka settings every member shares: this cluster's topics and groups (none for the single node). */
  readonly kafkaSettings: Record<string, string>;
  readonly database: string;
  readonly mongoDatabase: string;
  readonly layout: ClusterLayout;
  /** The processes of the layout: `core`, `projector`, `api1` and `api2`, or `node` alone. */
  readonly members: Partial<Record<ClusterMember, EddyProcess>>;
  /** Processes started beside the four members with {@link startExtra}. */
  readonly extras: EddyProcess[] = [];
  private readonly member: (name: string, roles: string, own?: Record<string, string>) => EddyProcess;

  private constructor(private readonly options: DistributedClusterOptions) {
    const prefix = options.prefix ?? 'eddy_cluster';
    this.servers = new DistributedServers(prefix);
    this.run = this.servers.run;
    this.brokers = this.servers.brokers;
    this.database = this.servers.database;
    this.mongoDatabase = this.servers.mongoDatabase;
    this.layout = options.layout ?? 'distributed';
    const name = `${prefix.replaceAll('_', '-')}-${this.run}`;
    const topic = (topicName: string) => `${name}.${topicName}`;
    // The single node has no Kafka: its projections read the event store, its relay is left out.
    this.kafkaSettings =
      this.layout === 'single-node'
        ? {}
        : {
            EDDY_KAFKA_BROKERS: this.brokers.join(','),
            EDDY_KAFKA_EVENTS_TOPIC: topic('events'),
            EDDY_KAFKA_COMMAND_TOPIC: topic('commands'),
            EDDY_KAFKA_COMMAND_RESULTS_TOPIC: topic('command-results'),
            EDDY_KAFKA_COMMAND_DLQ_TOPIC: topic('commands.dlq'),
            EDDY_KAFKA_REPLIES_TOPIC: topic('replies'),
            EDDY_KAFKA_ENGINE_REQUESTS_TOPIC: topic('engine-requests'),
            EDDY_KAFKA_COMMAND_GROUP: `${name}-core`,
            EDDY_KAFKA_PROJECTOR_GROUP: `${name}-projector`,
            EDDY_KAFKA_ENGINE_REQUESTS_GROUP: `${name}-collector`,
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
    this.members =
      this.layout === 'single-node'
        ? { node: member('node', 'all') }
        : {
            core: member('core', 'collector,core,relay', { EDDY_KAFKA_COMMANDS: 'on' }),
            projector: member('projector', 'projector'),
            api1: member('api1', 'api'),
            api2: member('api2', 'api'),
          };
  }

  /**
   * Creates the database and the topics, then starts the core (it creates the event store's tables) and
   * the rest; or the single node.
   */
  static async start(options: DistributedClusterOptions = {}): Promise<DistributedCluster> {
    const cluster = new DistributedCluster(options);
    await cluster.servers.create(cluster.topics(), options.partitions ?? 3);
    if (cluster.layout === 'single-node') {
      await cluster.process('node').start();
      return cluster;
    }
    await cluster.process('core').start();
    await Promise.all([
      cluster.process('projector').start(),
      cluster.process('api1').start(),
      cluster.process('api2').start(),
    ]);
    return cluster;
  }

  /** The process of `member`; throws when this cluster's layout has none. */
  process(member: ClusterMember): EddyProcess {
    const found = this.members[member];
    if (!found) throw new Error(`the ${this.layout} cluster has no member ${member}`);
    return found;
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
    return this.process(member).url;
  }

  /** `kill -9` of one member; {@link restart} starts it again with the same settings. */
  kill(member: ClusterMember): Promise<void> {
    return this.process(member).kill();
  }

  /** Stops (SIGTERM, when it runs) and starts one member again, resolving once it is ready. */
  async restart(member: ClusterMember): Promise<EddyProcess> {
    return this.process(member).restart();
  }

  /** Stops every member and removes the database, the MongoDB database, the topics and the folder. */
  async stop(): Promise<void> {
    await Promise.all([...this.extras, ...Object.values(this.members)].map((p) => p?.stop()));
    await this.servers.remove(
      this.topics(),
      Object.entries(this.kafkaSettings)
        .filter(([name]) => name.endsWith('_GROUP'))
        .map(([, group]) => group),
    );
  }
}
