import { type DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { DEFAULT_MAX_PAYLOAD_DEPTH } from '@eddy/contracts';
import { JOB_MAX_PAYLOAD_DEPTH, JobsController } from './jobs-api/jobs.controller';

/**
 * Camunda 8's job endpoints (`/v2/jobs/...`) for job workers of the embedded engine. Needs the auth module and
 * a provider of `JOB_WORKER_API` (the `CollectorModule` with the embedded engine).
 */
@Module({})
export class JobsApiModule {
  /** `engine`: the modules that provide `JOB_WORKER_API`, usually the `CollectorModule.forRoot(...)` one. */
  static forRoot(
    engine: ModuleMetadata['imports'],
    options: { maxPayloadDepth?: number } = {},
  ): DynamicModule {
    return {
      module: JobsApiModule,
      imports: engine,
      controllers: [JobsController],
      providers: [
        { provide: JOB_MAX_PAYLOAD_DEPTH, useValue: options.maxPayloadDepth ?? DEFAULT_MAX_PAYLOAD_DEPTH },
      ],
    };
  }
}
