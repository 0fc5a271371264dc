import type { CommandDispatcher, CommandResult, CommandWithMetadata } from '@eddy/contracts';
import type { Role } from './roles';

/**
 * The command dispatcher of a process without the `core` role and without a route to a core in
 * another process: it appends nothing and answers every command `rejected` with
 * `CORE_UNAVAILABLE`, so that a user's action fails with the reason instead of seeming to succeed.
 */
export class CoreUnavailableDispatcher implements CommandDispatcher {
  constructor(private readonly roles: readonly Role[]) {}

  dispatch(command: CommandWithMetadata): Promise<CommandResult> {
    return Promise.resolve({
      commandId: command.metadata.commandId,
      status: 'rejected',
      streamId: null,
      error: {
        code: 'CORE_UNAVAILABLE',
        message: `${command.type} cannot be handled here: this process has the roles ${this.roles.join(', ')} without core, and no route to a core process`,
      },
    });
  }
}
