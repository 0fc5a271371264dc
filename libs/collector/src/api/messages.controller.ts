import {
  BadRequestException,
  Body,
  Controller,
  HttpCode,
  Inject,
  Logger,
  Post,
  ServiceUnavailableException,
  UseGuards,
} from '@nestjs/common';
import { z } from 'zod';
import { AuthGuard, CurrentIdentity, type Identity, RequirePermission } from '@eddy/auth';
import { firstIssue, payloadProblem, payloadSchema } from '@eddy/contracts';
import { counter } from '@eddy/observability';
import { EngineError } from '../engine/engine.errors';
import { PROCESS_ENGINE, type ProcessEngine } from '../engine/engine.port';

const messageSchema = z.strictObject({
  name: z.string().min(1).max(256),
  correlationKey: z.string().max(256),
  variables: payloadSchema.optional(),
});

/** Injection token of how deep a message's variables may nest (`EDDY_MAX_PAYLOAD_DEPTH`). */
export const MESSAGE_MAX_PAYLOAD_DEPTH = Symbol('MESSAGE_MAX_PAYLOAD_DEPTH');

const messages = counter(
  'eddy_messages_total',
  'Messages sent through the messages API, by outcome (correlated, unmatched, invalid)',
  ['outcome'],
);

/** What `POST /api/messages` answers: the instances whose waiting message event caught the message. */
export interface MessageCorrelationBody {
  instanceIds: string[];
}

/**
 * `POST /api/messages`: process applications send a message to the process engine, as Camunda 8's message
 * correlation does. Every instance waiting for a message of that name with that correlation key receives it
 * (its variables are merged into the instance's); a message nobody waits for is not kept, and the answer lists
 * no instance.
 *
 * Log codes: `MESSAGES-0xx`.
 */
@Controller('api/messages')
@UseGuards(AuthGuard)
export class MessagesController {
  private readonly logger = new Logger('MessagesApi');

  constructor(
    @Inject(PROCESS_ENGINE) private readonly engine: ProcessEngine,
    @Inject(MESSAGE_MAX_PAYLOAD_DEPTH) private readonly maxPayloadDepth: number,
  ) {}

  @Post()
  @HttpCode(200)
  @RequirePermission('commands:write')
  async correlate(
    @Body() body: unknown,
    @CurrentIdentity() identity: Identity,
  ): Promise<MessageCorrelationBody> {
    const variables = (body as { variables?: unknown } | null)?.variables;
    const tooDeep = payloadProblem(variables, this.maxPayloadDepth);
    const parsed = messageSchema.safeParse(body);
    if (tooDeep || !parsed.success) {
      messages.inc({ outcome: 'invalid' });
      const { path, problem } = tooDeep
        ? { path: ['variables', ...tooDeep.path].join('.'), problem: tooDeep.problem }
        : firstIssue(parsed.error!);
      throw new BadRequestException(`${path || 'body'}: ${problem}`);
    }
    try {
      const result = await this.engine.correlateMessage(parsed.data);
      messages.inc({ outcome: result.instanceIds.length > 0 ? 'correlated' : 'unmatched' });
      this.logger.log(
        `MESSAGES-001 ${identity.userId} sent ${parsed.data.name} (${parsed.data.correlationKey}): ${result.instanceIds.length} instances`,
      );
      return { instanceIds: result.instanceIds };
    } catch (error) {
      if (error instanceof EngineError && error.code === 'INVALID_ARGUMENT')
        throw new BadRequestException(error.message);
      if (error instanceof EngineError && error.code === 'CLOSED')
        throw new ServiceUnavailableException('the process engine is shutting down');
      throw error;
    }
  }
}
