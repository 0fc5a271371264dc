import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { CommandWithMetadata, SavedFilterCommand } from '@eddy/contracts';
import { EVENT_STORE, type EventStore } from '@eddy/eventstore';
import { handleCommand, type HandledCommand } from '@eddy/eventstore/handle-command';
import { savedFilterDecider } from '../domain/saved-filter.decider';
import { CORE_OPTIONS, handleCommandOptions, type CoreOptions } from './core.options';

/** A saved filter command on its way through the command bus. */
export class ExecuteSavedFilterCommand {
  constructor(
    readonly command: CommandWithMetadata<SavedFilterCommand>,
    readonly streamId: string,
  ) {}
}

@CommandHandler(ExecuteSavedFilterCommand)
export class SavedFilterCommandHandler implements ICommandHandler<ExecuteSavedFilterCommand, HandledCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
  ) {}

  execute({ command, streamId }: ExecuteSavedFilterCommand): Promise<HandledCommand> {
    return handleCommand(
      this.store,
      savedFilterDecider,
      streamId,
      command,
      command.metadata,
      handleCommandOptions(this.options),
    );
  }
}
