import { type DynamicModule, Global, Module, type ModuleMetadata } from '@nestjs/common';
import { AdminModule } from '@eddy/admin';
import { CollectorModule } from '@eddy/collector';
import { COMMAND_DISPATCHER } from '@eddy/contracts';
import { CommandApiModule, CommandTopicModule, JobsApiModule, MessagesApiModule } from '@eddy/messaging';
// By file: only processes of these roles load kafkajs and pg for them.
import { KafkaProjectorModule } from '@eddy/messaging/event-topic/kafka-projector.module';
import { RelayModule } from '@eddy/messaging/relay/relay.module';
import { EngineRequestsModule } from '@eddy/messaging/engine-requests/engine-requests.module';
import { KafkaRequestsModule } from '@eddy/messaging/request-reply/kafka-requests.module';
import { ProjectionsModule } from '@eddy/projections';
import { TasklistModule, TasklistPageModule } from '@eddy/tasklist';
import { CoreModule } from '@eddy/taskpool';
import { join } from 'node:path';
import { readCollectorSettings } from '../config/collector-settings';
import { ConfigurationError, type EddyConfig } from '../config/eddy.config';
import { CoreUnavailableDispatcher } from './core-unavailable.dispatcher';
import { ROLES, runsProjections, type ProcessRoles, type Role } from './roles';

type Imports = NonNullable<ModuleMetadata['imports']>;

/** What the modules of the roles are made from. */
export interface RoleContext {
  config: EddyConfig;
  roles: ReadonlySet<Role>;
  /**
   * The engine, the collector and the engine client (`CollectorModule`), when this process has the
   * `collector` role and an engine; empty otherwise. The api role starts processes and delivers
   * messages through it.
   */
  engine: Imports;
  /**
   * The requests of an api process to the roles it lacks, over Kafka (`KafkaRequestsModule`): the core's
   * `COMMAND_DISPATCHER` and the engine's `ENGINE_REQUESTS`; empty when it has them, or has no Kafka.
   */
  requests: Imports;
  /** Whether `requests` carries users' commands to a core in another process. */
  remoteCore: boolean;
  /** Whether `requests` carries process starts and messages to the engine in another process. */
  remoteEngine: boolean;
}

/** The modules of one role; `null`: this build has no module for the role. */
export type RoleModules = ((context: RoleContext) => Imports) | null;

/**
 * Which modules each role composes. A module of a role that is not built yet is added here in one
 * line; a role whose entry is `null` is refused when `EDDY_ROLES` names it, and left out of `all`.
 * The view store and the projections (`ProjectionsModule`) are shared by `projector` and `api` and
 * composed once by {@link composeRoles}.
 */
