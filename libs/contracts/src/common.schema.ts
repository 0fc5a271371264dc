import { z } from 'zod';
import { payloadProblem } from './payload.validation';

/**
 * Building blocks of the runtime schemas. Every command is validated against its schema before it
 * reaches a decider, so that bad input is rejected with the path of the bad field.
 */

/** Ids are printable and short: letters, digits and `. _ : @ - / +`. `#` is reserved for data entry ids. */
export const idSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .regex(/^[A-Za-z0-9._:@\-/+]+$/, 'may contain only letters, digits and . _ : @ - / +');

/** Names of users and groups. */
export const principalSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .regex(/^[^\s,#]+$/, 'may not contain white space, commas or #');

export const textSchema = z.string().max(10_000, 'must be at most 10000 characters');
export const nameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(1_000, 'must be at most 1000 characters');

/**
 * ISO-8601 date and time with seconds and an offset or Z, e.g. 2026-11-22T10:00:00Z. Strict: a day the
 * month does not have (2026-02-31) or an hour 24 is refused, never rolled over into the next month.
 */
export const dateTimeSchema = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time' });

/**
 * The one reading of an ISO-8601 date-time for every API (commands, GraphQL, filters): by
 * {@link dateTimeSchema}'s rules, answered as the instant in UTC (`2026-11-22T10:00:00.000Z`), so that stores
 * compare like with like; `null` when the value is not such a date-time.
 */
export function parseIsoDateTime(value: unknown): string | null {
  return dateTimeSchema.safeParse(value).success ? new Date(value as string).toISOString() : null;
}

/**
 * A JSON object (process variables, data entry payloads) without reserved keys at any level. Checked on the
 * input: copied into an object, a `__proto__` key would vanish instead of being refused. How deep it may nest
 * is a setting: `parseCommand` and `validateCommand` check it.
 */
export const payloadSchema = z
  .unknown()
  .superRefine((value, ctx) => {
    const found = payloadProblem(value, Number.POSITIVE_INFINITY);
    if (found) ctx.addIssue({ code: 'custom', message: found.problem, path: found.path });
  })
  .pipe(z.record(z.string(), z.unknown()));

export const dataEntryRefSchema = z.strictObject({ entryType: idSchema, entryId: idSchema });
export type DataEntryRef = z.infer<typeof dataEntryRefSchema>;

export const sourceReferenceSchema = z.strictObject({
  type: z.enum(['process', 'case', 'generic']),
  instanceId: idSchema,
  executionId: idSchema.optional(),
  definitionId: idSchema,
  definitionKey: idSchema,
  name: nameSchema,
  applicationName: idSchema,
  tenantId: idSchema.optional(),
});
/** Where a task or a process instance comes from: the engine's process (or case) instance. */
export type SourceReference = z.infer<typeof sourceReferenceSchema>;

export const processingTypeSchema = z.enum([
  'PRELIMINARY',
  'IN_PROGRESS',
  'COMPLETED',
  'CANCELLED',
  'UNDEFINED',
  'DELETED',
]);
export type ProcessingType = z.infer<typeof processingTypeSchema>;

export const dataEntryStateSchema = z.strictObject({
  processingType: processingTypeSchema,
  state: z.string().max(256).optional(),
});
export type DataEntryState = z.infer<typeof dataEntryStateSchema>;

export const modificationSchema = z.strictObject({
  time: dateTimeSchema.optional(),
  username: principalSchema.optional(),
  log: textSchema.optional(),
  logNotes: textSchema.optional(),
});
export type Modification = z.infer<typeof modificationSchema>;

export const authorizationChangeSchema = z.strictObject({
  kind: z.enum(['ADD_USER', 'REMOVE_USER', 'ADD_GROUP', 'REMOVE_GROUP']),
  principal: principalSchema,
});
export type AuthorizationChange = z.infer<typeof authorizationChangeSchema>;

/** Who sent a command and when: filled in by the API, never by the sender. */
export interface CommandMetadata {
  commandId: string;
  correlationId: string;
  /** The user or service the command runs for. */
  userId?: string;
  /** ISO-8601 time at which the command was accepted. */
  timestamp: string;
}
