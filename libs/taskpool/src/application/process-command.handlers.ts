import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  processDefinitionStreamId,
  processInstanceStreamId,
  type CommandWithMetadata,
  type ProcessDefinitionCommand,
  type ProcessInstanceCommand,
} from '@eddy/contracts';
import { EVENT_STORE, type EventStore } from '@eddy/eventstore';
import { handleCommand, type HandledCommand } from '@eddy/eventstore/handle-command';
import { processDefinitionDecider } from '../domain/process-definition.decider';
import { processInstanceDecider } from '../domain/process-instance.decider';
import { CORE_OPTIONS, handleCommandOptions, type CoreOptions } from './core.options';

/** A process definition command on its way through the command bus. */
export class ExecuteProcessDefinitionCommand {
  constructor(readonly command: CommandWithMetadata<ProcessDefinitionCommand>) {}
}

/** A process instance command on its way through the command bus. */
export class ExecuteProcessInstanceCommand {
  constructor(readonly command: CommandWithMetadata<ProcessInstanceCommand>) {}
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

  execute({ command }: ExecuteProcessDefinitionCommand): Promise<HandledCommand> {
    return handleCommand(
      this.store,
      processDefinitionDecider,
      processDefinitionStreamId(command.data.id),
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

  execute({ command }: ExecuteProcessInstanceCommand): Promise<HandledCommand> {
    const { applicationName, instanceId } = command.data.sourceReference;
    return handleCommand(
      this.store,
      processInstanceDecider,
      processInstanceStreamId(applicationName, instanceId),
      command,
      command.metadata,
      handleCommandOptions(this.options),
    );
  }
}