export const ROLE_MODULES: Record<Role, RoleModules> = {
  collector: ({ config, engine }) => [
    ...engine,
    // Process starts and messages of api processes elsewhere, when they can reach this one over Kafka.
    ...(engine.length > 0 && !config.roles.singleNode && config.kafka.brokers.length > 0
      ? [
          EngineRequestsModule.forRoot(engine, {
            brokers: config.kafka.brokers,
            topic: config.kafka.engineRequestsTopic,
            repliesTopic: config.kafka.repliesTopic,
            groupId: config.kafka.engineRequestsGroup,
            dataDir: config.dataDir,
          }),
        ]
      : []),
  ],
  core: ({ config }) => [
    CoreModule.forRoot({ maxRetries: config.commands.maxRetries }),
    CommandApiModule.forRoot({
      maxCommandsPerRequest: config.commands.maxPerRequest,
      maxPayloadDepth: config.commands.maxPayloadDepth,
      maxCommentLength: config.commands.maxCommentLength,
    }),
    // Commands from Kafka (EDDY_KAFKA_COMMANDS=on), beside the command API.
    ...(config.commandTopic
      ? [
          CommandTopicModule.forRoot({
            ...config.commandTopic,
            brokers: config.kafka.brokers,
            maxPayloadDepth: config.commands.maxPayloadDepth,
            maxCommentLength: config.commands.maxCommentLength,
          }),
        ]
      : []),
  ],
  relay: ({ config }) => [
    RelayModule.forRoot({
      brokers: config.kafka.brokers,
      topic: config.kafka.eventsTopic,
      postgres: { url: config.eventStore.postgresUrl! },
      checkpointReset: config.checkpointReset,
    }),
  ],
  // From the event topic in the distributed layout; otherwise the projections run in the shared
  // ProjectionsModule (see runsProjections).
  projector: ({ config }) =>
    projectsFromEventTopic(config)
      ? [
          KafkaProjectorModule.forRoot({
            brokers: config.kafka.brokers,
            topic: config.kafka.eventsTopic,
            groupId: config.kafka.projectorGroup,
          }),
        ]
      : [],
  api: ({ config, engine, roles, requests, remoteCore, remoteEngine }) => [
    ...requests,
    TasklistModule.forRoot(
      {
        readYourWritesTimeoutMs: config.tasklist.readYourWritesTimeoutMs,
        maxQueryDepth: config.tasklist.maxDepth,
        maxQueryCost: config.tasklist.maxCost,
        maxPageSize: config.tasklist.maxPageSize,
        maxSubscriptionsPerConnection: config.tasklist.maxSubscriptionsPerConnection,
        maxPayloadBytes: config.tasklist.maxPayloadBytes,
        maxPayloadDepth: config.commands.maxPayloadDepth,
        maxCommentLength: config.commands.maxCommentLength,
        formsDir: config.bpmnDir,
        tasksWithoutCandidates: config.tasklist.tasksWithoutCandidates,
        maxSavedFiltersPerUser: config.tasklist.maxSavedFiltersPerUser,
      },
      // The tasklist starts processes on the engine: in this process, or through the collector's.
      remoteEngine ? requests : engine,
    ),
    // The page that `npm run build` writes beside the compiled application (dist/tasklist-web).
    TasklistPageModule.forRoot({ dir: join(__dirname, '..', '..', 'tasklist-web'), oidc: config.oidc }),
    AdminModule,
    ...(engine.length > 0 || remoteEngine
      ? [
          MessagesApiModule.forRoot(remoteEngine ? requests : engine, {
            maxPayloadDepth: config.commands.maxPayloadDepth,
          }),
        ]
      : []),
    // Camunda 8's job worker endpoints, for the embedded engine in this process.
    ...(engine.length > 0 && config.engine === 'embedded'
      ? [JobsApiModule.forRoot(engine, { maxPayloadDepth: config.commands.maxPayloadDepth })]
      : []),
    ...(roles.has('core') || remoteCore ? [] : [CoreUnavailableModule.forRoles([...roles])]),
  ],
};

/** `COMMAND_DISPATCHER` of an api process without the core: it refuses every command with the reason. */
@Global()
@Module({})
class CoreUnavailableModule {
  static forRoles(roles: Role[]): DynamicModule {
    return {
      module: CoreUnavailableModule,
      providers: [{ provide: COMMAND_DISPATCHER, useValue: new CoreUnavailableDispatcher(roles) }],
      exports: [COMMAND_DISPATCHER],
    };
  }
}

/**
 * Whether the relay can run here: it publishes a PostgreSQL event store's log to Kafka (its lease
 * and checkpoint live in that database).
 */
function relayProblem(config: EddyConfig): string | null {
  if (config.kafka.brokers.length === 0) return 'the relay needs Kafka: set EDDY_KAFKA_BROKERS';
  if (config.eventStore.kind !== 'postgres')
    return `the relay needs EDDY_EVENT_STORE=postgres (its lease and checkpoint live there), not ${config.eventStore.kind}`;
  return null;
}

/** Whether this process runs the projections from the event store itself (the ProjectionRunner). */
export function projectsFromEventStore(config: EddyConfig): boolean {
  return runsProjections(config.roles) && config.projections === 'on' && !projectsFromEventTopic(config);
}

/**
 * Whether this process's projector reads the event topic (the distributed layout with Kafka and
 * MongoDB views) instead of the event store.
 */
export function projectsFromEventTopic(config: EddyConfig): boolean {
  return config.roles.roles.includes('projector') && viewsFollowEventTopic(config);
}

/**
 * Whether the views of this deployment are projected from the event topic: the distributed layout
 * with Kafka and MongoDB views, where the projector processes read the topic.
 */
export function viewsFollowEventTopic(config: EddyConfig): boolean {
  return !config.roles.singleNode && config.kafka.brokers.length > 0 && config.viewStore.kind === 'mongodb';
}

/**
 * The roles this process runs: the configured ones, without those this build has no module for in
 * `all`, and without the relay in `all` when there is no Kafka or no PostgreSQL event store.
 */
