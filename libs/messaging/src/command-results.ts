import type { Command, CommandResult, CommandWithMetadata } from '@eddy/contracts';

/** The answer for one command, as commands.md describes it: the command API's and the command topic's. */
export interface CommandResultBody {
  commandId: string | null;
  status: 'accepted' | 'duplicate' | 'rejected';
  streamId: string | null;
  revision: number | null;
  position: number | null;
  error?: { code: string; message: string; path?: string };
}

/** What a correlation id sent with commands (`x-correlation-id`) may hold. */
export const CORRELATION_ID_PATTERN = /^[\x21-\x7e]{1,256}$/;

/** The core's result in the public form. */
export const toResultBody = (result: CommandResult): CommandResultBody =>
  result.status === 'rejected'
    ? {
        commandId: result.commandId,
        status: 'rejected',
        streamId: result.streamId,
        revision: null,
        position: null,
        error: result.error,
      }
    : {
        commandId: result.commandId,
        status: result.status,
        streamId: result.streamId,
        revision: result.revision,
        position: result.position,
      };

/** A command refused before it reached the core (it could not be read, or failed validation). */
export const refusedBody = (
  commandId: string | null,
  error: { code: string; message: string; path?: string },
): CommandResultBody => ({
  commandId,
  status: 'rejected',
  streamId: null,
  revision: null,
  position: null,
  error,
});

/** A parsed command with the metadata of its sender, as every intake hands it to the core. */
export function withMetadata(
  command: Command,
  metadata: { commandId: string; correlationId?: string; userId: string; timestamp: string },
): CommandWithMetadata {
  return {
    ...command,
    metadata: { ...metadata, correlationId: metadata.correlationId ?? metadata.commandId },
  } as CommandWithMetadata;
}
