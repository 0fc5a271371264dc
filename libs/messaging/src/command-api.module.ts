import { type DynamicModule, Module } from '@nestjs/common';
import { DEFAULT_MAX_PAYLOAD_DEPTH, type CommandLimits } from '@eddy/contracts';
import {
  COMMAND_LIMITS,
  CommandsController,
  MAX_COMMANDS_PER_REQUEST,
} from './command-api/commands.controller';

/** The command API of process applications. Needs `COMMAND_DISPATCHER` and the auth module. */
@Module({})
export class CommandApiModule {
  static forRoot(options: {
    maxCommandsPerRequest: number;
    maxPayloadDepth?: number;
    maxCommentLength?: number;
  }): DynamicModule {
    const limits: CommandLimits = {
      maxPayloadDepth: options.maxPayloadDepth ?? DEFAULT_MAX_PAYLOAD_DEPTH,
      maxCommentLength: options.maxCommentLength,
    };
    return {
      module: CommandApiModule,
      controllers: [CommandsController],
      providers: [
        { provide: MAX_COMMANDS_PER_REQUEST, useValue: options.maxCommandsPerRequest },
        { provide: COMMAND_LIMITS, useValue: limits },
      ],
    };
  }
}
