import { z } from 'zod';
import type { CommandMetadata } from './common.schema';
import {
  DEFAULT_MAX_PAYLOAD_DEPTH,
  isReservedKey,
  payloadProblem,
  reservedKeyProblem,
} from './payload.validation';
import { commentProblem, DEFAULT_MAX_COMMENT_LENGTH } from './comment.validation';
import { dataEntryCommandSchemas, type DataEntryCommand } from './data-entry.commands';
import {
  processCommandSchemas,
  type ProcessDefinitionCommand,
  type ProcessInstanceCommand,
} from './process.commands';
import { savedFilterCommandSchemas, type SavedFilterCommand } from './saved-filter.commands';
import { taskCommandSchemas, type TaskCommand } from './task.commands';

/** Every command Eddy accepts. */
export type Command =
  TaskCommand | DataEntryCommand | ProcessDefinitionCommand | ProcessInstanceCommand | SavedFilterCommand;
export type CommandType = Command['type'];
/** The commands that the command API and the command topic accept: all but the tasklist's own. */
export type ApiCommandType = Exclude<CommandType, SavedFilterCommand['type']>;

/** A command with the metadata the API attached to it. */
export type CommandWithMetadata<C extends Command = Command> = C & { metadata: CommandMetadata };

/** The runtime schema of the `data` of each command that the command API and the command topic accept. */
export const commandSchemas: Record<ApiCommandType, z.ZodType> = {
  ...taskCommandSchemas,
  ...dataEntryCommandSchemas,
  ...processCommandSchemas,
};

export const commandTypes = Object.keys(commandSchemas) as ApiCommandType[];

/** The runtime schema of every command's `data`, the tasklist's own commands among them. */
const everyCommandSchema: Record<CommandType, z.ZodType> = {
  ...commandSchemas,
  ...savedFilterCommandSchemas,
};

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

/** Limits of what a sender may put in a command. */
export interface CommandLimits {
  /** How deep a payload or a set of variables may nest (`EDDY_MAX_PAYLOAD_DEPTH`). */
  maxPayloadDepth: number;
  /** The longest comment text (`EDDY_COMMENT_MAX_LENGTH`); default {@link DEFAULT_MAX_COMMENT_LENGTH}. */
  maxCommentLength?: number;
}

export const DEFAULT_COMMAND_LIMITS: CommandLimits = { maxPayloadDepth: DEFAULT_MAX_PAYLOAD_DEPTH };

/** The limits that only some commands have, checked after their schema: the configured comment length. */
function limitProblem(
  type: string,
  data: unknown,
  limits: CommandLimits,
): { field: string; problem: string } | null {
  if (type !== 'AddTaskComment') return null;
  const problem = commentProblem(
    (data as { text: string }).text,
    limits.maxCommentLength ?? DEFAULT_MAX_COMMENT_LENGTH,
  );
  return problem ? { field: 'text', problem } : null;
}

/**
 * The first problem of a command's `data` against its schema and the limits, with the path of the bad
 * field after `prefix`. Nesting and reserved keys are checked first, on the raw input, so that no deep value
 * reaches code that recurses.
 */
function checkCommandData(
  type: string,
  schema: z.ZodType,
  data: unknown,
  limits: CommandLimits,
  prefix: readonly PropertyKey[],
): { ok: true; data: unknown } | { ok: false; error: CommandError } {
  const invalid = (path: string, problem: string) =>
    ({ ok: false, error: { code: 'INVALID_COMMAND', message: `${path}: ${problem}`, path } }) as const;
  if (typeof data === 'object' && data !== null && !Array.isArray(data)) {
    // Every field is checked, payloads and variables among them; no other field nests anywhere near the limit.
    for (const [field, value] of Object.entries(data)) {
      const found = isReservedKey(field)
        ? { path: [], problem: reservedKeyProblem(field) }
        : payloadProblem(value, limits.maxPayloadDepth);
      if (found) return invalid([...prefix, field, ...found.path].map(String).join('.'), found.problem);
    }
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const { path, problem } = firstIssue(parsed.error, prefix);
    return invalid(path, problem);
  }
  const limited = limitProblem(type, parsed.data, limits);
  if (limited) return invalid([...prefix, limited.field].map(String).join('.'), limited.problem);
  return { ok: true, data: parsed.data };
}

/**
 * Validates a command built in process (the tasklist's interactions) as `parseCommand` validates one
 * received: `null` when it is valid, otherwise the error naming the first bad field. Paths start after
 * `prefix` (default `data`, as in the command API).
 */
export function validateCommand(
  command: Command,
  limits: CommandLimits = DEFAULT_COMMAND_LIMITS,
  prefix: readonly PropertyKey[] = ['data'],
): CommandError | null {
  const schema = Object.hasOwn(everyCommandSchema, command.type)
    ? everyCommandSchema[command.type]
    : undefined;
  if (!schema) {
    return {
      code: 'UNKNOWN_COMMAND_TYPE',
      message: `type: unknown command type '${command.type}'`,
      path: 'type',
    };
  }
  const checked = checkCommandData(command.type, schema, command.data, limits, prefix);
  return checked.ok ? null : checked.error;
}

/**
 * Validates one command in its wire form. Errors name the first bad field with its path, so a
 * sender can find its mistake; nothing that fails here ever reaches a decider.
 */
export function parseCommand(input: unknown, limits: CommandLimits = DEFAULT_COMMAND_LIMITS): ParsedCommand {
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
  const checked = checkCommandData(type, schema, data, limits, ['data']);
  if (!checked.ok) return { ok: false, commandId, error: checked.error };
  return { ok: true, commandId, command: { type, data: checked.data } as Command };
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
