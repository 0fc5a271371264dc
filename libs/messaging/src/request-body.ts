import { BadRequestException, type HttpException } from '@nestjs/common';
import { type z } from 'zod';
import { firstIssue, payloadProblem } from '@eddy/contracts';

/** How a controller refuses a body that cannot be read. */
export interface BodyRefusal {
  /** Told of each refusal (the controller's counter). */
  counted?: () => void;
  /** The 400 for `problem`; default Nest's: `{ statusCode: 400, error: 'Bad Request', message: problem }`. */
  exception?: (problem: string) => HttpException;
}

/**
 * The JSON body of a process application's request (messages, signals, jobs), read against `schema`, or its
 * 400 thrown: its `variables` may nest at most `maxPayloadDepth` deep, and it must fit the schema. The
 * problem names the field (`variables.a.b`, `signalName`).
 */
export function requestBodyOr400<T>(
  schema: z.ZodType<T>,
  body: unknown,
  maxPayloadDepth: number,
  refusal: BodyRefusal = {},
): T {
  const read = readRequestBody(schema, body, maxPayloadDepth);
  if (read.ok) return read.data;
  refusal.counted?.();
  throw refusal.exception ? refusal.exception(read.problem) : new BadRequestException(read.problem);
}

function readRequestBody<T>(
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
