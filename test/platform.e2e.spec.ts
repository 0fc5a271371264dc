import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@eddy/testing/wait-for';
import { VIEW_STORE, type ViewStore } from '@eddy/projections';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config/eddy.config';
import { gql, SubscriptionRecorder, wsClient } from './helpers/graphql';

/**
 * The whole platform as `npm start` runs it (embedded engine, SQLite event store, the processes of
 * bpmn/), driven only through its public APIs: a process started through GraphQL produces a task
 * that arrives on a live subscription, and claiming and completing it through GraphQL moves the
 * process on to its next task, also across a restart.
 */

interface TaskChange {
  taskChanges: {
    kind: 'SNAPSHOT' | 'UPSERTED' | 'REMOVED';
    tasks: { id: string; taskDefinitionKey: string; assignee: string | null; processInstanceId: string }[];
    removedIds: string[];
    position: string;
  };
}

const alice = { id: 'alice', groups: ['accounting'] };
const carol = { id: 'carol', groups: ['clerks'] };
const subscription = `subscription { taskChanges { kind position removedIds
  tasks { id taskDefinitionKey assignee processInstanceId } } }`;
const taskFields = 'id name taskDefinitionKey assignee candidateGroups processInstanceId description payload';

/** `npm start`'s settings on a data folder of the test's own, plus `extra`. */
const platformConfig = (dataDir: string, extra: Record<string, string> = {}) =>
  loadConfig({
    EDDY_AUTH_MODE: 'dev',
    EDDY_DATA_DIR: dataDir,
    EDDY_BPMN_DIR: resolve(__dirname, '../bpmn'),
    EDDY_LOG_LEVEL: 'warn',
    ...extra,
  });

