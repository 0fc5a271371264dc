import { waitFor } from '@eddy/testing/wait-for';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { gql, SubscriptionRecorder, wsClient } from './helpers/graphql';
import { DistributedCluster } from './support/distributed-cluster';

/**
 * Requests that cross the roles of the distributed layout, as separate processes on PostgreSQL, Kafka and
 * the MongoDB-compatible server: `collector,core,relay` with the embedded engine, a `projector`, and two
 * `api` replicas that hand their users' commands to the core and their process starts and messages to the
 * collector over Kafka, and answer with the outcome.
 */
const carl = { id: 'carl', groups: ['clerks'] };
const dora = { id: 'dora', groups: ['clerks'] };
const service = { 'content-type': 'application/json', 'x-user': 'shop', 'x-groups': 'process-applications' };
/** How long a subscriber waits for a change: generous, the machine may be shared and slow. */
const WAIT = 120_000;

interface TaskRow {
  id: string;
  taskDefinitionKey: string;
  processInstanceId: string | null;
  assignee: string | null;
}
interface TaskChange {
  taskChanges: { kind: string; removedIds: string[]; tasks: TaskRow[] };
}
const TASK_CHANGES =
  'subscription { taskChanges { kind removedIds tasks { id taskDefinitionKey processInstanceId assignee } } }';
const TASK = 'id taskDefinitionKey processInstanceId assignee';

const taskOf =
  (instanceId: string, key: string, assignee: string | null = null) =>
  (m: TaskChange) =>
    m.taskChanges.tasks.some(
      (t) => t.processInstanceId === instanceId && t.taskDefinitionKey === key && t.assignee === assignee,
    );
const found = (m: TaskChange, instanceId: string, key: string) =>
  m.taskChanges.tasks.find((t) => t.processInstanceId === instanceId && t.taskDefinitionKey === key)!;

