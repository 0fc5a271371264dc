import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { CommandWithMetadata, ProcessDefinitionCommand, ProcessInstanceCommand } from '@eddy/contracts';
import { EVENT_STORE, type EventStore } from '@eddy/eventstore';
import { handleCommand, type HandledCommand } from '@eddy/eventstore/handle-command';
import { processDefinitionDecider } from '../domain/process-definition.decider';
import { processInstanceDecider } from '../domain/process-instance.decider';
import { CORE_OPTIONS, handleCommandOptions, type CoreOptions } from './core.options';

/** A process definition command on its way through the command bus. */
export class ExecuteProcessDefinitionCommand {
  constructor(
    readonly command: CommandWithMetadata<ProcessDefinitionCommand>,
    readonly streamId: string,
  ) {}
}

/** A process instance command on its way through the command bus. */
export class ExecuteProcessInstanceCommand {
  constructor(
    readonly command: CommandWithMetadata<ProcessInstanceCommand>,
    readonly streamId: string,
  ) {}
}

@CommandHandler(ExecuteProcessDefinitionCommand)
export class ProcessDefinitionCommandHandler implements ICommandHandler<
  ExecuteProcessDefinitionCommand,
  HandledCommand
> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
  ) {}

  execute({ command, streamId }: ExecuteProcessDefinitionCommand): Promise<HandledCommand> {
    return handleCommand(
      this.store,
      processDefinitionDecider,
      streamId,
      command,
      command.metadata,
      handleCommandOptions(this.options),
    );
  }
}

@CommandHandler(ExecuteProcessInstanceCommand)
export class ProcessInstanceCommandHandler implements ICommandHandler<
  ExecuteProcessInstanceCommand,
  HandledCommand
> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
  ) {}

  execute({ command, streamId }: ExecuteProcessInstanceCommand): Promise<HandledCommand> {
    return handleCommand(
      this.store,
      processInstanceDecider,
      streamId,
      command,
      command.metadata,
      handleCommandOptions(this.options),
    );
  }
}
