import { Controller, Get, Header, HttpCode, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { metricsRegistry } from '@eddy/observability';

/** One thing readiness depends on: a store that must answer, a projection that must catch up. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<{ ready: boolean; detail?: unknown }>;
}

/** Injection token of the list of {@link ReadinessCheck}s. */
export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

/**
 * Liveness, readiness and metrics. They carry no user data and are left open to the probes and
 * scrapers of the platform (as is usual for these endpoints); everything else needs an identity.
 */
@Controller()
export class HealthController {
  constructor(@Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[]) {}

  @Get('health/live')
  @HttpCode(200)
  live(): { status: 'up' } {
    return { status: 'up' };
  }

  @Get('health/ready')
  async ready(@Res({ passthrough: true }) response: Response) {
    const results = await Promise.all(
      this.checks.map(async (c) => {
        try {
          return { name: c.name, ...(await c.check()) };
        } catch (error) {
          return { name: c.name, ready: false, detail: { error: String(error) } };
        }
      }),
    );
    const ready = results.every((r) => r.ready);
    response.status(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not ready', checks: results };
  }

  @Get('metrics')
  @Header('Content-Type', metricsRegistry.contentType)
  metrics(): Promise<string> {
    return metricsRegistry.metrics();
  }
}
