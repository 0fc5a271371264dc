import {
  BadRequestException,
  Body,
  Controller,
  Headers,
  HttpCode,
  Inject,
  Post,
  UseGuards,
} from '@nestjs/common';
import { AuthGuard, CurrentIdentity, type Identity, RequirePermission } from '@eddy/auth';
import {
  COMMAND_DISPATCHER,
  parseCommand,
  type CommandDispatcher,
  type CommandLimits,
  type CommandWithMetadata,
} from '@eddy/contracts';
import { routeCommand } from '@eddy/taskpool';
import {
  CORRELATION_ID_PATTERN,
  refusedBody,
  toResultBody,
  withMetadata,
  type CommandResultBody,
} from '../command-results';

/** Injection token of the largest number of commands one request may carry. */
export const MAX_COMMANDS_PER_REQUEST = Symbol('MAX_COMMANDS_PER_REQUEST');

/** Injection token of the {@link CommandLimits} that every command of a request is checked against. */
export const COMMAND_LIMITS = Symbol('COMMAND_LIMITS');

/**
 * `POST /api/commands`: process applications submit commands here. Each command is validated on
 * its own and answered on its own; one rejected command does not stop the others. Commands of
 * one stream run in the order sent; commands of different streams run concurrently, so that the
 * event store can commit them together.
 */
@Controller('api/commands')
@UseGuards(AuthGuard)
export class CommandsController {
  constructor(
    @Inject(COMMAND_DISPATCHER) private readonly dispatcher: CommandDispatcher,
    @Inject(MAX_COMMANDS_PER_REQUEST) private readonly maxCommands: number,
    @Inject(COMMAND_LIMITS) private readonly limits: CommandLimits,
  ) {}

  @Post()
  @HttpCode(200)
  @RequirePermission('commands:write')
  async submit(
    @Body() body: unknown,
    @CurrentIdentity() identity: Identity,
    @Headers('x-correlation-id') correlationHeader?: string,
  ): Promise<{ results: CommandResultBody[] }> {
    if (
      typeof body !== 'object' ||
      body === null ||
      !Array.isArray((body as { commands?: unknown }).commands)
    ) {
      throw new BadRequestException('the body must be a JSON object with a "commands" array');
    }
    const commands = (body as { commands: unknown[] }).commands;
    if (commands.length > this.maxCommands) {
      throw new BadRequestException(`at most ${this.maxCommands} commands a request, got ${commands.length}`);
    }
    if (correlationHeader !== undefined && !CORRELATION_ID_PATTERN.test(correlationHeader)) {
      throw new BadRequestException('x-correlation-id must be 1 to 256 printable ASCII characters');
    }
    const timestamp = new Date().toISOString();
    const results: CommandResultBody[] = new Array(commands.length);
    const byStream = new Map<string, { index: number; command: CommandWithMetadata }[]>();
    commands.forEach((input, index) => {
      const parsed = parseCommand(input, this.limits);
      if (!parsed.ok) {
        results[index] = refusedBody(parsed.commandId, parsed.error);
        return;
      }
      const command = withMetadata(parsed.command, {
        commandId: parsed.commandId,
        correlationId: correlationHeader,
        userId: identity.userId,
        timestamp,
      });
      const { streamId } = routeCommand(command);
      const queue = byStream.get(streamId) ?? [];
      queue.push({ index, command });
      byStream.set(streamId, queue);
    });
    await Promise.all(
      [...byStream.values()].map(async (queue) => {
        for (const { index, command } of queue) results[index] = await this.dispatch(command);
      }),
    );
    return { results };
  }

  /**
   * One command's result. A failure the core did not expect (it logged it, `CORE-001`) is that command's
   * rejection: the request's other commands are answered as they were handled, never hidden behind a 500.
   */
  private async dispatch(command: CommandWithMetadata): Promise<CommandResultBody> {
    try {
      return toResultBody(await this.dispatcher.dispatch(command));
    } catch {
      return {
        commandId: command.metadata.commandId,
        status: 'rejected',
        streamId: routeCommand(command).streamId,
        revision: null,
        position: null,
        error: {
          code: 'COMMAND_FAILED',
          message:
            'the command failed in the core (the server log has it as CORE-001); send it again: a repeated commandId changes nothing',
        },
      };
    }
  }
}
