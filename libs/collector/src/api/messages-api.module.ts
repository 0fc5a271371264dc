import { type DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { DEFAULT_MAX_PAYLOAD_DEPTH } from '@eddy/contracts';
import { MESSAGE_MAX_PAYLOAD_DEPTH, MessagesController } from './messages.controller';

/** `POST /api/messages`, for an application that serves HTTP (it needs the global auth module). */
@Module({})
export class MessagesApiModule {
  /** `engine`: the modules that provide `PROCESS_ENGINE`, usually the `CollectorModule.forRoot(...)` one. */
  static forRoot(
    engine: ModuleMetadata['imports'],
    options: { maxPayloadDepth?: number } = {},
  ): DynamicModule {
    return {
      module: MessagesApiModule,
      imports: engine,
      controllers: [MessagesController],
      providers: [
        {
          provide: MESSAGE_MAX_PAYLOAD_DEPTH,
          useValue: options.maxPayloadDepth ?? DEFAULT_MAX_PAYLOAD_DEPTH,
        },
      ],
    };
  }
}