describe('the platform (embedded defaults)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'eddy-platform-'));
  const config = platformConfig(dataDir);
  let app: INestApplication | undefined;
  const closers: (() => void)[] = [];

  async function start(): Promise<string> {
    app = await createApp(config);
    await app.listen(0, '127.0.0.1');
    return (await app.getUrl()).replace('[::1]', '127.0.0.1');
  }

  afterAll(async () => {
    closers.forEach((close) => close());
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs a process from start to end through GraphQL, across a restart', async () => {
    let url = await start();

    const aliceClient = wsClient(url, alice);
    closers.push(() => void aliceClient.dispose());
    const aliceList = new SubscriptionRecorder<TaskChange>(aliceClient, subscription);
    closers.push(aliceList.dispose);
    await aliceList.next((m) => m.taskChanges.kind === 'SNAPSHOT');

    // Carol, a clerk, may start the invoice approval; Alice may not see what she cannot start.
    const started = await gql<{ startProcess: { processInstanceId: string; processDefinitionKey: string } }>(
      url,
      carol,
      `mutation($v: JSON) { startProcess(processDefinitionKey: "invoice-approval", variables: $v) {
        processInstanceId processDefinitionKey } }`,
      { v: { invoiceNumber: 'INV-7', supplier: 'ACME', amount: 1200, submitter: 'carol' } },
    );
    expect(started.errors).toBeUndefined();
    const instanceId = started.data!.startProcess.processInstanceId;
    const instances = app!.get<ViewStore>(VIEW_STORE);
    await waitFor(
      async () =>
        expect((await instances.getProcessInstance(`eddy/${instanceId}`))?.startUserId).toBe('carol'),
      { timeout: 15_000 },
    );

    // The review task reaches Alice's live list (she is in its candidate group).
    const arrived = await aliceList.next(
      (m) => m.taskChanges.kind === 'UPSERTED' && m.taskChanges.tasks[0]?.processInstanceId === instanceId,
    );
    const review = arrived.taskChanges.tasks[0];
    expect(review.taskDefinitionKey).toBe('ReviewInvoice');
    expect(review.assignee).toBeNull();

    // bpmn/eddy-collector.json maps the invoice number to the invoice data entry the billing application
    // reports: the task is correlated to it, and Alice sees the entry through the task.
    const reported = await fetch(`${url}/api/commands`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-user': 'billing-app',
        'x-groups': 'process-applications',
      },
      body: JSON.stringify({
        commands: [
          {
            type: 'CreateOrUpdateDataEntry',
            commandId: 'inv-7-v1',
            data: {
              entryType: 'invoice',
              entryId: 'INV-7',
              type: 'Invoice',
              name: 'Invoice INV-7',
              applicationName: 'billing',
              authorizations: [{ kind: 'ADD_GROUP', principal: 'accounting' }],
            },
          },
        ],
      }),
    });
    expect(reported.status).toBe(200);
    const correlated = async () =>
      (
        await gql<{ task: { correlations: unknown[]; dataEntries: { id: string }[] } }>(
          url,
          alice,
          `{ task(id: "${review.id}") { correlations { entryType entryId } dataEntries { id } } }`,
        )
      ).data!.task;
    await waitFor(
      async () =>
        expect(await correlated()).toEqual({
          correlations: [{ entryType: 'invoice', entryId: 'INV-7' }],
          dataEntries: [{ id: 'invoice#INV-7' }],
        }),
      { timeout: 15_000 },
    );

    const claimed = await gql<{ claimTask: { assignee: string; description: string } }>(
      url,
      alice,
      `mutation($id: ID!) { claimTask(id: $id) { ${taskFields} } }`,
      { id: review.id },
    );
    expect(claimed.errors).toBeUndefined();
    expect(claimed.data!.claimTask.assignee).toBe('alice');
    expect(claimed.data!.claimTask.description).toBe('Invoice INV-7 from ACME over 1200');

    // Not approved: the clarification goes back to the submitter.
    const completed = await gql(
      url,
      alice,
      `mutation($id: ID!) { completeTask(id: $id, variables: { approved: false }) { id } }`,
      {
        id: review.id,
      },
    );
    expect(completed.errors).toBeUndefined();
    await aliceList.next(
      (m) => m.taskChanges.kind === 'REMOVED' && m.taskChanges.removedIds.includes(review.id),
    );

    const carolTasks = async () =>
      (
        await gql<{ tasks: { nodes: { id: string; taskDefinitionKey: string; assignee: string }[] } }>(
          url,
          carol,
          `{ tasks(filter: { processInstanceId: "${instanceId}" }) { nodes { id taskDefinitionKey assignee } } }`,
        )
      ).data!.tasks.nodes;
    await waitFor(
      async () =>
        expect(await carolTasks()).toEqual([
          expect.objectContaining({ taskDefinitionKey: 'ClarifyInvoice', assignee: 'carol' }),
        ]),
      { timeout: 15_000 },
    );
    const [clarify] = await carolTasks();

    // Restart in the middle of the process: the task is still there and the process goes on.
    closers.splice(0).forEach((close) => close());
    await app!.close();
    url = await start();
    await waitFor(
      async () => expect(await carolTasks()).toEqual([expect.objectContaining({ id: clarify.id })]),
      {
        timeout: 15_000,
      },
    );

    const aliceAgain = wsClient(url, alice);
    closers.push(() => void aliceAgain.dispose());
    const aliceList2 = new SubscriptionRecorder<TaskChange>(aliceAgain, subscription);
    closers.push(aliceList2.dispose);
    await aliceList2.next((m) => m.taskChanges.kind === 'SNAPSHOT');

    const answered = await gql(url, carol, `mutation($id: ID!) { claimTask(id: $id) { id } }`, {
      id: clarify.id,
    });
    expect(answered.errors).toBeUndefined();
    await gql(
      url,
      carol,
      `mutation($id: ID!) { completeTask(id: $id, variables: { amount: 1100 }) { id } }`,
      {
        id: clarify.id,
      },
    );

    // Back to review, where Alice approves, and the instance ends.
    const again = await aliceList2.next(
      (m) =>
        m.taskChanges.kind === 'UPSERTED' &&
        m.taskChanges.tasks[0]?.processInstanceId === instanceId &&
        m.taskChanges.tasks[0]?.taskDefinitionKey === 'ReviewInvoice',
    );
    const secondReview = again.taskChanges.tasks[0];
    await gql(url, alice, `mutation($id: ID!) { claimTask(id: $id) { id } }`, { id: secondReview.id });
    const approved = await gql(
      url,
      alice,
      `mutation($id: ID!) { completeTask(id: $id, variables: { approved: true }) { id } }`,
      { id: secondReview.id },
    );
    expect(approved.errors).toBeUndefined();
    await aliceList2.next(
      (m) => m.taskChanges.kind === 'REMOVED' && m.taskChanges.removedIds.includes(secondReview.id),
    );
    await waitFor(async () => expect(await carolTasks()).toEqual([]), { timeout: 15_000 });

    // What commands.md asks of /metrics, as this run left it (Alice's subscription is still open).
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/eddy_commands_handled_total\{type="CreateTask",status="accepted"\} [1-9]/);
    expect(metrics).toMatch(/eddy_event_store_append_seconds_count\{outcome="appended"\} [1-9]/);
    expect(metrics).toMatch(/eddy_projection_lag\{projection="tasks"\} \d+/);
    expect(metrics).toMatch(/eddy_projection_position\{projection="tasks"\} [1-9]/);
    expect(metrics).toMatch(/eddy_graphql_subscriptions_open [1-9]/);
    expect(metrics).toMatch(/eddy_graphql_operation_seconds_count\{type="mutation",outcome="ok"\} [1-9]/);
  });
});

