import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Camunda8 } from '@camunda8/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { requireServer } from '@eddy/testing/servers';

const fixtures = join(__dirname, 'fixtures');
const models = join(__dirname, '..', '..', 'bpmn');

/**
 * One line of the file that Eddy's Zeebe exporter (infra/zeebe/exporter) writes: Camunda 8.6 serves
 * no user-task search without Elasticsearch, so the broker's own events are how user tasks are seen.
 * Keys are strings; fields of the other value type are absent.
 */
interface ExportedRecord {
  partitionId: number;
  position: number;
  timestamp: number;
  valueType: 'USER_TASK' | 'PROCESS_INSTANCE';
  intent: string;
  key: string;
  processInstanceKey: string;
  bpmnProcessId: string;
  elementId: string;
  // USER_TASK only
  userTaskKey?: string;
  assignee?: string | null;
  candidateGroups?: string[];
  candidateUsers?: string[];
  dueDate?: string | null;
  followUpDate?: string | null;
  formKey?: string | null;
  externalFormReference?: string | null;
  priority?: number;
  variables?: Record<string, unknown>;
  // PROCESS_INSTANCE only
  bpmnElementType?: string;
}

describe('Camunda 8 (@camunda8/sdk) against the real engine', () => {
  const zeebe = requireServer('zeebe');
  const exportFile = process.env.EDDY_TEST_ZEEBE_EXPORT_FILE?.trim();
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

  it('starts an instance, observes its zeebe:userTask in the export, completes it over REST v2 and sees the instance complete', async () => {
    const deployment = await rest.deployResourcesFromFiles([join(fixtures, 'smoke-user-task.bpmn')]);
    expect(deployment.processes.map((p) => p.processDefinitionId)).toContain('eddy-smoke-user-task');

    const approver = `approver-${randomUUID().slice(0, 8)}`;
    const { processInstanceKey } = await grpc.createProcessInstance({
      bpmnProcessId: 'eddy-smoke-user-task',
      variables: { approver },
    });

    const created = await userTaskEvent(processInstanceKey, 'CREATED', 'approve');
    expect(created).toMatchObject({
      bpmnProcessId: 'eddy-smoke-user-task',
      elementId: 'approve',
      assignee: approver,
      candidateGroups: ['approvers'],
      candidateUsers: [],
      priority: 60,
    });

    await rest.completeUserTask({ userTaskKey: created.userTaskKey!, variables: { approved: true } });

    const completed = await userTaskEvent(processInstanceKey, 'COMPLETED', 'approve');
    expect(completed.userTaskKey).toBe(created.userTaskKey);
    expect(completed.variables).toMatchObject({ approved: true });
    await processCompleted(processInstanceKey);
  });

  it('deploys every model of bpmn/ unchanged, as the embedded engine runs them', async () => {
    const files = (await readdir(models)).filter((f) => f.endsWith('.bpmn')).sort();
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const file of files) {
      const deployment = await grpc.deployResource({
        process: await readFile(join(models, file)),
        name: file,
      });
      expect(deployment.deployments[0].process.resourceName).toBe(file);
    }
  });

  it('drives bpmn/invoice-approval.bpmn through review, clarification, approval and archiving', async () => {
    const deployment = await grpc.deployResource({
      process: await readFile(join(models, 'invoice-approval.bpmn')),
      name: 'invoice-approval.bpmn',
    });
    expect(deployment.deployments[0].process.bpmnProcessId).toBe('invoice-approval');

    const submitter = `clerk-${randomUUID().slice(0, 8)}`;
    // Another run against the same broker may take this instance's job with its own worker, which does
    // the same; the process's one end event lies behind the archive job, so completion shows it ran.
    const worker = grpc.createWorker({
      taskType: 'archive-invoice',
      taskHandler: (job) => job.complete({ archived: true }),
    });
    try {
      const invoiceNumber = `INV-${randomUUID().slice(0, 8)}`;
      const { processInstanceKey } = await grpc.createProcessInstance({
        bpmnProcessId: 'invoice-approval',
        variables: { invoiceNumber, supplier: 'ACME', amount: 120, submitter },
      });

      const review = await userTaskEvent(processInstanceKey, 'CREATED', 'ReviewInvoice');
      expect(review).toMatchObject({
        bpmnProcessId: 'invoice-approval',
        assignee: null,
        candidateGroups: ['accounting'],
        priority: 60,
        externalFormReference: 'forms/invoice-review',
      });
      // dueDate is `now() + P3D` in the model, so after the moment the task was created. Zeebe writes
      // FEEL's zoned date-time, e.g. `2026-11-25T00:35:46.415Z[Etc/UTC]`: ISO 8601 plus the zone id.
      expect(review.dueDate).toMatch(/^\d{4}-\d\d-\d\dT[^[]+(\[[^\]]+\])?$/);
      expect(Date.parse(review.dueDate!.replace(/\[[^\]]+\]$/, ''))).toBeGreaterThan(review.timestamp);

      await rest.completeUserTask({ userTaskKey: review.userTaskKey!, variables: { approved: false } });
      const clarify = await userTaskEvent(processInstanceKey, 'CREATED', 'ClarifyInvoice');
      expect(clarify).toMatchObject({
        assignee: submitter,
        candidateGroups: [],
        priority: 50,
        externalFormReference: 'forms/invoice-clarify',
      });

      await rest.completeUserTask({ userTaskKey: clarify.userTaskKey!, variables: { amount: 100 } });
      const secondReview = await userTaskEvent(
        processInstanceKey,
        'CREATED',
        'ReviewInvoice',
        (r) => r.userTaskKey !== review.userTaskKey,
      );
      expect(secondReview.candidateGroups).toEqual(['accounting']);

      await rest.completeUserTask({ userTaskKey: secondReview.userTaskKey!, variables: { approved: true } });
      const completed = await processCompleted(processInstanceKey);
      expect(completed.bpmnProcessId).toBe('invoice-approval');
    } finally {
      await worker.close();
    }
  });

  /** The user-task event `intent` of `elementId` in the instance, once the exporter has written it. */
  function userTaskEvent(
    processInstanceKey: string,
    intent: string,
    elementId: string,
    also: (record: ExportedRecord) => boolean = () => true,
  ): Promise<ExportedRecord> {
    return exported(
      `USER_TASK ${intent} of ${elementId} in instance ${processInstanceKey}`,
      (r) =>
        r.valueType === 'USER_TASK' &&
        r.intent === intent &&
        r.processInstanceKey === processInstanceKey &&
        r.elementId === elementId &&
        also(r),
    );
  }

  function processCompleted(processInstanceKey: string): Promise<ExportedRecord> {
    return exported(
      `PROCESS_INSTANCE ELEMENT_COMPLETED of instance ${processInstanceKey}`,
      (r) =>
        r.valueType === 'PROCESS_INSTANCE' &&
        r.intent === 'ELEMENT_COMPLETED' &&
        r.bpmnElementType === 'PROCESS' &&
        r.key === processInstanceKey,
    );
  }

  /** Polls the exporter's JSON-lines file until a record matches; fails after 60s naming what it waited for. */
  async function exported(what: string, matches: (r: ExportedRecord) => boolean): Promise<ExportedRecord> {
    if (exportFile === undefined || exportFile === '') {
      throw new Error(
        'ZEEBE-SMOKE-003 EDDY_TEST_ZEEBE_EXPORT_FILE is not set: run npm run infra:up and source .infra/env',
      );
    }
    const deadline = Date.now() + 60_000;
    for (;;) {
      const found = (await readExport(exportFile)).find(matches);
      if (found !== undefined) return found;
      if (Date.now() > deadline) {
        throw new Error(`ZEEBE-SMOKE-002 the exporter wrote no ${what} to ${exportFile} within 60s`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
});

/** The complete lines of the export; a line still being written (no newline yet) waits for the next poll. */
async function readExport(file: string): Promise<ExportedRecord[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  return complete
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ExportedRecord);
}
