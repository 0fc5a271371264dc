import { type DynamicModule, Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { upcastEvent } from '@eddy/contracts';
import { EVENT_STORE, type EventStore } from './event-store.port';
import { MemoryEventStore } from './memory.event-store';
import { openSqliteEventStore } from './sqlite.event-store';
import { withUpcasting } from './upcasting.event-store';

/** Which event store the application runs on. */
export type EventStoreSettings =
  | { kind: 'memory' }
  | { kind: 'sqlite'; filename: string }
  | { kind: 'postgres'; url: string }
  | { kind: 'eventstoredb'; url: string };

/** Creates the configured store; every event read from it passes the upcaster chain. */
export async function createEventStore(settings: EventStoreSettings): Promise<EventStore> {
  switch (settings.kind) {
    case 'memory':
      return withUpcasting(new MemoryEventStore(), upcastEvent);
    case 'sqlite':
      return withUpcasting(openSqliteEventStore({ filename: settings.filename }), upcastEvent);
    case 'postgres': {
      // Loaded on demand so that the embedded default never touches the PostgreSQL driver.
      const { openPostgresEventStore } = await import('./postgres.event-store');
      return withUpcasting(await openPostgresEventStore({ connectionString: settings.url }), upcastEvent);
    }
    case 'eventstoredb': {
      // Loaded on demand, like the PostgreSQL driver: the embedded default never loads gRPC.
      const { openEventStoreDbEventStore } = await import('./eventstoredb.event-store');
      return withUpcasting(await openEventStoreDbEventStore({ connectionString: settings.url }), upcastEvent);
    }
  }
}

@Global()
@Module({})
export class EventStoreModule implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /** Provides the configured store as `EVENT_STORE` and closes it when the application stops. */
  static forRoot(settings: EventStoreSettings): DynamicModule {
    return {
      module: EventStoreModule,
      providers: [{ provide: EVENT_STORE, useFactory: () => createEventStore(settings) }],
      exports: [EVENT_STORE],
    };
  }

  /** Provides a store that the caller made (tests, benchmarks); the module closes it too. */
  static forStore(store: EventStore): DynamicModule {
    return {
      module: EventStoreModule,
      providers: [{ provide: EVENT_STORE, useValue: store }],
      exports: [EVENT_STORE],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
