import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  DomainError,
  dataEntryCommandSchemas,
  dataEntryStreamId,
  processCommandSchemas,
  processDefinitionStreamId,
  processInstanceStreamId,
  savedFilterCommandSchemas,
  savedFilterStreamId,
  taskCommandSchemas,
  taskStreamId,
  type CommandDispatcher,
  type CommandResult,
  type CommandWithMetadata,
  type DataEntryCommand,
  type ProcessDefinitionCommand,
  type ProcessInstanceCommand,
  type SavedFilterCommand,
  type TaskCommand,
} from '@eddy/contracts';
import { ExecuteDataEntryCommand } from '@eddy/datapool';
import { EventStoreUnavailableError, InvalidEventError } from '@eddy/eventstore';
import { ConcurrencyError, type HandledCommand } from '@eddy/eventstore/handle-command';
import { counter, histogram, withSpan } from '@eddy/observability';
import { ExecuteProcessDefinitionCommand, ExecuteProcessInstanceCommand } from './process-command.handlers';
import { ExecuteSavedFilterCommand } from './saved-filter-command.handler';
import { ExecuteTaskCommand } from './task-command.handler';

const isTaskCommand = (c: CommandWithMetadata): c is CommandWithMetadata<TaskCommand> =>
  c.type in taskCommandSchemas;
const isDataEntryCommand = (c: CommandWithMetadata): c is CommandWithMetadata<DataEntryCommand> =>
  c.type in dataEntryCommandSchemas;
const isProcessDefinitionCommand = (
  c: CommandWithMetadata,
): c is CommandWithMetadata<ProcessDefinitionCommand> => c.type === 'RegisterProcessDefinition';
const isProcessInstanceCommand = (c: CommandWithMetadata): c is CommandWithMetadata<ProcessInstanceCommand> =>
  c.type in processCommandSchemas && c.type !== 'RegisterProcessDefinition';
const isSavedFilterCommand = (c: CommandWithMetadata): c is CommandWithMetadata<SavedFilterCommand> =>
  c.type in savedFilterCommandSchemas;

/** The stream a command belongs to, and the bus message that carries the command and its stream to the handler. */
export function routeCommand(command: CommandWithMetadata): { streamId: string; message: object } {
  if (isTaskCommand(command)) {
    const streamId = taskStreamId(command.data.id);
    return { streamId, message: new ExecuteTaskCommand(command, streamId) };
  }
  if (isDataEntryCommand(command)) {
    const streamId = dataEntryStreamId(command.data.entryType, command.data.entryId);
    return { streamId, message: new ExecuteDataEntryCommand(command, streamId) };
  }
  if (isProcessDefinitionCommand(command)) {
    const streamId = processDefinitionStreamId(command.data.id);
    return { streamId, message: new ExecuteProcessDefinitionCommand(command, streamId) };
  }
  if (isProcessInstanceCommand(command)) {
    const { applicationName, instanceId } = command.data.sourceReference;
    const streamId = processInstanceStreamId(applicationName, instanceId);
    return { streamId, message: new ExecuteProcessInstanceCommand(command, streamId) };
  }
  if (isSavedFilterCommand(command)) {
    const streamId = savedFilterStreamId(command.data.id);
    return { streamId, message: new ExecuteSavedFilterCommand(command, streamId) };
  }
  throw new DomainError(
    'UNKNOWN_COMMAND_TYPE',
    `unknown command type '${(command as { type: string }).type}'`,
    'type',
  );
}

const handled = counter('eddy_commands_handled_total', 'Commands handled, by type and outcome', [
  'type',
  'status',
]);
const rejected = counter('eddy_commands_rejected_total', 'Commands rejected, by type and code', [
  'type',
  'code',
]);
const handlingSeconds = histogram(
  'eddy_command_handling_seconds',
  'Load, decide and append, by command type',
  ['type'],
);

/**
 * The core's entrance: validates nothing (callers parse commands with `parseCommand` first),
 * routes each command to its aggregate's handler through the CQRS command bus, and turns the
 * outcome into a {@link CommandResult}. Rejections are results, not exceptions.
 */
@Injectable()
export class CoreCommandDispatcher implements CommandDispatcher {
  private readonly logger = new Logger('Core');

  // Named explicitly: tools that compile without decorator metadata (tsx, esbuild) run this too.
  constructor(@Inject(CommandBus) private readonly commandBus: CommandBus) {}

  /** One command in its span (`command <type>`): the trace the events carry on (tracing on). */
  dispatch(command: CommandWithMetadata): Promise<CommandResult> {
    const { commandId, correlationId } = command.metadata;
    return withSpan(
      `command ${command.type}`,
      { correlationId, kind: 'server', attributes: { 'eddy.command_id': commandId } },
      () => this.handle(command),
    );
  }

  private async handle(command: CommandWithMetadata): Promise<CommandResult> {
    const { commandId } = command.metadata;
    let streamId: string | null = null;
    const stop = handlingSeconds.startTimer({ type: command.type });
    try {
      const route = routeCommand(command);
      streamId = route.streamId;
      const outcome = await this.commandBus.execute<object, HandledCommand>(route.message as never);
      handled.inc({ type: command.type, status: outcome.status });
      return {
        commandId,
        status: outcome.status,
        streamId: outcome.streamId,
        revision: outcome.revision,
        position: outcome.position,
      };
    } catch (error) {
      const code =
        error instanceof DomainError
          ? error.code
          : error instanceof ConcurrencyError
            ? 'CONCURRENCY_CONFLICT'
            : error instanceof InvalidEventError
              ? 'INVALID_EVENT'
              : error instanceof EventStoreUnavailableError
                ? error.code
                : null;
      if (code === null) {
        this.logger.error(
          `CORE-001 command ${commandId} (${command.type}) on ${streamId ?? '?'} failed: ${String(error)}`,
        );
        throw error;
      }
      const path = error instanceof DomainError ? error.path : undefined;
      rejected.inc({ type: command.type, code });
      handled.inc({ type: command.type, status: 'rejected' });
      return {
        commandId,
        status: 'rejected',
        streamId,
        error: { code, message: (error as Error).message, path },
      };
    } finally {
      stop();
    }
  }
}
