import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Camunda8 } from '@camunda8/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { requireServer } from '@eddy/testing/servers';

const fixtures = join(__dirname, 'fixtures');

type UserTask = Awaited<
  ReturnType<ReturnType<Camunda8['getCamundaRestClient']>['searchUserTasks']>
>['items'][number];

describe('Camunda 8 (@camunda8/sdk) against the real engine', () => {
  const zeebe = requireServer('zeebe');
  const c8 = new Camunda8({
    ZEEBE_GRPC_ADDRESS: `grpc://${zeebe.grpcAddress}`,
    ZEEBE_REST_ADDRESS: zeebe.restAddress,
    CAMUNDA_AUTH_STRATEGY: 'NONE',
    CAMUNDA_OAUTH_DISABLED: true,
    zeebeGrpcSettings: { ZEEBE_CLIENT_LOG_LEVEL: 'NONE' },
    CAMUNDA_LOG_LEVEL: 'error',
  });
  const grpc = c8.getZeebeGrpcApiClient();
  const rest = c8.getCamundaRestClient();

  afterAll(async () => {
    await grpc.close();
  });

  it('deploys a model and runs an instance to completion through a job worker', async () => {
    const deployment = await grpc.deployResource({
      processFilename: join(fixtures, 'smoke-service-task.bpmn'),
    });
    expect(deployment.deployments[0].process.bpmnProcessId).toBe('eddy-smoke-service-task');

    const worker = grpc.createWorker({
      taskType: 'eddy-smoke-work',
      taskHandler: (job) => job.complete({ worked: true, by: job.variables.requestedBy }),
    });
    try {
      const result = await grpc.createProcessInstanceWithResult({
        bpmnProcessId: 'eddy-smoke-service-task',
        variables: { requestedBy: 'kermit' },
        requestTimeout: 60_000,
      });
      expect(result.variables).toMatchObject({ worked: true, by: 'kermit' });
    } finally {
      await worker.close();
    }
  });

  it('starts an instance, finds its zeebe:userTask through the REST v2 user-task search, completes it and sees the instance complete', async () => {
    const deployment = await rest.deployResourcesFromFiles([join(fixtures, 'smoke-user-task.bpmn')]);
    expect(deployment.processes.map((p) => p.processDefinitionId)).toContain('eddy-smoke-user-task');

    const approver = `approver-${randomUUID().slice(0, 8)}`;
    // Awaiting the result over gRPC is how this test sees the instance complete.
    const completion = grpc.createProcessInstanceWithResult({
      bpmnProcessId: 'eddy-smoke-user-task',
      variables: { approver },
      requestTimeout: 120_000,
    });
    completion.catch(() => undefined); // awaited below; keeps an early rejection from going unhandled

    const task = await findUserTask(approver);
    expect(task).toMatchObject({
      elementId: 'approve',
      processDefinitionId: 'eddy-smoke-user-task',
      assignee: approver,
      state: 'CREATED',
    });

    await rest.completeUserTask({ userTaskKey: task.userTaskKey, variables: { approved: true } });
    const result = await completion;
    expect(result.variables).toMatchObject({ approver, approved: true });
  });

  /** Polls the REST v2 user-task search until the task assigned to `assignee` is there. */
  async function findUserTask(assignee: string): Promise<UserTask> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      let items: UserTask[];
      try {
        ({ items } = await rest.searchUserTasks({
          filter: { processDefinitionId: 'eddy-smoke-user-task', assignee, state: 'CREATED' },
        }));
      } catch (err) {
        throw new Error(
          `ZEEBE-SMOKE-001 REST v2 user-task search failed (${String(err)}); ` +
            (zeebe.searchUnavailable ?? 'infra:up reported no reason'),
        );
      }
      if (items.length > 0) return items[0];
      if (Date.now() > deadline) throw new Error(`ZEEBE-SMOKE-002 no user task for ${assignee} within 60s`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
});
