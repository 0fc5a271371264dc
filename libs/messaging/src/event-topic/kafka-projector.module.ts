import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  Module,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DEFAULT_PROJECTIONS, type Projection, VIEW_STORE, type ViewStore } from '@eddy/projections';
import { EventTopicProjector, type EventTopicProjectorOptions } from './event-topic.projector';

export interface KafkaProjectorModuleOptions extends EventTopicProjectorOptions {
  /** Default {@link DEFAULT_PROJECTIONS}. */
  projections?: readonly Projection[];
}

/**
 * The `projector` role of the distributed layout: projects the event topic into the views (see
 * {@link EventTopicProjector}). Needs `VIEW_STORE` from the application (the MongoDB view store of
 * `ProjectionsModule`, whose own runner must then not project the same views from the event store).
 * Joins the group on application bootstrap, leaves it before shutdown.
 */
@Module({})
export class KafkaProjectorModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(EventTopicProjector) private readonly projector: EventTopicProjector) {}

  static forRoot(options: KafkaProjectorModuleOptions): DynamicModule {
    const { projections, ...projectorOptions } = options;
    return {
      module: KafkaProjectorModule,
      providers: [
        {
          provide: EventTopicProjector,
          inject: [VIEW_STORE],
          useFactory: (views: ViewStore) =>
            new EventTopicProjector(projectorOptions, views, projections ?? DEFAULT_PROJECTIONS),
        },
      ],
      exports: [EventTopicProjector],
    };
  }

  onApplicationBootstrap(): void {
    this.projector.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.projector.stop();
  }
}
