import { type DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { COMMAND_DISPATCHER } from '@eddy/contracts';
import { DATA_ENTRY_HANDLING, DataEntryCommandHandler } from '@eddy/datapool';
import { CoreCommandDispatcher } from './core-command.dispatcher';
import { CORE_OPTIONS, handleCommandOptions, type CoreOptions } from './core.options';
import { ProcessDefinitionCommandHandler, ProcessInstanceCommandHandler } from './process-command.handlers';
import { SavedFilterCommandHandler } from './saved-filter-command.handler';
import { TaskCommandHandler } from './task-command.handler';

/**
 * The core: command handlers of the task pool, the data pool, the process aggregates and the saved filters, behind
 * the {@link COMMAND_DISPATCHER}. Needs an `EVENT_STORE` provider from the application.
 */
@Module({})
export class CoreModule {
  static forRoot(options: CoreOptions): DynamicModule {
    return {
      module: CoreModule,
      global: true,
      imports: [CqrsModule.forRoot()],
      providers: [
        { provide: CORE_OPTIONS, useValue: options },
        { provide: DATA_ENTRY_HANDLING, useValue: handleCommandOptions(options) },
        TaskCommandHandler,
        ProcessDefinitionCommandHandler,
        ProcessInstanceCommandHandler,
        DataEntryCommandHandler,
        SavedFilterCommandHandler,
        CoreCommandDispatcher,
        { provide: COMMAND_DISPATCHER, useExisting: CoreCommandDispatcher },
      ],
      exports: [COMMAND_DISPATCHER],
    };
  }
}
