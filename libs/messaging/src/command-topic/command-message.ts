import { parseCommand, type Command, type CommandLimits } from '@eddy/contracts';
import type { IHeaders } from 'kafkajs';
import { CORRELATION_ID_PATTERN } from '../command-results';

/** Why a command topic message can never succeed; the code goes to the dead-letter topic with it. */
export interface UnreadableCommand {
  code: 'MESSAGE_TOO_LARGE' | 'INVALID_JSON' | 'INVALID_HEADER' | 'INVALID_COMMAND' | 'UNKNOWN_COMMAND_TYPE';
  message: string;
  path?: string;
}

export type DecodedCommandMessage =
  | { ok: true; commandId: string; command: Command; correlationId?: string }
  | { ok: false; commandId: string | null; error: UnreadableCommand };

export interface CommandMessageLimits extends CommandLimits {
  /** Largest message value in bytes. */
  maxMessageBytes: number;
}

/** The header that names the correlation id of a command (as the command API's header does). */
export const CORRELATION_HEADER = 'x-correlation-id';

/** The W3C trace context of the producer (OpenTelemetry): the command's handling continues its trace. */
export const TRACEPARENT_HEADER = 'traceparent';

function headerText(headers: IHeaders | undefined, name: string): string | undefined | null {
  const value = headers?.[name];
  if (value === undefined) return undefined;
  // A header sent twice, or not text: no single correlation id can be taken from it.
  if (Array.isArray(value)) return null;
  return value.toString('utf8');
}

/**
 * Reads one command topic message: the JSON of one command of `POST /api/commands`
 * (`{ type, commandId, data }`). Everything that makes a message unreadable is found here, before the
 * core sees it: a value over the size limit, no value, a value that is not JSON, a bad correlation
 * header, and whatever `parseCommand` refuses (naming the field).
 */
export function decodeCommandMessage(
  value: Buffer | null,
  headers: IHeaders | undefined,
  limits: CommandMessageLimits,
): DecodedCommandMessage {
  const refuse = (error: UnreadableCommand, commandId: string | null = null): DecodedCommandMessage => ({
    ok: false,
    commandId,
    error,
  });
  if (value === null || value.length === 0) {
    return refuse({
      code: 'INVALID_JSON',
      message: 'the message has no value: it must be the JSON of one command',
    });
  }
  if (value.length > limits.maxMessageBytes) {
    return refuse({
      code: 'MESSAGE_TOO_LARGE',
      message: `the message has ${value.length} bytes, more than the limit of ${limits.maxMessageBytes}`,
    });
  }
  let input: unknown;
  try {
    input = JSON.parse(value.toString('utf8'));
  } catch (error) {
    return refuse({ code: 'INVALID_JSON', message: `the message is not JSON: ${(error as Error).message}` });
  }
  const parsed = parseCommand(input, limits);
  if (!parsed.ok) {
    const { code, message, path } = parsed.error;
    const known = code === 'UNKNOWN_COMMAND_TYPE' ? code : 'INVALID_COMMAND';
    return refuse({ code: known, message, path }, parsed.commandId);
  }
  const correlationId = headerText(headers, CORRELATION_HEADER);
  if (
    correlationId === null ||
    (correlationId !== undefined && !CORRELATION_ID_PATTERN.test(correlationId))
  ) {
    return refuse(
      {
        code: 'INVALID_HEADER',
        message: `${CORRELATION_HEADER} must be one header of 1 to 256 printable ASCII characters`,
        path: `headers.${CORRELATION_HEADER}`,
      },
      parsed.commandId,
    );
  }
  return { ok: true, commandId: parsed.commandId, command: parsed.command, correlationId };
}
