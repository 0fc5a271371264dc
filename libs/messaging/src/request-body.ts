import { type z } from 'zod';
import { firstIssue, payloadProblem } from '@eddy/contracts';

/**
 * Reads the JSON body of a process application's request (messages, signals, jobs): its `variables` may nest
 * at most `maxPayloadDepth` deep, and it must fit the schema. A problem names the field (`variables.a.b`,
 * `signalName`), for the caller's 400.
 */
export function readRequestBody<T>(
  schema: z.ZodType<T>,
  body: unknown,
  maxPayloadDepth: number,
): { ok: true; data: T } | { ok: false; problem: string } {
  const tooDeep = payloadProblem((body as { variables?: unknown } | null)?.variables, maxPayloadDepth);
  if (tooDeep)
    return { ok: false, problem: `${['variables', ...tooDeep.path].join('.')}: ${tooDeep.problem}` };
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const { path, problem } = firstIssue(parsed.error);
    return { ok: false, problem: `${path || 'body'}: ${problem}` };
  }
  return { ok: true, data: parsed.data };
}
