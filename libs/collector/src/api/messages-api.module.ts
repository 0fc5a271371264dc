import { type DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { MessagesController } from './messages.controller';

/** `POST /api/messages`, for an application that serves HTTP (it needs the global auth module). */
@Module({})
export class MessagesApiModule {
  /** `engine`: the modules that provide `PROCESS_ENGINE`, usually the `CollectorModule.forRoot(...)` one. */
  static forRoot(engine: ModuleMetadata['imports']): DynamicModule {
    return { module: MessagesApiModule, imports: engine, controllers: [MessagesController] };
  }
}
