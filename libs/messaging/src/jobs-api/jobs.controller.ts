import {
  Body,
  Controller,
  HttpCode,
  HttpException,
  Inject,
  Logger,
  Param,
  Patch,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { type Request, type Response } from 'express';
import { z } from 'zod';
import { AuthGuard, CurrentIdentity, type Identity, RequirePermission } from '@eddy/auth';
import {
  EngineError,
  JOB_WORKER_API,
  type ActivatedJob,
  type JobIncident,
  type JobWorkerApi,
} from '@eddy/collector';
import { payloadSchema } from '@eddy/contracts';
import { counter } from '@eddy/observability';
import { requestBodyOr400 } from '../request-body';

/** Injection token of how deep a job's variables may nest (`EDDY_MAX_PAYLOAD_DEPTH`). */
export const JOB_MAX_PAYLOAD_DEPTH = Symbol('JOB_MAX_PAYLOAD_DEPTH');

// Camunda 8's request bodies; fields this engine does not use (tenantIds ...) are accepted and ignored.
const activationSchema = z.object({
  type: z.string().min(1).max(256),
  worker: z.string().max(256).optional(),
  timeout: z.number().int().positive(),
  maxJobsToActivate: z.number().int().positive().max(1000),
  fetchVariable: z.array(z.string()).optional(),
  requestTimeout: z.number().int().optional(),
});
// Camunda 8.8's job result: the elements an ad-hoc sub-process's job activates and whether it completes, or a
// task listener's corrections of its task.
const jobResultSchema = z.object({
  type: z.string().optional(),
  activateElements: z
    .array(z.object({ elementId: z.string().min(1).max(256), variables: payloadSchema.nullish() }))
    .optional(),
  isCompletionConditionFulfilled: z.boolean().optional(),
  isCancelRemainingInstances: z.boolean().optional(),
  // A task listener's: changes to the task; the engine checks the fields.
  corrections: z.record(z.string(), z.unknown()).optional(),
  // A task listener's: rejects the assignment, update or completion (the engine checks it may).
  denied: z.boolean().optional(),
  deniedReason: z.string().max(10_000).optional(),
});
const completionSchema = z
  .object({ variables: payloadSchema.nullish(), result: jobResultSchema.nullish() })
  .nullish();
const failureSchema = z.object({
  retries: z.number().int().min(0).optional(),
  errorMessage: z.string().max(10_000).optional(),
  retryBackOff: z.number().int().min(0).optional(),
  variables: payloadSchema.nullish(),
});
const errorSchema = z.object({
  errorCode: z.string().min(1).max(256),
  errorMessage: z.string().max(10_000).nullish(),
  variables: payloadSchema.nullish(),
});

const updateSchema = z.object({
  changeset: z.object({ retries: z.number().int().min(0).nullish(), timeout: z.number().int().nullish() }),
});

const jobActions = counter(
  'eddy_job_actions_total',
  'Calls of the job worker API, by action and outcome (ok, rejected)',
  ['action', 'outcome'],
);

/** Camunda 8's problem detail, the body of every refusal of these endpoints. */
interface ProblemDetail {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
}

/**
 * Camunda 8's job endpoints (Orchestration Cluster REST API v2) on the embedded engine, so that a job worker
 * written for Camunda 8 (`@camunda8/sdk`'s REST job worker) works against it unchanged, with
 * `ZEEBE_REST_ADDRESS` set to this server: `POST /v2/jobs/activation` (with long polling),
 * `/v2/jobs/{jobKey}/completion`, `/failure` and `/error`, and `POST /v2/incidents/search` for the incidents
 * that keep instances waiting. Authorised like the command API (`commands:write`).
 *
 * Log codes: `JOBS-0xx`.
 */
@Controller('v2')
@UseGuards(AuthGuard)
export class JobsController {
  private readonly logger = new Logger('JobsApi');

  constructor(
    @Inject(JOB_WORKER_API) private readonly jobs: JobWorkerApi,
    @Inject(JOB_MAX_PAYLOAD_DEPTH) private readonly maxPayloadDepth: number,
  ) {}

  @Post('jobs/activation')
  @HttpCode(200)
  @RequirePermission('commands:write')
  async activate(
    @Body() body: unknown,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
    @CurrentIdentity() identity: Identity,
  ): Promise<{ jobs: ActivatedJob[] }> {
    const parsed = this.parse('activation', activationSchema, body, request);
    // A worker that gives up ends the long poll: no job is handed to a connection that is gone. (The
    // response's close, not the request's: that one fires as soon as the body has been read.)
    const abort = new AbortController();
    response.once('close', () => abort.abort());
    const jobs = await this.call('activation', request, () =>
      this.jobs.activate(
        {
          type: parsed.type,
          worker: parsed.worker ?? identity.userId,
          timeoutMs: parsed.timeout,
          maxJobsToActivate: parsed.maxJobsToActivate,
          requestTimeoutMs: parsed.requestTimeout ?? 0,
          fetchVariable: parsed.fetchVariable,
        },
        abort.signal,
      ),
    );
    if (jobs.length > 0)
      this.logger.debug(`JOBS-001 ${identity.userId} activated ${jobs.length} ${parsed.type} jobs`);
    return { jobs };
  }

  @Post('jobs/:jobKey/completion')
  @HttpCode(204)
  @RequirePermission('commands:write')
  async complete(@Param('jobKey') jobKey: string, @Body() body: unknown, @Req() request: Request) {
    const parsed = this.parse('completion', completionSchema, body, request);
    await this.call('completion', request, () =>
      this.jobs.complete(jobKey, parsed?.variables ?? {}, parsed?.result ?? null),
    );
  }

  @Post('jobs/:jobKey/failure')
  @HttpCode(204)
  @RequirePermission('commands:write')
  async fail(@Param('jobKey') jobKey: string, @Body() body: unknown, @Req() request: Request) {
    const parsed = this.parse('failure', failureSchema, body ?? {}, request);
    await this.call('failure', request, () =>
      this.jobs.fail(jobKey, {
        retries: parsed.retries ?? 0,
        errorMessage: parsed.errorMessage,
        retryBackOffMs: parsed.retryBackOff ?? 0,
        variables: parsed.variables ?? undefined,
      }),
    );
  }

  @Post('jobs/:jobKey/error')
  @HttpCode(204)
  @RequirePermission('commands:write')
  async throwError(@Param('jobKey') jobKey: string, @Body() body: unknown, @Req() request: Request) {
    const parsed = this.parse('error', errorSchema, body, request);
    await this.call('error', request, () =>
      this.jobs.throwError(jobKey, {
        errorCode: parsed.errorCode,
        errorMessage: parsed.errorMessage ?? undefined,
        variables: parsed.variables ?? undefined,
      }),
    );
  }

  @Patch('jobs/:jobKey')
  @HttpCode(204)
  @RequirePermission('commands:write')
  async update(@Param('jobKey') jobKey: string, @Body() body: unknown, @Req() request: Request) {
    const { changeset } = this.parse('update', updateSchema, body, request);
    if (changeset.retries === null || changeset.retries === undefined) {
      // A new timeout is accepted and has no effect: an activated job is handed out again at its deadline.
      return;
    }
    const retries = changeset.retries;
    await this.call('update', request, () => this.jobs.updateRetries(jobKey, retries));
  }

  @Post('incidents/:incidentKey/resolution')
  @HttpCode(204)
  @RequirePermission('commands:write')
  async resolveIncident(@Param('incidentKey') incidentKey: string, @Req() request: Request) {
    await this.call('resolution', request, () => this.jobs.resolveIncident(incidentKey));
  }

  @Post('incidents/search')
  @HttpCode(200)
  @RequirePermission('commands:write')
  async searchIncidents(
    @Req() request: Request,
  ): Promise<{ items: (JobIncident & { state: 'ACTIVE' })[]; page: { totalItems: number } }> {
    // Synchronous in the port, but it fails like the others (the engine on its thread may be gone or late).
    const incidents = await this.call('incidents', request, async () => this.jobs.incidents());
    const items = incidents.map((incident) => ({ ...incident, state: 'ACTIVE' as const }));
    return { items, page: { totalItems: items.length } };
  }

  private parse<T>(action: string, schema: z.ZodType<T>, body: unknown, request: Request): T {
    return requestBodyOr400(schema, body, this.maxPayloadDepth, {
      exception: (problem) => this.refuse(action, request, 400, 'INVALID_ARGUMENT', problem),
    });
  }

  private async call<T>(action: string, request: Request, run: () => Promise<T>): Promise<T> {
    try {
      const result = await run();
      jobActions.inc({ action, outcome: 'ok' });
      return result;
    } catch (error) {
      if (!(error instanceof EngineError)) throw error;
      const [status, title] =
        error.code === 'UNKNOWN_JOB' || error.code === 'UNKNOWN_INCIDENT'
          ? [404, 'NOT_FOUND']
          : error.code === 'INVALID_JOB_STATE'
            ? [409, 'INVALID_STATE']
            : error.code === 'INVALID_ARGUMENT'
              ? [400, 'INVALID_ARGUMENT']
              : error.code === 'CLOSED'
                ? [503, 'UNAVAILABLE']
                : [500, error.code];
      throw this.refuse(action, request, status, title, error.message);
    }
  }

  private refuse(
    action: string,
    request: Request,
    status: number,
    title: string,
    detail: string,
  ): HttpException {
    jobActions.inc({ action, outcome: 'rejected' });
    const problem: ProblemDetail = { type: 'about:blank', title, status, detail, instance: request.path };
    return new HttpException(problem, status);
  }
}
