import {
  type BeforeApplicationShutdown,
  Controller,
  type DynamicModule,
  Get,
  Inject,
  Module,
  type OnApplicationBootstrap,
  UseGuards,
} from '@nestjs/common';
import { AuthGuard, RequirePermission } from '@eddy/auth';
import { EVENT_STORE, type EventStore } from '@eddy/eventstore';
import { gauge } from '@eddy/observability';
import { EventRelay, type EventRelayOptions, type RelayStatus } from './event.relay';

const relays = new Set<EventRelay>();

/** Relay position, lag and role as gauges of `GET /metrics`, read when scraped. */
function registerRelayMetrics(): void {
  const position = gauge(
    'eddy_relay_position',
    'Global position up to which the broker acknowledged the events',
  );
  const lag = gauge(
    'eddy_relay_lag',
    'Events between the head of the event store and the relay (0 on a standby)',
  );
  const active = gauge('eddy_relay_active', '1 while this process holds the relay lease and publishes');
  const read = async () => {
    const statuses = await Promise.all([...relays].map((r) => r.status()));
    return statuses.find((s) => s.role === 'active') ?? statuses[0];
  };
  // Shared by every application instance in the process (tests): collect reads them all.
  Object.assign(position, { collect: async () => position.set((await read())?.position ?? 0) });
  Object.assign(lag, { collect: async () => lag.set((await read())?.lag ?? 0) });
  Object.assign(active, { collect: async () => active.set((await read())?.role === 'active' ? 1 : 0) });
}

/** The relay's status in the admin API (`GET /admin/relay`), for identities holding `admin`. */
@Controller('admin/relay')
@UseGuards(AuthGuard)
@RequirePermission('admin')
export class RelayController {
  constructor(@Inject(EventRelay) private readonly relay: EventRelay) {}

  @Get()
  status(): Promise<RelayStatus> {
    return this.relay.status();
  }
}

/**
 * The `relay` role: publishes the event store's global log to the event topic, one active relay
 * across every process of the deployment (see {@link EventRelay}). Needs `EVENT_STORE` (PostgreSQL:
 * the lease and the checkpoint live in its database) and the auth module, both global in the
 * application. Starts on application bootstrap, stops before shutdown.
 */
@Module({})
export class RelayModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(EventRelay) private readonly relay: EventRelay) {}

  static forRoot(options: EventRelayOptions): DynamicModule {
    return {
      module: RelayModule,
      controllers: [RelayController],
      providers: [
        {
          provide: EventRelay,
          inject: [EVENT_STORE],
          useFactory: (store: EventStore) => new EventRelay(store, options),
        },
      ],
      exports: [EventRelay],
    };
  }

  onApplicationBootstrap(): void {
    registerRelayMetrics();
    relays.add(this.relay);
    this.relay.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    relays.delete(this.relay);
    await this.relay.stop();
  }
}
