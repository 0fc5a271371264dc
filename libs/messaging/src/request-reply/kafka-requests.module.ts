import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Global,
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  type Provider,
} from '@nestjs/common';
import { ENGINE_REQUESTS } from '@eddy/collector/engine/engine.port';
import { COMMAND_DISPATCHER } from '@eddy/contracts';
import { KafkaCommandDispatcher } from './kafka-command.dispatcher';
import { KafkaEngineRequests } from './kafka-engine.requests';
import { KafkaRequester, type KafkaRequesterOptions } from './kafka.requester';

/** Options of {@link KafkaRequestsModule.forRoot}. */
export interface KafkaRequestsOptions extends KafkaRequesterOptions {
  /** The core's command topic, when the core runs in another process (`EDDY_KAFKA_COMMAND_TOPIC`). */
  commandTopic: string | null;
  /** The collector's engine requests topic, when the engine runs in another process. */
  engineRequestsTopic: string | null;
}

@Injectable()
class RequesterLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(KafkaRequester) private readonly requester: KafkaRequester) {}

  onApplicationBootstrap(): void {
    this.requester.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.requester.stop();
  }
}

/**
 * The requests of an api process to the roles it does not run, over Kafka: `COMMAND_DISPATCHER` through the
 * core's command topic, `ENGINE_REQUESTS` through the collector's engine requests topic, both answered on
 * the replies topic through one {@link KafkaRequester}.
 */
@Global()
@Module({})
export class KafkaRequestsModule {
  static forRoot(options: KafkaRequestsOptions): DynamicModule {
    const providers: Provider[] = [
      { provide: KafkaRequester, useValue: new KafkaRequester(options) },
      RequesterLifecycle,
    ];
    const exported: (symbol | typeof KafkaRequester)[] = [KafkaRequester];
    if (options.commandTopic !== null) {
      const topic = options.commandTopic;
      providers.push({
        provide: COMMAND_DISPATCHER,
        inject: [KafkaRequester],
        useFactory: (requester: KafkaRequester) => new KafkaCommandDispatcher(requester, topic),
      });
      exported.push(COMMAND_DISPATCHER);
    }
    if (options.engineRequestsTopic !== null) {
      const topic = options.engineRequestsTopic;
      providers.push({
        provide: ENGINE_REQUESTS,
        inject: [KafkaRequester],
        useFactory: (requester: KafkaRequester) => new KafkaEngineRequests(requester, topic),
      });
      exported.push(ENGINE_REQUESTS);
    }
    return { module: KafkaRequestsModule, providers, exports: exported };
  }
}
