import { z } from 'zod';
import type { CommandMetadata } from './common.schema';
import { dataEntryCommandSchemas, type DataEntryCommand } from './data-entry.commands';
import {
  processCommandSchemas,
  type ProcessDefinitionCommand,
  type ProcessInstanceCommand,
} from './process.commands';
import { taskCommandSchemas, type TaskCommand } from './task.commands';

/** Every command Eddy accepts. */
export type Command = TaskCommand | DataEntryCommand | ProcessDefinitionCommand | ProcessInstanceCommand;
export type CommandType = Command['type'];

/** A command with the metadata the API attached to it. */
export type CommandWithMetadata<C extends Command = Command> = C & { metadata: CommandMetadata };

/** The runtime schema of each command's `data`. */
export const commandSchemas: Record<CommandType, z.ZodType> = {
  ...taskCommandSchemas,
  ...dataEntryCommandSchemas,
  ...processCommandSchemas,
};

export const commandTypes = Object.keys(commandSchemas) as CommandType[];

/** The wire form of a command: `{ type, commandId, data }`. */
export const commandEnvelopeSchema = z.strictObject({
  type: z.string().min(1, 'must not be empty'),
  commandId: z
    .string()
    .min(1, 'must not be empty')
    .max(256, 'must be at most 256 characters')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'),
  data: z.unknown(),
});

/** Why a command was refused before or by a decider. */
export interface CommandError {
  code: string;
  message: string;
  /** Dotted path of the bad field, e.g. `data.sourceReference.instanceId`. */
  path?: string;
}

export type ParsedCommand =
  | { ok: true; commandId: string; command: Command }
  | { ok: false; commandId: string | null; error: CommandError };

/**
 * The first problem zod found: the dotted path of the bad field, after `prefix` (empty for the value
 * itself), and what is wrong with it. Every API names the field this way.
 */
export function firstIssue(
  error: z.ZodError,
  prefix: readonly PropertyKey[] = [],
): { path: string; problem: string } {
  const issue = error.issues[0];
  return { path: [...prefix, ...issue.path].map(String).join('.'), problem: issue.message };
}

/**
 * Validates one command in its wire form. Errors name the first bad field with its path, so a
 * sender can find its mistake; nothing that fails here ever reaches a decider.
 */
export function parseCommand(input: unknown): ParsedCommand {
  const envelope = commandEnvelopeSchema.safeParse(input);
  if (!envelope.success) {
    const { path, problem } = firstIssue(envelope.error);
    const commandId =
      typeof input === 'object' &&
      input !== null &&
      typeof (input as { commandId?: unknown }).commandId === 'string'
        ? (input as { commandId: string }).commandId
        : null;
    return {
      ok: false,
      commandId,
      error: {
        code: 'INVALID_COMMAND',
        message: `${path || 'command'}: ${problem}`,
        path: path || undefined,
      },
    };
  }
  const { type, commandId, data } = envelope.data;
  // Own properties only: `toString` or `__proto__` must not reach Object.prototype.
  const schema = Object.hasOwn(commandSchemas, type)
    ? (commandSchemas as Record<string, z.ZodType>)[type]
    : undefined;
  if (!schema) {
    return {
      ok: false,
      commandId,
      error: { code: 'UNKNOWN_COMMAND_TYPE', message: `type: unknown command type '${type}'`, path: 'type' },
    };
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const { path, problem } = firstIssue(parsed.error, ['data']);
    return {
      ok: false,
      commandId,
      error: { code: 'INVALID_COMMAND', message: `${path}: ${problem}`, path },
    };
  }
  return { ok: true, commandId, command: { type, data: parsed.data } as Command };
}

/** A command that a decider refused: the code is part of the public API (`TASK_CLOSED`, ...). */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly path?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
