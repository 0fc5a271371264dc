import { Body, Controller, HttpCode, Inject, Logger, Post, UseGuards } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AuthGuard, CurrentIdentity, type Identity, RequirePermission } from '@eddy/auth';
import { ENGINE_REQUESTS, type EngineRequests } from '@eddy/collector';
import { payloadSchema } from '@eddy/contracts';
import { counter } from '@eddy/observability';
import { requestBodyOr400 } from '../request-body';
import { engineHttpError } from './engine-http-errors';
import { timeToLiveMs } from './time-to-live';

const messageSchema = z.strictObject({
  name: z.string().min(1).max(256),
  correlationKey: z.string().max(256),
  messageId: z.string().min(1).max(256).optional(),
  timeToLive: z
    .string()
    .transform((text, ctx) => {
      const ms = timeToLiveMs(text);
      if (ms === null) {
        ctx.addIssue({
          code: 'custom',
          message: 'an ISO-8601 duration of days, hours, minutes or seconds is required (PT0S, PT1H, P2D)',
        });
        return z.NEVER;
      }
      return ms;
    })
    .optional(),
  variables: payloadSchema.optional(),
});

/** Injection token of how deep a message's variables may nest (`EDDY_MAX_PAYLOAD_DEPTH`). */
export const MESSAGE_MAX_PAYLOAD_DEPTH = Symbol('MESSAGE_MAX_PAYLOAD_DEPTH');

const messages = counter(
  'eddy_messages_total',
  'Messages sent through the messages API, by outcome (correlated, unmatched, invalid)',
  ['outcome'],
);

/** What `POST /api/messages` answers: the message's id and the instances whose waiting event caught it now. */
export interface MessageCorrelationBody {
  messageId: string;
  instanceIds: string[];
}

/**
 * `POST /api/messages`: process applications send a message to the process engine, as Camunda 8's message
 * publication does. Every instance waiting for a message of that name with that correlation key receives it
 * (its variables are merged into the instance's); a message nobody waits for is kept for its `timeToLive`
 * (default `PT0S`: not kept) and goes to the first instance that starts waiting. A repeated `messageId`
 * changes nothing.
 *
 * Log codes: `MESSAGES-0xx`.
 */
@Controller('api/messages')
@UseGuards(AuthGuard)
export class MessagesController {
  private readonly logger = new Logger('MessagesApi');

  constructor(
    @Inject(ENGINE_REQUESTS) private readonly engine: EngineRequests,
    @Inject(MESSAGE_MAX_PAYLOAD_DEPTH) private readonly maxPayloadDepth: number,
  ) {}

  @Post()
  @HttpCode(200)
  @RequirePermission('commands:write')
  async correlate(
    @Body() body: unknown,
    @CurrentIdentity() identity: Identity,
  ): Promise<MessageCorrelationBody> {
    const {
      name,
      correlationKey,
      variables,
      timeToLive,
      messageId: given,
    } = requestBodyOr400(messageSchema, body, this.maxPayloadDepth, {
      counted: () => messages.inc({ outcome: 'invalid' }),
    });
    const messageId = given ?? randomUUID();
    try {
      const result = await this.engine.correlateMessage({
        name,
        correlationKey,
        variables,
        messageId,
        timeToLiveMs: timeToLive ?? 0,
      });
      messages.inc({ outcome: result.instanceIds.length > 0 ? 'correlated' : 'unmatched' });
      this.logger.log(
        `MESSAGES-001 ${identity.userId} sent ${name} (${correlationKey}) id ${messageId}, time to live ${timeToLive ?? 0} ms: ${result.instanceIds.length} instances`,
      );
      return { messageId, instanceIds: result.instanceIds };
    } catch (error) {
      throw engineHttpError(error);
    }
  }
}
