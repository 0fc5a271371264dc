import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { taskStreamId, type CommandWithMetadata, type TaskCommand } from '@eddy/contracts';
import { EVENT_STORE, type EventStore } from '@eddy/eventstore';
import { handleCommand, type HandledCommand } from '@eddy/eventstore/handle-command';
import { taskDecider } from '../domain/task.decider';
import { CORE_OPTIONS, handleCommandOptions, type CoreOptions } from './core.options';

/** A task command on its way through the command bus. */
export class ExecuteTaskCommand {
  constructor(readonly command: CommandWithMetadata<TaskCommand>) {}
}

@CommandHandler(ExecuteTaskCommand)
export class TaskCommandHandler implements ICommandHandler<ExecuteTaskCommand, HandledCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
  ) {}

  execute({ command }: ExecuteTaskCommand): Promise<HandledCommand> {
    return handleCommand(
      this.store,
      taskDecider,
      taskStreamId(command.data.id),
      command,
      command.metadata,
      handleCommandOptions(this.options),
    );
  }
}