describe('requests across the roles of the distributed layout', () => {
  jest.setTimeout(900_000);
  let cluster: DistributedCluster;
  const clients: ReturnType<typeof wsClient>[] = [];
  const recorders: SubscriptionRecorder<TaskChange>[] = [];
  const subscribe = async (url: string, user: typeof carl) => {
    const client = wsClient(url, user);
    clients.push(client);
    const recorder = new SubscriptionRecorder<TaskChange>(client, TASK_CHANGES);
    recorders.push(recorder);
    await recorder.next((m) => m.taskChanges.kind === 'SNAPSHOT', WAIT);
    return recorder;
  };

  beforeAll(async () => {
    cluster = await DistributedCluster.start({ bpmnDir: resolve(__dirname, 'fixtures', 'distributed') });
  });

  afterAll(async () => {
    for (const r of recorders) r.dispose();
    await Promise.all(clients.map((c) => c.dispose()));
    await cluster?.stop();
  });

  it('starts on one api, claims on the other with read your writes, completes, and messages the engine', async () => {
    const onApi2 = await subscribe(cluster.url('api2'), carl);
    // The model as the collector deployed it through the core, in the views every api serves.
    await waitFor(
      async () => {
        const answer = await gql<{ startableProcesses: { key: string }[] }>(
          cluster.url('api1'),
          carl,
          '{ startableProcesses { key } }',
        );
        expect(answer.data?.startableProcesses).toEqual([{ key: 'handover' }]);
      },
      { timeout: WAIT, interval: 250 },
    );

    // A start through api1's GraphQL reaches the engine in the core process, which answers with the id.
    const started = await gql<{ startProcess: { processInstanceId: string } }>(
      cluster.url('api1'),
      carl,
      'mutation($v: JSON) { startProcess(processDefinitionKey: "handover", variables: $v) { processInstanceId } }',
      { v: { orderId: 'order-1' } },
    );
    expect(started.errors).toBeUndefined();
    const instanceId = started.data!.startProcess.processInstanceId;
    expect(instanceId).toMatch(/^[0-9a-f-]{36}$/);

    // Its first task reaches the subscriber on api2: engine, collector, core, relay, Kafka, projector, views.
    const prepare = found(await onApi2.next(taskOf(instanceId, 'Prepare'), WAIT), instanceId, 'Prepare');

    // A claim on api2 goes to the core through the command topic and answers with its own change.
    const claimed = await gql<{ claimTask: TaskRow }>(
      cluster.url('api2'),
      carl,
      `mutation($id: ID!) { claimTask(id: $id) { ${TASK} } }`,
      { id: prepare.id },
    );
    expect(claimed.errors).toBeUndefined();
    expect(claimed.data?.claimTask).toMatchObject({ id: prepare.id, assignee: 'carl' });
    // The other api serves the same answer: its view shows carl's claim, and dora's claim is refused.
    const taken = await gql(cluster.url('api1'), dora, `mutation($id: ID!) { claimTask(id: $id) { id } }`, {
      id: prepare.id,
    });
    expect(taken.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'TASK_ASSIGNED' });

    // A completion on api1 reaches the engine through the core and the engine client; the next task appears on api2.
    const completed = await gql<{ completeTask: TaskRow }>(
      cluster.url('api1'),
      carl,
      `mutation($id: ID!, $v: JSON) { completeTask(id: $id, variables: $v) { ${TASK} } }`,
      { id: prepare.id, v: { prepared: true } },
    );
    expect(completed.errors).toBeUndefined();
    expect(completed.data?.completeTask.id).toBe(prepare.id);
    const approve = found(await onApi2.next(taskOf(instanceId, 'Approve'), WAIT), instanceId, 'Approve');
    await onApi2.next((m) => m.taskChanges.removedIds.includes(prepare.id), WAIT);

    // Claim and complete the second task, this time both on api2; the instance then waits for the message.
    const claimedAgain = await gql(
      cluster.url('api2'),
      dora,
      `mutation($id: ID!) { claimTask(id: $id) { id } }`,
      {
        id: approve.id,
      },
    );
    expect(claimedAgain.errors).toBeUndefined();
    const approved = await gql(
      cluster.url('api2'),
      dora,
      `mutation($id: ID!) { completeTask(id: $id) { id } }`,
      {
        id: approve.id,
      },
    );
    expect(approved.errors).toBeUndefined();
    await onApi2.next((m) => m.taskChanges.removedIds.includes(approve.id), WAIT);

    // A message through api1 reaches the engine, which answers with the instance that caught it (the
    // transaction that closed the task opened the receive task's subscription).
    const messageId = `payment-${cluster.run}`;
    const sendMessage = (url: string) =>
      fetch(`${url}/api/messages`, {
        method: 'POST',
        headers: service,
        body: JSON.stringify({ name: 'payment-received', correlationKey: 'order-1', messageId }),
      });
    const correlated = await sendMessage(cluster.url('api1'));
    expect(correlated.status).toBe(200);
    expect(await correlated.json()).toEqual({ messageId, instanceIds: [instanceId] });
    const ship = found(await onApi2.next(taskOf(instanceId, 'Ship'), WAIT), instanceId, 'Ship');
    // The same message again, through the other api: answered as before, and nothing changes.
    const again = await sendMessage(cluster.url('api2'));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ messageId, instanceIds: [instanceId] });

    // api2 restarts (a new instance id, a new replies group): its requests are answered as before.
    onApi2.dispose();
    await cluster.restart('api2');
    const shipped = await gql<{ claimTask: TaskRow }>(
      cluster.url('api2'),
      dora,
      `mutation($id: ID!) { claimTask(id: $id) { ${TASK} } }`,
      { id: ship.id },
    );
    expect(shipped.errors).toBeUndefined();
    expect(shipped.data?.claimTask).toMatchObject({ id: ship.id, assignee: 'dora' });
    const tasks = await gql<{ tasks: { nodes: TaskRow[] } }>(
      cluster.url('api1'),
      dora,
      `{ tasks { nodes { ${TASK} } } }`,
    );
    expect(tasks.data?.tasks.nodes.filter((t) => t.processInstanceId === instanceId)).toEqual([
      { id: ship.id, taskDefinitionKey: 'Ship', processInstanceId: instanceId, assignee: 'dora' },
    ]);
  });

  it('answers a request whose reply never comes with a timeout code, and never carries it out later', async () => {
    // A third api that waits 3 s for its answers, and a task to claim.
    const impatient = await cluster.startExtra('api3', 'api', { EDDY_KAFKA_REQUEST_TIMEOUT_MS: '3000' });
    const started = await gql<{ startProcess: { processInstanceId: string } }>(
      impatient.url,
      carl,
      'mutation($v: JSON) { startProcess(processDefinitionKey: "handover", variables: $v) { processInstanceId } }',
      { v: { orderId: 'order-2' } },
    );
    expect(started.errors).toBeUndefined();
    const instanceId = started.data!.startProcess.processInstanceId;
    const prepare = await waitFor(
      async () => {
        const answer = await gql<{ tasks: { nodes: TaskRow[] } }>(
          impatient.url,
          carl,
          `{ tasks { nodes { ${TASK} } } }`,
        );
        const task = answer.data?.tasks.nodes.find((t) => t.processInstanceId === instanceId);
        expect(task).toBeDefined();
        return task!;
      },
      { timeout: WAIT, interval: 250 },
    );

    // The core process is gone (kill -9): no reply comes, and each request answers with its code in time.
    await cluster.kill('core');
    const claim = await gql(impatient.url, carl, `mutation($id: ID!) { claimTask(id: $id) { id } }`, {
      id: prepare.id,
    });
    expect(claim.errors?.[0].extensions).toMatchObject({ code: 'TIMEOUT', reason: 'CORE_TIMEOUT' });
    expect(claim.errors?.[0].message).toMatch(/no reply within 3000 ms/);
    const start = await gql(
      impatient.url,
      carl,
      'mutation { startProcess(processDefinitionKey: "handover") { processInstanceId } }',
    );
    expect(start.errors?.[0].extensions).toMatchObject({ code: 'TIMEOUT', reason: 'ENGINE_TIMEOUT' });
    const message = await fetch(`${impatient.url}/api/messages`, {
      method: 'POST',
      headers: service,
      body: JSON.stringify({ name: 'payment-received', correlationKey: 'order-2' }),
    });
    expect(message.status).toBe(504);
    expect(((await message.json()) as { message: string }).message).toMatch(/^ENGINE_TIMEOUT /);

    // Back again, the core finds the requests past their deadline and carries none of them out.
    const core = cluster.process('core');
    const seen = core.log.length;
    await cluster.restart('core');
    await waitFor(
      () => {
        const lines = core.log.slice(seen).join('\n');
        expect(lines).toMatch(/COMMAND-TOPIC-012 command \S+ .*not handed to the core/);
        expect(lines.match(/ENGINE-REQUESTS-011 /g)).toHaveLength(2);
      },
      { timeout: WAIT, interval: 250 },
    );
    const after = await gql<{ tasks: { nodes: TaskRow[] } }>(
      impatient.url,
      carl,
      `{ tasks { nodes { ${TASK} } } }`,
    );
    // The claim was not made, and the timed-out start made no instance (whose first task would be here).
    expect(after.data?.tasks.nodes.filter((t) => t.taskDefinitionKey === 'Prepare')).toEqual([
      { ...prepare, assignee: null },
    ]);
  });
});
