import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { dataEntryStreamId, type CommandWithMetadata, type DataEntryCommand } from '@eddy/contracts';
import { EVENT_STORE, type EventStore } from '@eddy/eventstore';
import {
  handleCommand,
  type HandleCommandOptions,
  type HandledCommand,
} from '@eddy/eventstore/handle-command';
import { dataEntryDecider } from '../domain/data-entry.decider';

/** A data entry command on its way through the command bus. */
export class ExecuteDataEntryCommand {
  constructor(readonly command: CommandWithMetadata<DataEntryCommand>) {}
}

/** Injection token of the {@link HandleCommandOptions} of the data pool. */
export const DATA_ENTRY_HANDLING = Symbol('DATA_ENTRY_HANDLING');

@CommandHandler(ExecuteDataEntryCommand)
export class DataEntryCommandHandler implements ICommandHandler<ExecuteDataEntryCommand, HandledCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DATA_ENTRY_HANDLING) private readonly options: HandleCommandOptions,
  ) {}

  execute({ command }: ExecuteDataEntryCommand): Promise<HandledCommand> {
    const { entryType, entryId } = command.data;
    return handleCommand(
      this.store,
      dataEntryDecider,
      dataEntryStreamId(entryType, entryId),
      command,
      command.metadata,
      this.options,
    );
  }
}
