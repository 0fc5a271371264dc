import { Body, Controller, HttpCode, Inject, Logger, Post, UseGuards } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AuthGuard, CurrentIdentity, type Identity, RequirePermission } from '@eddy/auth';
import { ENGINE_REQUESTS, type EngineRequests } from '@eddy/collector';
import { payloadSchema } from '@eddy/contracts';
import { counter } from '@eddy/observability';
import { requestBodyOr400 } from '../request-body';
import { engineHttpError } from './engine-http-errors';
import { MESSAGE_MAX_PAYLOAD_DEPTH } from './messages.controller';

// Camunda 8's body; its tenantId is accepted and ignored (the engine's tenant is the application's).
const signalSchema = z.strictObject({
  signalName: z.string().min(1).max(256),
  variables: payloadSchema.optional(),
  tenantId: z.string().max(256).optional(),
});

const signals = counter(
  'eddy_signals_total',
  'Signals broadcast through POST /v2/signals/broadcast, by outcome (reached, unmatched, invalid)',
  ['outcome'],
);

/** What `POST /v2/signals/broadcast` answers: Camunda 8's signal key and tenant, and the instances reached. */
export interface SignalBroadcastBody {
  signalKey: string;
  tenantId: string;
  instanceIds: string[];
}

/**
 * `POST /v2/signals/broadcast`, shaped like Camunda 8's: a process application broadcasts a signal to the
 * process engine. Every signal catch event of that name an instance waits at receives it (its variables are
 * merged into the instance's), and every process whose signal start event names it starts. A signal nobody
 * waits for is gone.
 *
 * Log codes: `SIGNALS-0xx`.
 */
@Controller('v2/signals')
@UseGuards(AuthGuard)
export class SignalsController {
  private readonly logger = new Logger('SignalsApi');

  constructor(
    @Inject(ENGINE_REQUESTS) private readonly engine: EngineRequests,
    @Inject(MESSAGE_MAX_PAYLOAD_DEPTH) private readonly maxPayloadDepth: number,
  ) {}

  @Post('broadcast')
  @HttpCode(200)
  @RequirePermission('commands:write')
  async broadcast(
    @Body() body: unknown,
    @CurrentIdentity() identity: Identity,
  ): Promise<SignalBroadcastBody> {
    const { signalName, variables } = requestBodyOr400(signalSchema, body, this.maxPayloadDepth, {
      counted: () => signals.inc({ outcome: 'invalid' }),
    });
    try {
      const { instanceIds } = await this.engine.broadcastSignal({ signalName, variables });
      signals.inc({ outcome: instanceIds.length > 0 ? 'reached' : 'unmatched' });
      this.logger.log(
        `SIGNALS-001 ${identity.userId} broadcast ${signalName}: ${instanceIds.length} instances`,
      );
      return { signalKey: randomUUID(), tenantId: '<default>', instanceIds };
    } catch (error) {
      throw engineHttpError(error);
    }
  }
}
