import 'reflect-metadata';
import { HttpException } from '@nestjs/common';
import { describe, expect, it } from '@jest/globals';
import type { EngineRequests, JobWorkerApi } from '@eddy/collector';
import { metricsRegistry } from '@eddy/observability';
import type { Request } from 'express';
import { JobsController } from './jobs-api/jobs.controller';
import { MessagesController } from './messages-api/messages.controller';
import { SignalsController } from './messages-api/signals.controller';

const identity = {
  userId: 'shop',
  groups: ['process-applications'],
  permissions: new Set(['commands:write' as const]),
};

/** An engine that must not be reached: every body here is refused before. */
const unreachable = new Proxy(
  {},
  {
    get: () => () => {
      throw new Error('the engine was called with a refused body');
    },
  },
);

/** The refusal `work` throws: its status and body as the client gets them. */
async function refusal(work: () => Promise<unknown>): Promise<{ status: number; body: unknown }> {
  const error = await work().then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof HttpException)) throw new Error(`expected a refusal, got ${String(error)}`);
  return { status: error.getStatus(), body: error.getResponse() };
}

async function count(metric: string, labels: Record<string, string>): Promise<number> {
  const { values } = await metricsRegistry.getSingleMetric(metric)!.get();
  const found = values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return found?.value ?? 0;
}

describe('the 400 of a request body that cannot be read', () => {
  it("messages: Nest's bad request naming the field, counted as invalid", async () => {
    const controller = new MessagesController(unreachable as EngineRequests, 2);
    const before = await count('eddy_messages_total', { outcome: 'invalid' });
    expect(await refusal(() => controller.correlate({ name: 'paid' }, identity))).toEqual({
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', message: expect.stringMatching(/^correlationKey: /) },
    });
    expect(
      await refusal(() =>
        controller.correlate({ name: 'paid', correlationKey: 'o-1', variables: { a: { b: {} } } }, identity),
      ),
    ).toEqual({
      status: 400,
      body: {
        statusCode: 400,
        error: 'Bad Request',
        message: 'variables: must be nested at most 2 levels deep',
      },
    });
    expect(await count('eddy_messages_total', { outcome: 'invalid' })).toBe(before + 2);
  });

  it("signals: Nest's bad request naming the field, counted as invalid", async () => {
    const controller = new SignalsController(unreachable as EngineRequests, 64);
    const before = await count('eddy_signals_total', { outcome: 'invalid' });
    expect(await refusal(() => controller.broadcast({ signalName: '' }, identity))).toEqual({
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', message: expect.stringMatching(/^signalName: /) },
    });
    expect(await refusal(() => controller.broadcast(null, identity))).toEqual({
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', message: expect.stringMatching(/^body: /) },
    });
    expect(await count('eddy_signals_total', { outcome: 'invalid' })).toBe(before + 2);
  });

  it("jobs: Camunda 8's problem detail naming the field, counted as rejected by action", async () => {
    const controller = new JobsController(unreachable as JobWorkerApi, 64);
    const request = { path: '/v2/jobs/7/error' } as Request;
    const before = await count('eddy_job_actions_total', { action: 'error', outcome: 'rejected' });
    expect(await refusal(() => controller.throwError('7', { errorMessage: 'no code' }, request))).toEqual({
      status: 400,
      body: {
        type: 'about:blank',
        title: 'INVALID_ARGUMENT',
        status: 400,
        detail: expect.stringMatching(/^errorCode: /),
        instance: '/v2/jobs/7/error',
      },
    });
    expect(await count('eddy_job_actions_total', { action: 'error', outcome: 'rejected' })).toBe(before + 1);
  });
});
