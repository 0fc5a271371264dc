import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Camunda8RestStub } from '@eddy/testing/camunda8-rest.stub';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config/eddy.config';
import { gql, SubscriptionRecorder, wsClient } from './helpers/graphql';

/**
 * The platform with `EDDY_ENGINE=camunda8`, its connection in the SDK's own variables, against the stub of
 * Camunda 8.8's REST API (not Camunda: see the collector README). A process started through GraphQL is
 * started in "Camunda"; its task reaches the tasklist through the task listeners; claiming and completing it
 * through GraphQL reaches Camunda through the engine client.
 */

interface TaskChange {
  taskChanges: {
    kind: 'SNAPSHOT' | 'UPSERTED' | 'REMOVED';
    tasks: { id: string; taskDefinitionKey: string; assignee: string | null; processInstanceId: string }[];
    removedIds: string[];
  };
}

const alice = { id: 'alice', groups: ['accounting'] };
const carol = { id: 'carol', groups: ['clerks'] };

describe('the platform on Camunda 8 (REST stub)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'eddy-camunda8-platform-'));
  let stub: Camunda8RestStub;
  let app: INestApplication | undefined;
  let url: string;
  const closers: (() => void)[] = [];

  beforeAll(async () => {
    stub = await Camunda8RestStub.start();
    // The SDK's own variables, as an operator sets them.
    const config = loadConfig({
      ZEEBE_REST_ADDRESS: stub.url,
      CAMUNDA_AUTH_STRATEGY: 'NONE',
      CAMUNDA_LOG_LEVEL: 'none',
      EDDY_AUTH_MODE: 'dev',
      EDDY_ENGINE: 'camunda8',
      EDDY_DATA_DIR: dataDir,
      EDDY_BPMN_DIR: resolve(__dirname, '../bpmn'),
      EDDY_LOG_LEVEL: 'warn',
    });
    app = await createApp(config);
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    closers.forEach((close) => close());
    await app?.close();
    await stub?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('deploys bpmn/ to Camunda with the listeners and runs a task from the tasklist to Camunda and back', async () => {
    // Six models (order-fulfilment.bpmn holds two processes) and the decisions of order-discount.dmn.
    expect(stub.requests.filter((r) => r === 'POST /deployments')).toHaveLength(7);

    const aliceClient = wsClient(url, alice);
    closers.push(() => void aliceClient.dispose());
    const aliceList = new SubscriptionRecorder<TaskChange>(
      aliceClient,
      'subscription { taskChanges { kind removedIds tasks { id taskDefinitionKey assignee processInstanceId } } }',
    );
    closers.push(aliceList.dispose);
    await aliceList.next((m) => m.taskChanges.kind === 'SNAPSHOT');

    const started = await gql<{ startProcess: { processInstanceId: string } }>(
      url,
      carol,
      `mutation($v: JSON) { startProcess(processDefinitionKey: "invoice-approval", variables: $v) { processInstanceId } }`,
      { v: { invoiceNumber: 'INV-9', supplier: 'ACME', amount: 900, submitter: 'carol' } },
    );
    expect(started.errors).toBeUndefined();
    const instanceId = started.data!.startProcess.processInstanceId;
    expect(stub.instanceState(instanceId)).toBe('ACTIVE');

    const arrived = await aliceList.next(
      (m) => m.taskChanges.kind === 'UPSERTED' && m.taskChanges.tasks[0]?.processInstanceId === instanceId,
    );
    const review = arrived.taskChanges.tasks[0];
    expect(review.taskDefinitionKey).toBe('ReviewInvoice');
    expect(stub.userTask(review.id)).toMatchObject({
      elementId: 'ReviewInvoice',
      processInstanceKey: instanceId,
    });

    const claimed = await gql(url, alice, `mutation($id: ID!) { claimTask(id: $id) { id assignee } }`, {
      id: review.id,
    });
    expect(claimed.errors).toBeUndefined();
    // The engine client assigns the task in Camunda; the assigning listener reports it back.
    await stub.until(() => stub.userTask(review.id)?.assignee === 'alice', 'the assignment in Camunda');
    await stub.until(() => stub.userTask(review.id)?.state === 'CREATED', 'the assigning listener to finish');

    const completed = await gql(
      url,
      alice,
      `mutation($id: ID!) { completeTask(id: $id, variables: {approved: true}) { id } }`,
      {
        id: review.id,
      },
    );
    expect(completed.errors).toBeUndefined();
    await stub.until(() => stub.userTask(review.id)?.state === 'COMPLETED', 'the completion in Camunda');
    expect(stub.instanceVariables(instanceId)).toMatchObject({ approved: true });
    await aliceList.next(
      (m) => m.taskChanges.kind === 'REMOVED' && m.taskChanges.removedIds.includes(review.id),
    );
    expect(stub.jobs().filter((j) => j.state === 'INCIDENT')).toEqual([]);
  });
});