describe('the platform on the memory event store', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'eddy-platform-memory-'));
  const config = platformConfig(dataDir, { EDDY_EVENT_STORE: 'memory' });
  let app: INestApplication | undefined;

  afterAll(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps nothing: the engine forgets its instances with the event log', async () => {
    const start = async () => {
      app = await createApp(config);
      await app.listen(0, '127.0.0.1');
      return (await app.getUrl()).replace('[::1]', '127.0.0.1');
    };
    const reviews = (url: string) => async () =>
      (
        await gql<{ tasks: { nodes: { taskDefinitionKey: string }[] } }>(
          url,
          alice,
          `{ tasks { nodes { taskDefinitionKey } } }`,
        )
      ).data!.tasks.nodes;

    // Each run starts an invoice approval and sees only its own review task; nothing lands in the data folder.
    for (const invoiceNumber of ['INV-8', 'INV-9']) {
      const url = await start();
      const started = await gql(
        url,
        carol,
        `mutation($v: JSON) { startProcess(processDefinitionKey: "invoice-approval", variables: $v) {
          processInstanceId } }`,
        { v: { invoiceNumber, supplier: 'ACME', amount: 5, submitter: 'carol' } },
      );
      expect(started.errors).toBeUndefined();
      const reviewsNow = reviews(url);
      await waitFor(
        async () => expect(await reviewsNow()).toEqual([{ taskDefinitionKey: 'ReviewInvoice' }]),
        {
          timeout: 15_000,
        },
      );
      expect(readdirSync(dataDir)).toEqual([]);
      await app!.close();
      app = undefined;
    }
  });
});

