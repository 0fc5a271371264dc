import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { CommandWithMetadata, DataEntryCommand } from '@eddy/contracts';
import { EVENT_STORE, type EventStore } from '@eddy/eventstore';
import {
  handleCommand,
  type HandleCommandOptions,
  type HandledCommand,
} from '@eddy/eventstore/handle-command';
import { dataEntryDecider } from '../domain/data-entry.decider';

/** A data entry command on its way through the command bus. */
export class ExecuteDataEntryCommand {
  constructor(
    readonly command: CommandWithMetadata<DataEntryCommand>,
    /** The entry's stream, as the core's router found it. */
    readonly streamId: string,
  ) {}
}

/** Injection token of the {@link HandleCommandOptions} of the data pool. */
export const DATA_ENTRY_HANDLING = Symbol('DATA_ENTRY_HANDLING');

@CommandHandler(ExecuteDataEntryCommand)
export class DataEntryCommandHandler implements ICommandHandler<ExecuteDataEntryCommand, HandledCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DATA_ENTRY_HANDLING) private readonly options: HandleCommandOptions,
  ) {}

  execute({ command, streamId }: ExecuteDataEntryCommand): Promise<HandledCommand> {
    return handleCommand(this.store, dataEntryDecider, streamId, command, command.metadata, this.options);
  }
}
