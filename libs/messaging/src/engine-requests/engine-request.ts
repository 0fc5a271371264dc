import type {
  BroadcastSignalRequest,
  CorrelateMessageRequest,
  MessageCorrelationResult,
  SignalBroadcastResult,
  StartedProcessInstance,
  StartProcessInstanceRequest,
} from '@eddy/collector/engine/engine.port';
import { firstIssue } from '@eddy/contracts';
import { z } from 'zod';

/**
 * A request of an api process to the engine in the collector process, as one message of the engine
 * requests topic (`EDDY_KAFKA_ENGINE_REQUESTS_TOPIC`): `{ "kind", "request" }`, the request as the engine
 * port takes it.
 */
export type EngineRequest =
  | { kind: 'startProcessInstance'; request: StartProcessInstanceRequest }
  | { kind: 'correlateMessage'; request: CorrelateMessageRequest }
  | { kind: 'broadcastSignal'; request: BroadcastSignalRequest };

/** The collector's answer: the engine's result, or its error with the engine's code. */
export type EngineReply =
  | { ok: true; result: StartedProcessInstance | MessageCorrelationResult | SignalBroadcastResult }
  | { ok: false; error: { code: string; message: string } };

const variables = z.record(z.string(), z.unknown());
const engineRequestSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('startProcessInstance'),
    request: z.strictObject({
      definitionKey: z.string().min(1),
      variables: variables.optional(),
      businessKey: z.string().optional(),
      startUserId: z.string().optional(),
    }),
  }),
  z.strictObject({
    kind: z.literal('correlateMessage'),
    request: z.strictObject({
      name: z.string().min(1),
      correlationKey: z.string(),
      variables: variables.optional(),
      messageId: z.string().min(1).optional(),
      timeToLiveMs: z.number().int().min(0).optional(),
    }),
  }),
  z.strictObject({
    kind: z.literal('broadcastSignal'),
    request: z.strictObject({ signalName: z.string().min(1), variables: variables.optional() }),
  }),
]);

/** Reads one message of the engine requests topic; the error names the bad field. */
export function decodeEngineRequest(
  value: Buffer | null,
): { ok: true; request: EngineRequest } | { ok: false; message: string } {
  let input: unknown;
  try {
    input = JSON.parse(value?.toString('utf8') ?? '');
  } catch (error) {
    return { ok: false, message: `the message is not JSON: ${(error as Error).message}` };
  }
  const parsed = engineRequestSchema.safeParse(input);
  if (!parsed.success) {
    const { path, problem } = firstIssue(parsed.error);
    return { ok: false, message: `${path || 'message'}: ${problem}` };
  }
  return { ok: true, request: parsed.data as EngineRequest };
}
