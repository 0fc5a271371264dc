import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AuthModule } from '@eddy/auth';
import { EVENT_STORE, type EventStore } from '@eddy/eventstore';
import { EventStoreModule, type EventStoreSettings } from '@eddy/eventstore/event-store.module';
import { AdminModule } from '@eddy/admin';
import { CollectorModule } from '@eddy/collector';
import { CommandApiModule, JobsApiModule, MessagesApiModule } from '@eddy/messaging';
import {
  MongoViewStore,
  ProjectionRunner,
  projectionsReadinessCheck,
  ProjectionsModule,
  VIEW_STORE,
  type ViewStore,
} from '@eddy/projections';
import { TasklistModule, TasklistPageModule } from '@eddy/tasklist';
import { CoreModule } from '@eddy/taskpool';
import { join } from 'node:path';
import { readCollectorSettings } from './config/collector-settings';
import type { EddyConfig } from './config/eddy.config';
import { HealthController, READINESS_CHECKS, type ReadinessCheck } from './health/health.controller';

export function eventStoreSettings(config: EddyConfig): EventStoreSettings {
  switch (config.eventStore.kind) {
    case 'memory':
      return { kind: 'memory' };
    case 'sqlite':
      return { kind: 'sqlite', filename: join(config.dataDir, 'events.sqlite') };
    case 'postgres':
      return { kind: 'postgres', url: config.eventStore.postgresUrl! };
    case 'eventstoredb':
      return { kind: 'eventstoredb', url: config.eventStore.eventStoreDbUrl! };
  }
}

/** Options for tests and benchmarks: a store made by the caller instead of the configured one. */
export interface AppOverrides {
  eventStore?: EventStore;
}

/** The whole platform in one process (the single-node deployment). */
@Module({})
export class AppModule {
  static forRoot(config: EddyConfig, overrides: AppOverrides = {}): DynamicModule {
    const engine =
      config.engine !== 'none'
        ? [
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
              camunda8: { sdkConfig: config.camunda8Sdk, inMemory: config.eventStore.kind === 'memory' },
              ...readCollectorSettings(config.bpmnDir, config.applicationName),
            }),
          ]
        : [];
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.log.level,
            transport: config.log.pretty
              ? { target: 'pino-pretty', options: { singleLine: true, ignore: 'pid,hostname,req,res' } }
              : undefined,
            customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'debug'),
          },
        }),
        overrides.eventStore
          ? EventStoreModule.forStore(overrides.eventStore)
          : EventStoreModule.forRoot(eventStoreSettings(config)),
        AuthModule.forRoot(config.auth),
        CoreModule.forRoot({ maxRetries: config.commands.maxRetries }),
        CommandApiModule.forRoot({
          maxCommandsPerRequest: config.commands.maxPerRequest,
          maxPayloadDepth: config.commands.maxPayloadDepth,
        }),
        ProjectionsModule.forRoot(
          config.viewStore.kind === 'mongodb'
            ? { mongodb: { url: config.viewStore.mongodbUrl!, database: config.viewStore.mongodbDatabase } }
            : {},
        ),
        AdminModule,
        TasklistModule.forRoot(
          {
            readYourWritesTimeoutMs: config.tasklist.readYourWritesTimeoutMs,
            maxQueryDepth: config.tasklist.maxDepth,
            maxQueryCost: config.tasklist.maxCost,
            maxPageSize: config.tasklist.maxPageSize,
            maxSubscriptionsPerConnection: config.tasklist.maxSubscriptionsPerConnection,
            maxPayloadBytes: config.tasklist.maxPayloadBytes,
            maxPayloadDepth: config.commands.maxPayloadDepth,
            formsDir: config.bpmnDir,
            tasksWithoutCandidates: config.tasklist.tasksWithoutCandidates,
          },
          // The tasklist starts processes on the engine, when this node runs one.
          engine,
        ),
        // The page that `npm run build` writes beside the compiled application (dist/tasklist-web).
        TasklistPageModule.forRoot({ dir: join(__dirname, '..', 'tasklist-web'), oidc: config.oidc }),
        ...engine,
        ...(engine.length > 0
          ? [MessagesApiModule.forRoot(engine, { maxPayloadDepth: config.commands.maxPayloadDepth })]
          : []),
        ...(config.engine === 'embedded'
          ? [JobsApiModule.forRoot(engine, { maxPayloadDepth: config.commands.maxPayloadDepth })]
          : []),
      ],
      controllers: [HealthController],
      providers: [
        {
          provide: READINESS_CHECKS,
          inject: [EVENT_STORE, ProjectionRunner, VIEW_STORE],
          useFactory: (store: EventStore, runner: ProjectionRunner, views: ViewStore): ReadinessCheck[] => [
            {
              name: 'event-store',
              check: async () => ({ ready: true, detail: { headPosition: await store.headPosition() } }),
            },
            projectionsReadinessCheck(runner),
            ...(views instanceof MongoViewStore ? [views.readinessCheck()] : []),
          ],
        },
      ],
    };
  }
}
