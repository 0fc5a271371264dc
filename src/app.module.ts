import { type DynamicModule, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { logContext, stopTracing } from '@eddy/observability';
import { AuthModule } from '@eddy/auth';
import { EVENT_STORE, type EventStore } from '@eddy/eventstore';
import { EventStoreModule, type EventStoreSettings } from '@eddy/eventstore/event-store.module';
import {
  MongoViewStore,
  PROJECTIONS_READINESS,
  type ProjectionsReadiness,
  VIEW_STORE,
  type ViewStore,
} from '@eddy/projections';
import { join } from 'node:path';
import type { EddyConfig } from './config/eddy.config';
import { HealthController, READINESS_CHECKS, type ReadinessCheck } from './health/health.controller';
import { composeRoles } from './roles/role-modules';

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

const APP_CONFIG = Symbol('APP_CONFIG');

/**
 * One Eddy process: what every role needs (log, event store, identity, health and metrics) and the
 * modules of its roles (`EDDY_ROLES`, see `roles/role-modules.ts`); by default all of them, the
 * single node.
 */
@Module({})
export class AppModule implements OnApplicationShutdown {
  constructor(@Inject(APP_CONFIG) private readonly config: EddyConfig) {}

  static forRoot(config: EddyConfig, overrides: AppOverrides = {}): DynamicModule {
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
            // The trace, span and correlation ids of the span a line is written in (tracing on).
            mixin: logContext,
          },
        }),
        overrides.eventStore
          ? EventStoreModule.forStore(overrides.eventStore)
          : EventStoreModule.forRoot(eventStoreSettings(config)),
        AuthModule.forRoot(config.auth),
        ...composeRoles(config),
      ],
      controllers: [HealthController],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        {
          provide: READINESS_CHECKS,
          // A process without the projector and api roles has neither projections nor views.
          inject: [
            EVENT_STORE,
            { token: PROJECTIONS_READINESS, optional: true },
            { token: VIEW_STORE, optional: true },
          ],
          useFactory: (
            store: EventStore,
            projections: ProjectionsReadiness | undefined,
            views: ViewStore | undefined,
          ): ReadinessCheck[] => [
            {
              name: 'event-store',
              check: async () => ({ ready: true, detail: { headPosition: await store.headPosition() } }),
            },
            ...(projections ? [projections] : []),
            ...(views instanceof MongoViewStore ? [views.readinessCheck()] : []),
          ],
        },
      ],
    };
  }

  /** Exports the spans still buffered when this process traces (`src/main.ts` started it). */
  async onApplicationShutdown(): Promise<void> {
    if (this.config.tracing?.otlpUrl) await stopTracing();
  }
}
