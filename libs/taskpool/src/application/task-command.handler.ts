import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { CommandWithMetadata, TaskCommand } from '@eddy/contracts';
import { EVENT_STORE, type EventStore } from '@eddy/eventstore';
import { handleCommand, type HandledCommand } from '@eddy/eventstore/handle-command';
import { taskDecider } from '../domain/task.decider';
import { CORE_OPTIONS, handleCommandOptions, type CoreOptions } from './core.options';

/** A task command on its way through the command bus. */
export class ExecuteTaskCommand {
  constructor(
    readonly command: CommandWithMetadata<TaskCommand>,
    /** The task's stream, as `routeCommand` found it. */
    readonly streamId: string,
  ) {}
}

@CommandHandler(ExecuteTaskCommand)
export class TaskCommandHandler implements ICommandHandler<ExecuteTaskCommand, HandledCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
  ) {}

  execute({ command, streamId }: ExecuteTaskCommand): Promise<HandledCommand> {
    return handleCommand(
      this.store,
      taskDecider,
      streamId,
      command,
      command.metadata,
      handleCommandOptions(this.options),
    );
  }
}
