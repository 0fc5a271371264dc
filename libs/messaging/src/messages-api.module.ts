import { type DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { DEFAULT_MAX_PAYLOAD_DEPTH } from '@eddy/contracts';
import { MESSAGE_MAX_PAYLOAD_DEPTH, MessagesController } from './messages-api/messages.controller';
import { SignalsController } from './messages-api/signals.controller';

/**
 * `POST /api/messages` and `POST /v2/signals/broadcast`, beside the command API: process applications'
 * messages and signals to the process engine.
 * Needs the auth module and a provider of `ENGINE_REQUESTS`.
 */
@Module({})
export class MessagesApiModule {
  /** `engine`: the modules that provide `ENGINE_REQUESTS`: the `CollectorModule.forRoot(...)` one, or `KafkaRequestsModule`'s. */
  static forRoot(
    engine: ModuleMetadata['imports'],
    options: { maxPayloadDepth?: number } = {},
  ): DynamicModule {
    return {
      module: MessagesApiModule,
      imports: engine,
      controllers: [MessagesController, SignalsController],
      providers: [
        {
          provide: MESSAGE_MAX_PAYLOAD_DEPTH,
          useValue: options.maxPayloadDepth ?? DEFAULT_MAX_PAYLOAD_DEPTH,
        },
      ],
    };
  }
}