export function composedRoles(config: EddyConfig): Role[] {
  return config.roles.roles.filter(
    (role) =>
      ROLE_MODULES[role] !== null && !(role === 'relay' && config.roles.singleNode && relayProblem(config)),
  );
}

/** Why these roles cannot be composed in one process of this build, or null. */
export function compositionProblem(roles: ProcessRoles, config?: EddyConfig): string | null {
  const named = roles.roles;
  if (!roles.singleNode && named.includes('relay') && config) {
    const relay = relayProblem(config);
    if (relay) return `${named.join(',')}: ${relay}`;
  }
  const missing = roles.singleNode ? [] : named.filter((role) => ROLE_MODULES[role] === null);
  if (missing.length > 0) {
    return `names ${missing.join(', ')}, which this build has no module for (the roles it can run: ${ROLES.filter((r) => ROLE_MODULES[r] !== null).join(', ')})`;
  }
  if (named.includes('collector') && !named.includes('core')) {
    return `${named.join(',')}: the collector hands the engine's changes to the core in its own process; add core`;
  }
  return null;
}

function engineModules(config: EddyConfig, roles: ReadonlySet<Role>): Imports {
  if (!roles.has('collector') || config.engine === 'none') return [];
  return [
    CollectorModule.forRoot({
      applicationName: config.applicationName,
      dataDir: config.dataDir,
      bpmnDir: config.bpmnDir,
      // An event log that starts empty at every start keeps no checkpoint and no engine state
      // either: kept ones would run ahead of it (tasks the core never heard of).
      checkpoints: config.eventStore.kind === 'memory' ? 'memory' : 'sqlite',
      engine: { inMemory: config.eventStore.kind === 'memory' },
      engineClient: { checkpointReset: config.checkpointReset },
      maxPayloadDepth: config.commands.maxPayloadDepth,
      engineKind: config.engine,
      engineThread: config.engineThread,
      camunda8: { sdkConfig: config.camunda8Sdk, inMemory: config.eventStore.kind === 'memory' },
      ...readCollectorSettings(config.bpmnDir, config.applicationName),
    }),
  ];
}

/**
 * The modules of this process's roles (`EDDY_ROLES`). Throws {@link ConfigurationError} naming
 * `EDDY_ROLES` when they cannot run together in this build.
 */
export function composeRoles(config: EddyConfig): Imports {
  const problem = compositionProblem(config.roles, config);
  if (problem) throw new ConfigurationError([{ variable: 'EDDY_ROLES', message: problem }]);
  const roles = new Set(composedRoles(config));
  const engine = engineModules(config, roles);
  const kafka = roles.has('api') && config.kafka.brokers.length > 0;
  const remoteCore = kafka && !roles.has('core');
  const remoteEngine = kafka && !roles.has('collector') && config.engine !== 'none';
  const requests =
    remoteCore || remoteEngine
      ? [
          KafkaRequestsModule.forRoot({
            brokers: config.kafka.brokers,
            repliesTopic: config.kafka.repliesTopic,
            timeoutMs: config.kafka.requestTimeoutMs,
            commandTopic: remoteCore ? config.kafka.commandTopic : null,
            engineRequestsTopic: remoteEngine ? config.kafka.engineRequestsTopic : null,
          }),
        ]
      : [];
  const context: RoleContext = { config, roles, engine, requests, remoteCore, remoteEngine };
  const views =
    roles.has('api') || roles.has('projector')
      ? [
          ProjectionsModule.forRoot({
            ...(config.viewStore.kind === 'mongodb'
              ? { mongodb: { url: config.viewStore.mongodbUrl!, database: config.viewStore.mongodbDatabase } }
              : {}),
            // A process without the projector role, or with EDDY_PROJECTIONS=off, reads the views
            // and writes none; so does one whose projector reads the event topic (KafkaProjectorModule).
            projecting: projectsFromEventStore(config),
            search: config.search,
            // Beside a projector of the event topic, replay and verify rebuild from the event store here.
            rebuildsFollowedViews: !projectsFromEventStore(config) && viewsFollowEventTopic(config),
          }),
        ]
      : [];
  const modulesOf = (role: Role) => (roles.has(role) ? (ROLE_MODULES[role]?.(context) ?? []) : []);
  // The order of the single node as it always was: the engine's parts start last and stop first.
  return [
    ...modulesOf('core'),
    ...views,
    ...modulesOf('projector'),
    ...modulesOf('api'),
    ...modulesOf('relay'),
    ...modulesOf('collector'),
  ];
}
