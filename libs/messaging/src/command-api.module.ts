import { type DynamicModule, Module } from '@nestjs/common';
import { CommandsController, MAX_COMMANDS_PER_REQUEST } from './command-api/commands.controller';

/** The command API of process applications. Needs `COMMAND_DISPATCHER` and the auth module. */
@Module({})
export class CommandApiModule {
  static forRoot(options: { maxCommandsPerRequest: number }): DynamicModule {
    return {
      module: CommandApiModule,
      controllers: [CommandsController],
      providers: [{ provide: MAX_COMMANDS_PER_REQUEST, useValue: options.maxCommandsPerRequest }],
    };
  }
}
