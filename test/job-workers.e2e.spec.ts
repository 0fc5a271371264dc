import type { INestApplication } from '@nestjs/common';
import { Camunda8 } from '@camunda8/sdk';
import { SignJWT } from 'jose';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@eddy/testing/wait-for';
import { VIEW_STORE, type ViewStore } from '@eddy/projections';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config/eddy.config';

/**
 * Job workers written for Camunda 8 against the embedded engine, unchanged: `@camunda8/sdk`'s REST job worker
 * (`getCamundaRestClient().createJobWorker`) with `ZEEBE_REST_ADDRESS` pointing at the platform and a bearer
 * token (`CAMUNDA_AUTH_STRATEGY=BEARER`, `CAMUNDA_OAUTH_TOKEN`) that the platform's JWT authentication checks.
 * The workers complete jobs, throw a BPMN error that an error boundary event catches, and fail a job until
 * its retries run out, which leaves an incident that keeps the instance waiting.
 */

const secret = 'job-workers-e2e-secret-of-at-least-32-bytes';
const token = (sub: string, groups: string[]) =>
  new SignJWT({ groups })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));

describe('job workers of @camunda8/sdk on the embedded engine', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'eddy-job-workers-'));
  const bpmnDir = join(dataDir, 'bpmn');
  let app: INestApplication | undefined;
  let url: string;
  let workerToken: string;
  let userToken: string;
  const stops: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    mkdirSync(bpmnDir);
    copyFileSync(
      resolve(__dirname, '../libs/collector/src/engine/embedded/fixtures/payment-jobs.bpmn'),
      join(bpmnDir, 'payment-jobs.bpmn'),
    );
    copyFileSync(
      resolve(__dirname, '../libs/collector/src/engine/embedded/fixtures/dialect/ad-hoc-sub-processes.bpmn'),
      join(bpmnDir, 'ad-hoc-sub-processes.bpmn'),
    );
    copyFileSync(
      resolve(__dirname, '../libs/collector/src/engine/embedded/fixtures/dialect/signals.bpmn'),
      join(bpmnDir, 'signals.bpmn'),
    );
    app = await createApp(
      loadConfig({
        EDDY_AUTH_MODE: 'jwt',
        EDDY_JWT_SECRET: secret,
        EDDY_DATA_DIR: dataDir,
        EDDY_BPMN_DIR: bpmnDir,
        EDDY_LOG_LEVEL: 'warn',
      }),
    );
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    workerToken = await token('payment-worker', ['process-applications']);
    userToken = await token('carol', ['clerks']);
  });

  afterAll(async () => {
    await Promise.all(stops.map((stop) => stop()));
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const startPayment = (amount: number): Promise<string> => startProcess('payment-jobs', { amount });
  const startProcess = async (key: string, variables: Record<string, unknown>): Promise<string> => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${userToken}` },
      body: JSON.stringify({
        query: `mutation($k: String!, $v: JSON) { startProcess(processDefinitionKey: $k, variables: $v) {
          processInstanceId } }`,
        variables: { k: key, v: variables },
      }),
    });
    const body = (await response.json()) as { data?: { startProcess: { processInstanceId: string } } };
    expect(body).toMatchObject({ data: { startProcess: { processInstanceId: expect.any(String) } } });
    return body.data!.startProcess.processInstanceId;
  };
  const jobsApi = (path: string, body: unknown, bearer: string | null = workerToken) =>
    fetch(`${url}/v2/${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      },
      body: JSON.stringify(body),
    });

  it('runs the workers of a Camunda 8 process application unchanged', async () => {
    const camunda = new Camunda8({
      ZEEBE_REST_ADDRESS: url,
      CAMUNDA_AUTH_STRATEGY: 'BEARER',
      CAMUNDA_OAUTH_TOKEN: workerToken,
      CAMUNDA_LOG_LEVEL: 'none',
    });
    const rest = camunda.getCamundaRestClient();
    const seen: { type: string; elementId: string; currency: unknown }[] = [];
    const worker = (type: string, handle: (variables: Record<string, unknown>) => 'complete' | 'error') =>
      rest.createJobWorker({
        type,
        worker: `${type}-worker`,
        timeout: 30_000,
        maxJobsToActivate: 5,
        requestTimeout: 5_000,
        jobHandler: (job) => {
          seen.push({
            type,
            elementId: job.elementId,
            currency: (job.customHeaders as Record<string, unknown>).currency,
          });
          const variables = job.variables as Record<string, unknown>;
          if (handle(variables) === 'error')
            return job.error({ errorCode: 'CARD_DECLINED', errorMessage: 'over the limit', variables: {} });
          return job.complete({ [`${type}Done`]: true });
        },
      });
    let cardServiceUp = false;
    const charge = worker('charge-card', (v) => {
      if (v.amount === 13 && !cardServiceUp) throw new Error('the card service is down');
      return Number(v.amount) > 100 ? 'error' : 'complete';
    });
    const others = ['send-receipt', 'tell-shipping', 'archive-payment'].map((type) =>
      worker(type, () => 'complete'),
    );
    for (const w of [charge, ...others]) stops.push(() => w.stop());

    const paid = await startPayment(40);
    const declined = await startPayment(500);
    const broken = await startPayment(13);
    const views = app!.get<ViewStore>(VIEW_STORE);
    const stateOf = async (id: string) => (await views.getProcessInstance(`eddy/${id}`))?.state;

    // Every job of the paid instance was done by its worker, and the instance finished.
    await waitFor(async () => expect(await stateOf(paid)).toBe('FINISHED'), { timeout: 30_000 });
    expect(seen.filter((s) => s.type === 'charge-card')[0]).toMatchObject({ currency: 'EUR' });
    expect(new Set(seen.map((s) => s.elementId))).toEqual(
      new Set(['Charge', 'SendReceipt', 'TellShipping', 'Paid']),
    );

    // The declined card went to the error boundary event: the customer is to be contacted.
    await waitFor(
      () => expect(seen.some((s) => s.type === 'charge-card' && s.elementId === 'Charge')).toBe(true),
      { timeout: 30_000 },
    );
    expect(await stateOf(declined)).toBe('RUNNING');
    // That task names no assignee and no candidates: as in Camunda 8's Tasklist, whoever may start the process
    // sees it (here everyone, the process has no candidate starters).
    const carolsTasks = async () => {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${userToken}` },
        body: JSON.stringify({ query: '{ tasks { nodes { taskDefinitionKey processInstanceId } } }' }),
      });
      return ((await response.json()) as { data: { tasks: { nodes: unknown[] } } }).data.tasks.nodes;
    };
    await waitFor(
      async () =>
        expect(await carolsTasks()).toEqual([
          { taskDefinitionKey: 'ContactCustomer', processInstanceId: declined },
        ]),
      { timeout: 30_000 },
    );
    // The broken charge was failed by the SDK (retries - 1) until none were left: an incident, the instance waits.
    const incidents = async () =>
      ((await (await jobsApi('incidents/search', {})).json()) as { items: Record<string, unknown>[] }).items;
    await waitFor(
      async () =>
        expect(await incidents()).toEqual([
          expect.objectContaining({
            processInstanceKey: broken,
            errorType: 'JOB_NO_RETRIES',
            elementId: 'Charge',
            state: 'ACTIVE',
            errorMessage: expect.stringContaining('the card service is down'),
          }),
        ]),
      { timeout: 30_000 },
    );
    expect(await stateOf(broken)).toBe('RUNNING');
    // One charge each for the paid and the declined instance, two (its retries) for the broken one.
    expect(seen.filter((s) => s.type === 'charge-card').length).toBe(4);

    // Once the card service is back, the operator gives the job a retry and resolves the incident, with the
    // SDK's own calls: the worker gets the job again and the instance goes on to its end.
    cardServiceUp = true;
    const [incident] = await incidents();
    await rest.updateJob({ jobKey: incident.jobKey as string, retries: 1 });
    await rest.resolveIncident(incident.incidentKey as string);
    await waitFor(async () => expect(await stateOf(broken)).toBe('FINISHED'), { timeout: 30_000 });
    expect(await incidents()).toEqual([]);
    for (const stop of stops.splice(0)) await stop();
  });

  it('answers bad calls as Camunda 8 does: 401, 403, 404 for an unknown or completed job, 409 on an incident, 400 naming the field', async () => {
    // An incident to act on: a job failed for good.
    const stuckInstance = await startPayment(70);
    const [stuck] = (
      (await (
        await jobsApi('jobs/activation', {
          type: 'charge-card',
          timeout: 60_000,
          maxJobsToActivate: 1,
          requestTimeout: 20_000,
        })
      ).json()) as { jobs: { jobKey: string; processInstanceKey: string }[] }
    ).jobs;
    expect(stuck.processInstanceKey).toBe(stuckInstance);
    expect((await jobsApi(`jobs/${stuck.jobKey}/failure`, { retries: 0, errorMessage: 'no' })).status).toBe(
      204,
    );

    expect(
      (await jobsApi('jobs/activation', { type: 'x', timeout: 1, maxJobsToActivate: 1 }, null)).status,
    ).toBe(401);
    const asUser = await jobsApi(
      'jobs/activation',
      { type: 'x', timeout: 1, maxJobsToActivate: 1 },
      userToken,
    );
    expect(asUser.status).toBe(403);

    const unknown = await jobsApi('jobs/4242/completion', { variables: {} });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({
      title: 'NOT_FOUND',
      status: 404,
      detail: expect.stringContaining('4242'),
    });

    const instanceId = await startPayment(60);
    const activation = await jobsApi('jobs/activation', {
      type: 'charge-card',
      worker: 'manual',
      timeout: 60_000,
      maxJobsToActivate: 1,
      requestTimeout: 20_000,
    });
    expect(activation.status).toBe(200);
    const { jobs } = (await activation.json()) as { jobs: { jobKey: string; processInstanceKey: string }[] };
    // The SDK workers of the first test are stopped; this instance's job is the only one there.
    expect(jobs).toMatchObject([{ processInstanceKey: instanceId }]);
    const [job] = jobs;

    const badFailure = await jobsApi(`jobs/${job.jobKey}/failure`, { retries: -1 });
    expect(badFailure.status).toBe(400);
    expect(await badFailure.json()).toMatchObject({ detail: expect.stringContaining('retries') });
    expect((await jobsApi(`jobs/${job.jobKey}/error`, {})).status).toBe(400);

    expect((await jobsApi(`jobs/${job.jobKey}/completion`, { variables: { chargeId: 'CH-9' } })).status).toBe(
      204,
    );
    const twice = await jobsApi(`jobs/${job.jobKey}/completion`, {});
    expect(twice.status).toBe(404);
    expect(await twice.json()).toMatchObject({ detail: expect.stringContaining('completed already') });

    const onIncident = await jobsApi(`jobs/${stuck.jobKey}/completion`, {});
    expect(onIncident.status).toBe(409);
    expect(await onIncident.json()).toMatchObject({ title: 'INVALID_STATE' });
    // An incident of a job without retries is resolved only once the job has retries again.
    const tooEarly = await jobsApi(`incidents/${stuck.jobKey}/resolution`, {});
    expect(tooEarly.status).toBe(409);
    expect(await tooEarly.json()).toMatchObject({ detail: expect.stringContaining('retries') });
    expect((await jobsApi(`incidents/4242/resolution`, {})).status).toBe(404);
  });

  it("completes an ad-hoc sub-process's job with Camunda 8.8's job result: the elements it names are activated", async () => {
    const instanceId = await startProcess('ad-hoc-agent', {});
    const activate = async (type: string) => {
      const response = await jobsApi('jobs/activation', {
        type,
        worker: 'agent',
        timeout: 60_000,
        maxJobsToActivate: 1,
        requestTimeout: 20_000,
      });
      return ((await response.json()) as { jobs: { jobKey: string; processInstanceKey: string }[] }).jobs;
    };
    const [agent] = await activate('agent');
    expect(agent).toMatchObject({ processInstanceKey: instanceId });

    const badShape = await jobsApi(`jobs/${agent.jobKey}/completion`, {
      result: { activateElements: [{ elementId: 42 }] },
    });
    expect(badShape.status).toBe(400);
    expect(await badShape.json()).toMatchObject({ detail: expect.stringContaining('elementId') });
    const notInside = await jobsApi(`jobs/${agent.jobKey}/completion`, {
      result: { type: 'adHocSubProcess', activateElements: [{ elementId: 'after3' }] },
    });
    expect(notInside.status).toBe(400);
    expect(await notInside.json()).toMatchObject({
      detail: expect.stringContaining('result.activateElements[0].elementId: after3'),
    });

    const completed = await jobsApi(`jobs/${agent.jobKey}/completion`, {
      variables: { plan: 'look it up' },
      result: {
        type: 'adHocSubProcess',
        activateElements: [{ elementId: 'lookup', variables: { toolName: 'lookup' } }],
      },
    });
    expect(completed.status).toBe(204);
    const [lookup] = await activate('lookup');
    expect(lookup).toMatchObject({ processInstanceKey: instanceId, elementId: 'lookup' });
  });

  it("broadcasts a signal through POST /v2/signals/broadcast, shaped like Camunda 8: it starts the signal start event's process", async () => {
    const bad = await jobsApi('signals/broadcast', { signalName: '' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ message: expect.stringContaining('signalName') });
    expect((await jobsApi('signals/broadcast', { signalName: 'stock-arrived' }, userToken)).status).toBe(403);

    const broadcast = await jobsApi('signals/broadcast', {
      signalName: 'stock-arrived',
      variables: { sku: 'B-1' },
    });
    expect(broadcast.status).toBe(200);
    const body = (await broadcast.json()) as { signalKey: string; tenantId: string; instanceIds: string[] };
    expect(body).toMatchObject({ signalKey: expect.any(String), tenantId: '<default>' });
    expect(body.instanceIds).toHaveLength(1);
  });
});
