import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AuthModule } from '@eddy/auth';
import { EVENT_STORE, type EventStore } from '@eddy/eventstore';
import { EventStoreModule, type EventStoreSettings } from '@eddy/eventstore/event-store.module';
import { CommandApiModule } from '@eddy/messaging';
import { CoreModule } from '@eddy/taskpool';
import { join } from 'node:path';
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
        CommandApiModule.forRoot({ maxCommandsPerRequest: config.commands.maxPerRequest }),
      ],
      controllers: [HealthController],
      providers: [
        {
          provide: READINESS_CHECKS,
          inject: [EVENT_STORE],
          useFactory: (store: EventStore): ReadinessCheck[] => [
            {
              name: 'event-store',
              check: async () => ({ ready: true, detail: { headPosition: await store.headPosition() } }),
            },
          ],
        },
      ],
    };
  }
}
