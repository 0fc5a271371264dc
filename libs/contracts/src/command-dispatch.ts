import type { CommandWithMetadata, CommandError } from './commands';

/** What became of one command. */
export type CommandResult =
  | {
      commandId: string;
      /** `duplicate`: a command with this id was accepted before; nothing was appended now. */
      status: 'accepted' | 'duplicate';
      streamId: string;
      /** Revision of the stream after the command (-1 when the stream does not exist). */
      revision: number;
      /** Global position of the last event the command appended (or of the stream's last event). */
      position: number;
    }
  | {
      commandId: string;
      status: 'rejected';
      streamId: string | null;
      error: CommandError;
    };

/**
 * Runs commands through the core: load the stream, decide, append with the expected revision.
 * The command API, the tasklist's mutations and the collector all send their commands here.
 */
export interface CommandDispatcher {
  dispatch(command: CommandWithMetadata): Promise<CommandResult>;
}

/** Injection token of the {@link CommandDispatcher}. */
export const COMMAND_DISPATCHER = Symbol('COMMAND_DISPATCHER');
