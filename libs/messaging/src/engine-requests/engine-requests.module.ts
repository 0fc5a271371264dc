import { type DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import {
  ENGINE_REQUESTS_OPTIONS,
  EngineRequestsConsumer,
  type EngineRequestsOptions,
} from './engine-requests.consumer';

/**
 * The collector process's side of the requests of api processes to the engine: process starts and
 * messages from the engine requests topic, answered on the replies topic. Needs `ENGINE_REQUESTS` (the
 * `CollectorModule`).
 */
@Module({})
export class EngineRequestsModule {
  /** `engine`: the modules that provide `ENGINE_REQUESTS`, the `CollectorModule.forRoot(...)` one. */
  static forRoot(engine: ModuleMetadata['imports'], options: EngineRequestsOptions): DynamicModule {
    return {
      module: EngineRequestsModule,
      imports: engine,
      providers: [{ provide: ENGINE_REQUESTS_OPTIONS, useValue: options }, EngineRequestsConsumer],
    };
  }
}

export type { EngineRequestsOptions } from './engine-requests.consumer';