describe('the insurance claim, with the payment confirmed through the messages API', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'eddy-platform-claim-'));
  let app: INestApplication | undefined;
  const claimsBot = { id: 'claims-bot', groups: ['process-applications'] };
  const assessor = { id: 'ann', groups: ['assessors'] };
  const underwriter = { id: 'uma', groups: ['underwriters'] };
  const handler = { id: 'hal', groups: ['claims-handlers'] };

  afterAll(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs the claim to its closing task once the payment application confirms the payment', async () => {
    app = await createApp(platformConfig(dataDir));
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    type Task = { id: string; taskDefinitionKey: string; payload: Record<string, unknown> };
    const tasksOf = (user: { id: string; groups: string[] }) => async () =>
      (
        await gql<{ tasks: { nodes: Task[] } }>(
          url,
          user,
          '{ tasks { nodes { id taskDefinitionKey payload } } }',
        )
      ).data!.tasks.nodes;
    const firstTaskOf = async (user: { id: string; groups: string[] }) => {
      await waitFor(async () => expect(await tasksOf(user)()).toHaveLength(1), { timeout: 15_000 });
      return (await tasksOf(user)())[0];
    };
    const claimAndComplete = async (
      user: { id: string; groups: string[] },
      id: string,
      variables: Record<string, unknown>,
    ) => {
      for (const mutation of [
        'mutation($id: ID!) { claimTask(id: $id) { id } }',
        'mutation($id: ID!, $v: JSON) { completeTask(id: $id, variables: $v) { id } }',
      ]) {
        expect((await gql(url, user, mutation, { id, v: variables })).errors).toBeUndefined();
      }
    };
    const sendMessage = (user: { id: string; groups: string[] } | null, body: unknown) =>
      fetch(`${url}/api/messages`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(user ? { 'x-user': user.id, 'x-groups': user.groups.join(',') } : {}),
        },
        body: JSON.stringify(body),
      });

    // The claims application registered claim CLM-1 and starts its process (it is a candidate starter).
    const started = await gql<{ startProcess: { processInstanceId: string } }>(
      url,
      claimsBot,
      `mutation($v: JSON) { startProcess(processDefinitionKey: "insurance-claim", variables: $v) {
        processInstanceId } }`,
      { v: { policyNumber: 'P-1', claimId: 'CLM-1' } },
    );
    expect(started.errors).toBeUndefined();
    const instanceId = started.data!.startProcess.processInstanceId;

    // Registering the claim is a job (a service task): the claims application's worker takes and completes it.
    const asClaimsBot = {
      'content-type': 'application/json',
      'x-user': claimsBot.id,
      'x-groups': claimsBot.groups.join(','),
    };
    const activation = await fetch(`${url}/v2/jobs/activation`, {
      method: 'POST',
      headers: asClaimsBot,
      body: JSON.stringify({
        type: 'register-claim',
        worker: 'claims',
        timeout: 60_000,
        maxJobsToActivate: 1,
        requestTimeout: 15_000,
      }),
    });
    const [registration] = (
      (await activation.json()) as { jobs: { jobKey: string; processInstanceKey: string }[] }
    ).jobs;
    expect(registration.processInstanceKey).toBe(instanceId);
    const registered = await fetch(`${url}/v2/jobs/${registration.jobKey}/completion`, {
      method: 'POST',
      headers: asClaimsBot,
      body: JSON.stringify({ variables: { registeredBy: 'claims' } }),
    });
    expect(registered.status).toBe(204);

    const assess = await firstTaskOf(assessor);
    const policy = await firstTaskOf(underwriter);
    expect([assess.taskDefinitionKey, policy.taskDefinitionKey]).toEqual(['AssessDamage', 'CheckPolicy']);
    await claimAndComplete(assessor, assess.id, { damage: 1800 });
    // The policy check, still open, now sees the assessed damage.
    await waitFor(
      async () =>
        expect((await tasksOf(underwriter)())[0]?.payload).toMatchObject({ claimId: 'CLM-1', damage: 1800 }),
      { timeout: 15_000 },
    );
    await claimAndComplete(underwriter, policy.id, { covered: true });

    // The process waits for the payment. Only process applications may send messages, and bad ones are named.
    const payment = { name: 'payment-confirmed', correlationKey: 'CLM-1', variables: { paidAmount: 1800 } };
    expect((await sendMessage(null, payment)).status).toBe(401);
    expect((await sendMessage(handler, payment)).status).toBe(403);
    const asText = await fetch(`${url}/api/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'text/plain',
        'x-user': claimsBot.id,
        'x-groups': claimsBot.groups.join(','),
      },
      body: JSON.stringify(payment),
    });
    expect(asText.status).toBe(415);
    expect(((await asText.json()) as { message: string }).message).toMatch(/content-type: application\/json/);
    const invalid = await sendMessage(claimsBot, { correlationKey: 'CLM-1' });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { message: string }).message).toContain('name');
    const badTimeToLive = await sendMessage(claimsBot, { ...payment, timeToLive: 'soon' });
    expect(badTimeToLive.status).toBe(400);
    expect(((await badTimeToLive.json()) as { message: string }).message).toContain('timeToLive');
    const other = await sendMessage(claimsBot, { ...payment, correlationKey: 'CLM-2' });
    expect(await other.json()).toMatchObject({ instanceIds: [] });

    // The payment application confirms, once, with a time to live: whether the claim already waits for the
    // payment or gets there later, it receives the message; the same message sent again changes nothing.
    const confirmation = { ...payment, messageId: 'payment-CLM-1', timeToLive: 'PT1M' };
    const confirmed = await sendMessage(claimsBot, confirmation);
    expect(confirmed.status).toBe(200);
    const answer = (await confirmed.json()) as { messageId: string; instanceIds: string[] };
    expect(answer.messageId).toBe('payment-CLM-1');
    expect([[], [instanceId]]).toContainEqual(answer.instanceIds);
    expect(await (await sendMessage(claimsBot, confirmation)).json()).toEqual({
      messageId: 'payment-CLM-1',
      instanceIds: [],
    });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/eddy_messages_total\{outcome="invalid"\} 2\b/);
    const close = await firstTaskOf(handler);
    expect(close).toMatchObject({
      taskDefinitionKey: 'CloseClaim',
      payload: { claimId: 'CLM-1', paidAmount: 1800, covered: true },
    });
  });
});
