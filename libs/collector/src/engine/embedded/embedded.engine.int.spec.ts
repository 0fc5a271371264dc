import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { EngineError } from '../engine.errors';
import {
  type EngineEvent,
  type EngineTask,
  type EngineTransaction,
  type EngineTaskCreated,
} from '../engine.port';
import { EmbeddedProcessEngine, type EmbeddedProcessEngineOptions } from './embedded.engine';

const repoBpmn = (name: string) => readFileSync(join(__dirname, '../../../../../bpmn', name), 'utf8');
const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

/** Collects delivered transactions and waits for the ones a test expects. */
class Received {
  readonly transactions: EngineTransaction[] = [];
  get events(): EngineEvent[] {
    return this.transactions.flatMap((tx) => tx.events);
  }
  handler = async (tx: EngineTransaction) => {
    this.transactions.push(tx);
  };
  async waitFor<T>(find: () => T | undefined, what: string): Promise<T> {
    for (let i = 0; i < 500; i++) {
      const found = find();
      if (found !== undefined) return found;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`timed out waiting for ${what}`);
  }
  /** The open task created for an element (the last one if the element was entered several times). */
  async created(taskDefinitionKey: string, instanceId?: string, after = 0): Promise<EngineTask> {
    const event = await this.waitFor(
      () =>
        this.events
          .slice(after)
          .filter(
            (e): e is EngineTaskCreated =>
              e.type === 'task.created' &&
              e.task.taskDefinitionKey === taskDefinitionKey &&
              (!instanceId || e.task.processInstanceId === instanceId),
          )
          .at(-1),
      `task ${taskDefinitionKey} to be created`,
    );
    return event.task;
  }
  eventsOf(instanceId: string): EngineEvent[] {
    return this.transactions.filter((tx) => tx.processInstanceId === instanceId).flatMap((tx) => tx.events);
  }
}

const archiveJobs = (maxJobsToActivate: number) => ({
  type: 'archive-invoice',
  worker: 'archiver',
  timeoutMs: 60_000,
  maxJobsToActivate,
  requestTimeoutMs: 10_000,
});

describe('EmbeddedProcessEngine', () => {
  let dataDir: string;
  let engine: EmbeddedProcessEngine;
  let received: Received;
  const handlers: EmbeddedProcessEngineOptions['serviceHandlers'] = {
    'register-claim': async (job) => ({ claimId: `CLM-${String(job.variables.policyNumber)}` }),
  };

  const open = async (extra: Partial<EmbeddedProcessEngineOptions> = {}) => {
    engine = await EmbeddedProcessEngine.open({
      dataDir,
      serviceHandlers: handlers,
      redelivery: { initialDelayMs: 10, maxDelayMs: 20 },
      durability: 'normal',
      ...extra,
    });
    return engine;
  };

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'eddy-engine-'));
    received = new Received();
    await open();
    engine.onTransaction(received.handler);
  });

  afterEach(async () => {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('deployment', () => {
    it('deploys the example processes with their tasklist properties', async () => {
      const [invoice] = await engine.deploy({
        xml: repoBpmn('invoice-approval.bpmn'),
        resourceName: 'invoice-approval.bpmn',
      });
      const [leave] = await engine.deploy({
        xml: repoBpmn('leave-request.bpmn'),
        resourceName: 'leave-request.bpmn',
      });
      const [claim] = await engine.deploy({
        xml: repoBpmn('insurance-claim.bpmn'),
        resourceName: 'insurance-claim.bpmn',
      });

      expect(invoice).toMatchObject({
        id: 'invoice-approval:1',
        key: 'invoice-approval',
        version: 1,
        name: 'Invoice approval',
        versionTag: '1.0',
        formKey: 'forms/invoice-start',
        startableFromTasklist: true,
        candidateStarterGroups: ['accounting', 'clerks'],
        candidateStarterUsers: [],
        resourceName: 'invoice-approval.bpmn',
      });
      expect(leave).toMatchObject({
        key: 'leave-request',
        startableFromTasklist: true,
        candidateStarterGroups: ['employees'],
      });
      expect(claim).toMatchObject({
        candidateStarterGroups: ['claims-handlers'],
        candidateStarterUsers: ['claims-bot'],
      });
      expect((await engine.listProcessDefinitions()).map((d) => d.key).sort()).toEqual([
        'insurance-claim',
        'invoice-approval',
        'leave-request',
      ]);
    });

    it('keeps the version for identical XML and increments it when the XML changes', async () => {
      const xml = repoBpmn('invoice-approval.bpmn');
      const [first] = await engine.deploy({ xml, resourceName: 'a.bpmn' });
      const [again] = await engine.deploy({ xml, resourceName: 'a.bpmn' });
      const [changed] = await engine.deploy({
        xml: xml.replace('Review invoice', 'Check invoice'),
        resourceName: 'a.bpmn',
      });
      expect([first.version, again.version, changed.version]).toEqual([1, 1, 2]);
      expect(changed.id).not.toBe(first.id);
    });

    it('defaults startable to having a none start event, and honours eddy:startableFromTasklist', async () => {
      const xml = fixture('parallel-and-timer.bpmn');
      const [plain] = await engine.deploy({ xml, resourceName: 'p.bpmn' });
      expect(plain.startableFromTasklist).toBe(true);
      const hidden = xml.replace(
        '<bpmn:startEvent id="Start" />',
        '<bpmn:extensionElements><zeebe:properties><zeebe:property name="eddy:startableFromTasklist" value="false" /></zeebe:properties></bpmn:extensionElements><bpmn:startEvent id="Start" />',
      );
      const [notStartable] = await engine.deploy({ xml: hidden, resourceName: 'p.bpmn' });
      expect(notStartable.startableFromTasklist).toBe(false);
    });

    it('reports every element it cannot run, with its id, at deployment', async () => {
      const error = await engine
        .deploy({ xml: fixture('unsupported.bpmn'), resourceName: 'unsupported.bpmn' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EngineError);
      expect((error as EngineError).code).toBe('UNSUPPORTED_ELEMENT');
      expect((error as EngineError).message).toContain('Decide (bpmn:ComplexGateway)');
      expect((error as EngineError).details.map((d) => d.elementId).sort()).toEqual([
        'Decide',
        'Review',
        'Rules',
      ]);
      await expect(engine.startProcessInstance({ definitionKey: 'unsupported' })).rejects.toMatchObject({
        code: 'UNKNOWN_PROCESS_DEFINITION',
      });
    });

    it('rejects a condition that is not FEEL', async () => {
      const xml = repoBpmn('invoice-approval.bpmn').replace('=approved = true', '${approved}');
      await expect(engine.deploy({ xml, resourceName: 'x.bpmn' })).rejects.toMatchObject({
        code: 'UNSUPPORTED_ELEMENT',
        details: [expect.objectContaining({ elementId: 'Approved' })],
      });
    });

    it('rejects malformed XML with INVALID_BPMN', async () => {
      await expect(
        engine.deploy({ xml: '<bpmn:definitions', resourceName: 'broken.bpmn' }),
      ).rejects.toMatchObject({
        code: 'INVALID_BPMN',
      });
    });
  });

  describe('invoice approval', () => {
    const start = async () => {
      await engine.deploy({ xml: repoBpmn('invoice-approval.bpmn'), resourceName: 'invoice-approval.bpmn' });
      return engine.startProcessInstance({
        definitionKey: 'invoice-approval',
        businessKey: 'INV-1',
        variables: { invoiceNumber: 'INV-1', supplier: 'ACME', amount: 1200, submitter: 'sue' },
      });
    };

    it('creates the review task with its evaluated attributes in the start transaction', async () => {
      const before = Date.now();
      const { instanceId, definitionId } = await start();
      const task = await received.created('ReviewInvoice');
      const tx = received.transactions[0];
      expect(tx.processInstanceId).toBe(instanceId);
      expect(tx.events.map((e) => e.type)).toEqual(['processInstance.started', 'task.created']);
      expect(task).toMatchObject({
        name: 'Review invoice',
        taskDefinitionKey: 'ReviewInvoice',
        description: 'Invoice INV-1 from ACME over 1200',
        formKey: 'forms/invoice-review',
        priority: 60,
        candidateGroups: ['accounting'],
        candidateUsers: [],
        assignee: null,
        followUpDate: null,
        processInstanceId: instanceId,
        processDefinitionId: definitionId,
        processDefinitionKey: 'invoice-approval',
        processName: 'Invoice approval',
        businessKey: 'INV-1',
      });
      const due = Date.parse(task.dueDate!);
      expect(due).toBeGreaterThanOrEqual(before + 3 * 86_400_000 - 1000);
      expect(due).toBeLessThanOrEqual(Date.now() + 3 * 86_400_000 + 1000);
      expect(tx.variables[task.id]).toMatchObject({ invoiceNumber: 'INV-1', amount: 1200 });
      expect(new Set(tx.events.map((e) => e.eventId)).size).toBe(2);
    });

    it('loops back to the review when not approved, and ends when approved', async () => {
      const { instanceId } = await start();
      const review = await received.created('ReviewInvoice');

      await engine.assignTask(review.id, 'alice');
      await engine.setTaskFollowUpDate(review.id, '2030-01-02T09:00:00Z');
      await engine.completeTask(review.id, { approved: false, comment: 'wrong VAT' });
      const clarify = await received.created('ClarifyInvoice');
      expect(clarify).toMatchObject({
        assignee: 'sue',
        description: "Answer the reviewer's questions and correct the invoice data.",
      });

      const n = received.events.length;
      await engine.completeTask(clarify.id, { amount: 1000 });
      const review2 = await received.created('ReviewInvoice', instanceId, n);
      expect(review2.id).not.toBe(review.id);
      expect(review2.description).toBe('Invoice INV-1 from ACME over 1000');

      await engine.completeTask(review2.id, { approved: true });
      // The archiving service task waits for a job worker, as in Camunda 8.
      const [archive] = await engine.jobs.activate(archiveJobs(1));
      expect(archive).toMatchObject({ elementId: 'ArchiveInvoice', processInstanceKey: instanceId });
      await engine.jobs.complete(archive.jobKey, { archived: true });
      await received.waitFor(
        () => received.events.find((e) => e.type === 'processInstance.finished'),
        'the instance to finish',
      );
      const types = received
        .eventsOf(instanceId)
        .map((e) => `${e.type}${'task' in e ? ` ${e.task.taskDefinitionKey}` : ''}`);
      expect(types).toEqual([
        'processInstance.started',
        'task.created ReviewInvoice',
        'task.assigned ReviewInvoice',
        'task.attributesChanged ReviewInvoice',
        'task.completed ReviewInvoice',
        'task.created ClarifyInvoice',
        'task.completed ClarifyInvoice',
        'task.created ReviewInvoice',
        'task.completed ReviewInvoice',
        'processInstance.finished',
      ]);
      const assigned = received.events.find((e) => e.type === 'task.assigned');
      expect(assigned).toMatchObject({ assignee: 'alice', task: { assignee: 'alice' } });
      const changed = received.events.find((e) => e.type === 'task.attributesChanged');
      expect(changed).toMatchObject({
        changed: ['followUpDate'],
        task: { followUpDate: '2030-01-02T09:00:00.000Z' },
      });
      const completion = received.transactions.find((tx) =>
        tx.events.some((e) => e.type === 'task.completed'),
      )!;
      expect(completion.events.map((e) => e.type)).toEqual(['task.completed', 'task.created']);
      expect(completion.events[0]).toMatchObject({ variables: { approved: false, comment: 'wrong VAT' } });
      expect(completion.variables[clarify.id]).toMatchObject({ approved: false, comment: 'wrong VAT' });
      await expect(engine.completeTask(review2.id)).rejects.toMatchObject({ code: 'UNKNOWN_TASK' });
    });

    it('rejects bad arguments naming the field', async () => {
      await start();
      const review = await received.created('ReviewInvoice');
      await expect(engine.setTaskFollowUpDate(review.id, 'tomorrow')).rejects.toThrow('followUpDate');
      await expect(engine.assignTask(review.id, '')).rejects.toThrow('assignee');
      await expect(engine.completeTask('nope')).rejects.toMatchObject({ code: 'UNKNOWN_TASK' });
      await expect(engine.startProcessInstance({ definitionKey: 'missing' })).rejects.toThrow(
        'definitionKey',
      );
    });

    it('cancelling an instance cancels its open task, then the instance', async () => {
      const { instanceId } = await start();
      const review = await received.created('ReviewInvoice');
      await engine.cancelProcessInstance(instanceId);
      const tx = await received.waitFor(
        () => received.transactions.find((t) => t.events.some((e) => e.type === 'processInstance.cancelled')),
        'the cancellation',
      );
      expect(tx.events).toMatchObject([
        { type: 'task.cancelled', reason: 'instanceCancelled', task: { id: review.id } },
        { type: 'processInstance.cancelled', reason: 'cancelled', instance: { id: instanceId } },
      ]);
      await expect(engine.completeTask(review.id)).rejects.toMatchObject({ code: 'UNKNOWN_TASK' });
      await expect(engine.cancelProcessInstance(instanceId)).rejects.toMatchObject({
        code: 'UNKNOWN_PROCESS_INSTANCE',
      });
    });
  });

  describe('leave request', () => {
    it('escalates to the managers when the deadline timer fires, cancelling the approval task', async () => {
      await engine.deploy({ xml: repoBpmn('leave-request.bpmn'), resourceName: 'leave-request.bpmn' });
      const { instanceId } = await engine.startProcessInstance({
        definitionKey: 'leave-request',
        variables: {
          employee: 'bob',
          firstDay: '2030-07-01',
          lastDay: '2030-07-14',
          teamLeadGroup: 'team-a-leads',
          approvalTimeout: 'PT0.3S',
        },
      });
      const approve = await received.created('ApproveLeave');
      expect(approve).toMatchObject({
        candidateGroups: ['team-a-leads'],
        description: 'bob asks for leave from 2030-07-01 to 2030-07-14',
        priority: 50,
      });
      expect(Date.parse(approve.followUpDate!)).toBeLessThan(Date.parse(approve.dueDate!));

      const escalated = await received.created('EscalatedApproval');
      expect(escalated).toMatchObject({ candidateGroups: ['managers'], priority: 80 });
      const tx = received.transactions.find((t) =>
        t.events.some((e) => e.type === 'task.created' && e.task.id === escalated.id),
      )!;
      expect(tx.events).toMatchObject([
        { type: 'task.cancelled', reason: 'boundaryEvent', task: { id: approve.id } },
        { type: 'task.created', task: { id: escalated.id } },
      ]);
      await expect(engine.completeTask(approve.id)).rejects.toMatchObject({ code: 'UNKNOWN_TASK' });

      await engine.completeTask(escalated.id, { approved: false });
      await received.waitFor(
        () => received.eventsOf(instanceId).find((e) => e.type === 'processInstance.finished'),
        'the instance to finish',
      );
    });

    it('takes the approval path before the deadline (exclusive gateway condition)', async () => {
      let recorded = 0;
      await engine.close();
      await open({ serviceHandlers: { 'record-leave': () => void recorded++ } });
      engine.onTransaction(received.handler);
      await engine.deploy({ xml: repoBpmn('leave-request.bpmn'), resourceName: 'leave-request.bpmn' });
      const { instanceId } = await engine.startProcessInstance({
        definitionKey: 'leave-request',
        variables: { employee: 'bob', firstDay: '2030-07-01', lastDay: '2030-07-02', teamLeadGroup: 'leads' },
      });
      const approve = await received.created('ApproveLeave');
      await engine.completeTask(approve.id, { approved: true });
      await received.waitFor(
        () => received.eventsOf(instanceId).find((e) => e.type === 'processInstance.finished'),
        'the instance to finish',
      );
      expect(recorded).toBe(1);
      expect(
        received.events.some(
          (e) => e.type === 'task.created' && e.task.taskDefinitionKey === 'EscalatedApproval',
        ),
      ).toBe(false);
    });
  });

  describe('insurance claim', () => {
    const start = async (policyNumber: string) => {
      await engine.deploy({ xml: repoBpmn('insurance-claim.bpmn'), resourceName: 'insurance-claim.bpmn' });
      return engine.startProcessInstance({ definitionKey: 'insurance-claim', variables: { policyNumber } });
    };

    it('runs the service task handler, joins the parallel checks and waits for the payment message', async () => {
      const { instanceId } = await start('P-7');
      const assess = await received.created('AssessDamage', instanceId);
      const policy = await received.created('CheckPolicy', instanceId);
      expect(assess.description).toBe('Assess the damage of claim CLM-P-7');
      expect(policy.description).toBe('Check the policy P-7 of claim CLM-P-7');
      expect(received.transactions.at(-1)!.variables[assess.id]).toMatchObject({ claimId: 'CLM-P-7' });

      await engine.completeTask(assess.id, { damage: 5000 });
      // The other check is still open: it is told that the variables it sees changed, and what they are now.
      const afterFirst = received.transactions.at(-1)!;
      expect(afterFirst.events).toMatchObject([
        { type: 'task.completed', task: { id: assess.id } },
        { type: 'task.variablesChanged', task: { id: policy.id } },
      ]);
      expect(afterFirst.variables[policy.id]).toMatchObject({ damage: 5000, claimId: 'CLM-P-7' });

      await engine.completeTask(policy.id, { covered: true });
      // The join is passed: the instance waits for the message, no task is open.
      expect(received.eventsOf(instanceId).at(-1)).toMatchObject({
        type: 'task.completed',
        task: { id: policy.id },
      });

      expect(
        await engine.correlateMessage({ name: 'payment-confirmed', correlationKey: 'CLM-OTHER' }),
      ).toEqual({
        instanceIds: [],
      });
      const result = await engine.correlateMessage({
        name: 'payment-confirmed',
        correlationKey: 'CLM-P-7',
        variables: { paidAmount: 5000 },
      });
      expect(result.instanceIds).toEqual([instanceId]);
      const close = await received.created('CloseClaim', instanceId);
      expect(received.transactions.at(-1)!.variables[close.id]).toMatchObject({
        paidAmount: 5000,
        claimId: 'CLM-P-7',
      });
      expect(await engine.correlateMessage({ name: 'payment-confirmed', correlationKey: 'CLM-P-7' })).toEqual(
        {
          instanceIds: [],
        },
      );
    });

    it('informs the customer when the claim is not covered', async () => {
      const { instanceId } = await start('P-8');
      const assess = await received.created('AssessDamage', instanceId);
      const policy = await received.created('CheckPolicy', instanceId);
      // Completing with a variable the instance already has with that value changes nothing for the
      // other open task.
      await engine.completeTask(assess.id, { claimId: 'CLM-P-8' });
      expect(received.transactions.at(-1)!.events.map((e) => e.type)).toEqual(['task.completed']);
      await engine.completeTask(policy.id, { covered: false });
      const inform = await received.created('InformCustomer', instanceId);
      expect(inform.candidateGroups).toEqual(['claims-handlers']);
    });
  });

  describe('parallel gateway and timer catch event', () => {
    it('waits for the timer, then joins both branches', async () => {
      await engine.deploy({ xml: fixture('parallel-and-timer.bpmn'), resourceName: 'p.bpmn' });
      const { instanceId } = await engine.startProcessInstance({ definitionKey: 'parallel-and-timer' });
      expect(received.eventsOf(instanceId).map((e) => e.type)).toEqual(['processInstance.started']);
      const a = await received.created('A', instanceId);
      const b = await received.created('B', instanceId);
      await engine.completeTask(b.id);
      expect(
        received.events.some((e) => e.type === 'task.created' && e.task.taskDefinitionKey === 'After'),
      ).toBe(false);
      await engine.completeTask(a.id);
      const after = await received.created('After', instanceId);
      await engine.completeTask(after.id);
      expect(received.eventsOf(instanceId).at(-1)).toMatchObject({ type: 'processInstance.finished' });
    });
  });

  describe('interrupting message boundary event', () => {
    const start = async (orderId: string) =>
      engine.startProcessInstance({ definitionKey: 'message-boundary', variables: { orderId } });

    beforeEach(async () => {
      await engine.deploy({ xml: fixture('message-boundary.bpmn'), resourceName: 'message-boundary.bpmn' });
    });

    it('cancels the task it is attached to and takes its own path when the message arrives', async () => {
      const { instanceId } = await start('O-1');
      const other = await start('O-2');
      const review = await received.created('ReviewOrder', instanceId);
      await received.created('ReviewOrder', other.instanceId);

      const result = await engine.correlateMessage({
        name: 'order-withdrawn',
        correlationKey: 'O-1',
        variables: { withdrawnBy: 'customer' },
      });
      expect(result).toEqual({ instanceIds: [instanceId] });
      const archive = await received.created('ArchiveOrder', instanceId);
      const tx = received.transactions.at(-1)!;
      expect(tx.events.map((e) => e.type)).toEqual(['task.cancelled', 'task.created']);
      expect(tx.events[0]).toMatchObject({ task: { id: review.id }, reason: 'boundaryEvent' });
      expect(tx.variables[archive.id]).toMatchObject({ orderId: 'O-1', withdrawnBy: 'customer' });
      await expect(engine.completeTask(review.id)).rejects.toMatchObject({ code: 'UNKNOWN_TASK' });

      // The subscription went with the task: a second message finds no one; the other order is untouched.
      expect(await engine.correlateMessage({ name: 'order-withdrawn', correlationKey: 'O-1' })).toEqual({
        instanceIds: [],
      });
      expect(received.eventsOf(other.instanceId).map((e) => e.type)).toEqual([
        'processInstance.started',
        'task.created',
      ]);
    });

    it('is no longer waited for once the task is completed', async () => {
      const { instanceId } = await start('O-3');
      const review = await received.created('ReviewOrder', instanceId);
      await engine.completeTask(review.id, {});
      expect(received.eventsOf(instanceId).at(-1)).toMatchObject({ type: 'processInstance.finished' });
      expect(await engine.correlateMessage({ name: 'order-withdrawn', correlationKey: 'O-3' })).toEqual({
        instanceIds: [],
      });
    });

    it('still interrupts the task after a restart', async () => {
      const { instanceId } = await start('O-4');
      const review = await received.created('ReviewOrder', instanceId);
      await engine.close();
      received = new Received();
      await open();
      engine.onTransaction(received.handler);

      expect(await engine.correlateMessage({ name: 'order-withdrawn', correlationKey: 'O-4' })).toEqual({
        instanceIds: [instanceId],
      });
      await received.created('ArchiveOrder', instanceId);
      expect(received.events[0]).toMatchObject({ type: 'task.cancelled', task: { id: review.id } });
    });
  });

  describe('non-interrupting timer boundary event', () => {
    beforeEach(async () => {
      await engine.deploy({ xml: fixture('reminder.bpmn'), resourceName: 'reminder.bpmn' });
    });
    const start = (reminderAfter: string) =>
      engine.startProcessInstance({ definitionKey: 'reminder', variables: { reminderAfter } });

    it('starts its path beside the task, which stays open and can still be completed', async () => {
      const { instanceId } = await start('PT0.2S');
      const approve = await received.created('Approve', instanceId);
      const chase = await received.created('Chase', instanceId);
      expect(received.eventsOf(instanceId).filter((e) => e.type === 'task.cancelled')).toEqual([]);

      await engine.completeTask(approve.id, {});
      await engine.completeTask(chase.id, {});
      expect(received.eventsOf(instanceId).at(-1)).toMatchObject({ type: 'processInstance.finished' });
    });

    it('does not fire once the task is completed, and fires after a restart while it is open', async () => {
      const early = await start('PT0.3S');
      const late = await start('PT0.3S');
      await engine.completeTask((await received.created('Approve', early.instanceId)).id, {});
      const waiting = await received.created('Approve', late.instanceId);
      await engine.close();

      received = new Received();
      await open();
      engine.onTransaction(received.handler);
      await received.created('Chase', late.instanceId);
      await new Promise((r) => setTimeout(r, 400));
      expect(received.eventsOf(early.instanceId)).toEqual([]);
      await engine.completeTask(waiting.id, {});
    });

    it('is refused for messages, which bpmn-engine would catch only once', async () => {
      const xml = fixture('message-boundary.bpmn').replace(
        '<bpmn:boundaryEvent id="Withdrawn" attachedToRef="ReviewOrder">',
        '<bpmn:boundaryEvent id="Withdrawn" attachedToRef="ReviewOrder" cancelActivity="false">',
      );
      await expect(engine.deploy({ xml, resourceName: 'm.bpmn' })).rejects.toMatchObject({
        code: 'UNSUPPORTED_ELEMENT',
        details: [expect.objectContaining({ elementId: 'Withdrawn' })],
      });
    });
  });

  describe('service task failures and incidents', () => {
    let attempts: number;
    let charge: (attempt: number) => Promise<Record<string, unknown>> | Record<string, unknown>;
    const retrying = {
      serviceHandlers: { charge: () => charge(++attempts) },
      serviceRetries: { maxAttempts: 3, initialDelayMs: 20, maxDelayMs: 40 },
    };
    const startOrder = (variables: Record<string, unknown>) =>
      engine.startProcessInstance({ definitionKey: 'service-and-gateway', variables });

    beforeEach(async () => {
      attempts = 0;
      await engine.close();
      await open(retrying);
      engine.onTransaction(received.handler);
      await engine.deploy({ xml: fixture('service-and-gateway.bpmn'), resourceName: 's.bpmn' });
    });

    it('tries a failing handler again and goes on once it succeeds', async () => {
      charge = (attempt) => {
        if (attempt < 3) throw new Error('card service unavailable');
        return { chargedAmount: 40 };
      };
      const { instanceId } = await startOrder({ route: 'ship' });
      const ship = await received.created('Ship', instanceId);
      expect(attempts).toBe(3);
      expect(received.transactions.at(-1)!.variables[ship.id]).toMatchObject({ chargedAmount: 40 });
      expect(received.eventsOf(instanceId).map((e) => e.type)).toEqual([
        'processInstance.started',
        'task.created',
      ]);
    });

    it('fails the instance with an incident once the last attempt has failed', async () => {
      charge = () => Promise.reject(new Error('card declined'));
      const { instanceId } = await startOrder({ route: 'ship' });
      const cancelled = await received.waitFor(
        () => received.eventsOf(instanceId).find((e) => e.type === 'processInstance.cancelled'),
        'the incident',
      );
      expect(attempts).toBe(3);
      expect(cancelled).toMatchObject({
        reason: 'incident',
        error: expect.stringContaining('card declined'),
      });
    });

    it('fails the instance with an incident when no flow leaves a gateway', async () => {
      charge = () => ({});
      const { instanceId } = await startOrder({ route: 'fly' });
      const events = await received.waitFor(() => {
        const found = received.eventsOf(instanceId);
        return found.some((e) => e.type === 'processInstance.cancelled') ? found : undefined;
      }, 'the incident');
      expect(events.map((e) => e.type)).toEqual(['processInstance.started', 'processInstance.cancelled']);
      expect(events[1]).toMatchObject({ reason: 'incident' });
    });

    it('keeps the engine of an instance whose handler is still running in memory', async () => {
      await engine.close();
      await open({ ...retrying, maxLiveInstances: 1 });
      engine.onTransaction(received.handler);
      let release: () => void = () => undefined;
      charge = (attempt) =>
        attempt === 1 ? new Promise((resolve) => (release = () => resolve({ chargedAmount: 1 }))) : {};
      const first = await startOrder({ route: 'ship' });
      // The second instance passes the limit of engines in memory while the first one's handler runs.
      const second = await startOrder({ route: 'pick-up' });
      await received.created('PickUp', second.instanceId);
      release();
      const ship = await received.created('Ship', first.instanceId);
      expect(received.transactions.at(-1)!.variables[ship.id]).toMatchObject({ chargedAmount: 1 });
      // What was stored is the state the handler's answer led to: the task completes, nothing runs twice.
      await engine.completeTask(ship.id, {});
      expect(received.eventsOf(first.instanceId).at(-1)).toMatchObject({ type: 'processInstance.finished' });
      expect(attempts).toBe(2);
    });

    it('runs a handler again after a restart that interrupted it', async () => {
      charge = () => new Promise(() => undefined); // never answers: the engine stops while it runs
      const { instanceId } = await startOrder({ route: 'pick-up' });
      await received.waitFor(() => (attempts === 1 ? true : undefined), 'the first attempt');
      await engine.close();

      charge = () => ({ chargedAmount: 15 });
      received = new Received();
      await open(retrying);
      engine.onTransaction(received.handler);
      const pickUp = await received.created('PickUp', instanceId);
      expect(attempts).toBe(2);
      expect(received.transactions.at(-1)!.variables[pickUp.id]).toMatchObject({ chargedAmount: 15 });
    });
  });

  describe('durability', () => {
    it('keeps waiting tasks across a restart; completing one continues the process', async () => {
      await engine.deploy({ xml: repoBpmn('invoice-approval.bpmn'), resourceName: 'invoice-approval.bpmn' });
      const { instanceId } = await engine.startProcessInstance({
        definitionKey: 'invoice-approval',
        variables: { invoiceNumber: 'INV-9', supplier: 'ACME', amount: 10, submitter: 'sue' },
      });
      const review = await received.created('ReviewInvoice');
      await engine.assignTask(review.id, 'alice');
      await engine.close();

      received = new Received();
      await open();
      engine.onTransaction(received.handler);
      expect(await engine.listProcessDefinitions()).toHaveLength(1);
      await engine.completeTask(review.id, { approved: false });
      const clarify = await received.created('ClarifyInvoice', instanceId);
      expect(clarify.assignee).toBe('sue');
      const completed = received.events.find((e) => e.type === 'task.completed');
      expect(completed).toMatchObject({ task: { id: review.id, assignee: 'alice' } });
    });

    it('resumes a timer after a restart', async () => {
      await engine.deploy({ xml: repoBpmn('leave-request.bpmn'), resourceName: 'leave-request.bpmn' });
      const { instanceId } = await engine.startProcessInstance({
        definitionKey: 'leave-request',
        variables: {
          employee: 'bob',
          firstDay: 'a',
          lastDay: 'b',
          teamLeadGroup: 'leads',
          approvalTimeout: 'PT0.5S',
        },
      });
      const approve = await received.created('ApproveLeave');
      await engine.close();

      // The approval is cancelled once; within the timer's transaction after a restart, the cancellation
      // and the escalation's creation come in either order, and a loaded machine may fire the timer
      // before the close.
      const beforeRestart = received;
      received = new Received();
      await open();
      engine.onTransaction(received.handler);
      const escalated = await received.created('EscalatedApproval', instanceId);
      const cancellations = [...beforeRestart.events, ...received.events].filter(
        (e) => e.type === 'task.cancelled',
      );
      expect(cancellations).toEqual([
        expect.objectContaining({ task: expect.objectContaining({ id: approve.id }) }),
      ]);
      await engine.completeTask(escalated.id, { approved: false });
    });

    it('reloads instances whose engines were evicted from memory', async () => {
      await engine.close();
      await open({ maxLiveInstances: 1 });
      engine.onTransaction(received.handler);
      await engine.deploy({ xml: fixture('parallel-and-timer.bpmn'), resourceName: 'p.bpmn' });
      await engine.deploy({ xml: repoBpmn('invoice-approval.bpmn'), resourceName: 'i.bpmn' });
      const ids = [];
      for (let i = 0; i < 3; i++) {
        ids.push(
          (
            await engine.startProcessInstance({
              definitionKey: 'invoice-approval',
              variables: { invoiceNumber: `I${i}`, supplier: 's', amount: i, submitter: 'sue' },
            })
          ).instanceId,
        );
      }
      for (const id of ids) {
        const review = await received.created('ReviewInvoice', id);
        await engine.completeTask(review.id, { approved: true });
      }
      // Their archiving jobs are completed when only one engine is in memory: each is loaded again for it.
      const jobs = await engine.jobs.activate(archiveJobs(3));
      expect(jobs.map((j) => j.processInstanceKey).sort()).toEqual([...ids].sort());
      for (const job of jobs) await engine.jobs.complete(job.jobKey);
      for (const id of ids)
        expect(received.eventsOf(id).at(-1)).toMatchObject({ type: 'processInstance.finished' });
    });
  });

  describe('in memory', () => {
    it('runs instances without writing a file and has forgotten them after a restart', async () => {
      await engine.close();
      rmSync(dataDir, { recursive: true, force: true });
      await open({ inMemory: true, maxLiveInstances: 1 });
      engine.onTransaction(received.handler);
      await engine.deploy({ xml: repoBpmn('invoice-approval.bpmn'), resourceName: 'invoice-approval.bpmn' });
      const started = [];
      for (const n of [1, 2]) {
        started.push(
          await engine.startProcessInstance({
            definitionKey: 'invoice-approval',
            variables: { invoiceNumber: `INV-${n}`, supplier: 'ACME', amount: n, submitter: 'sue' },
          }),
        );
      }
      // The first instance's engine left memory for the second: it comes back from the in-memory state.
      const review = await received.created('ReviewInvoice', started[0].instanceId);
      await engine.completeTask(review.id, { approved: false });
      expect((await received.created('ClarifyInvoice', started[0].instanceId)).assignee).toBe('sue');
      expect(existsSync(dataDir)).toBe(false);
      await engine.close();

      await open({ inMemory: true });
      expect(await engine.listProcessDefinitions()).toEqual([]);
      await expect(engine.completeTask(review.id)).rejects.toMatchObject({ code: 'UNKNOWN_TASK' });
    });
  });

  describe('delivery', () => {
    it('redelivers the same transaction until the handler accepts it, in order', async () => {
      await engine.close();
      await open();
      const attempts: string[] = [];
      let failures = 2;
      engine.onTransaction(async (tx) => {
        attempts.push(tx.id);
        if (failures-- > 0) throw new Error('view store down');
        received.transactions.push(tx);
      });
      await engine.deploy({ xml: repoBpmn('invoice-approval.bpmn'), resourceName: 'i.bpmn' });
      await engine.startProcessInstance({
        definitionKey: 'invoice-approval',
        variables: { invoiceNumber: 'X', supplier: 's', amount: 1, submitter: 'sue' },
      });
      const review = await received.created('ReviewInvoice');
      await engine.assignTask(review.id, 'alice');
      await received.waitFor(
        () => (received.transactions.length === 2 ? true : undefined),
        'two transactions',
      );
      expect(attempts).toEqual([attempts[0], attempts[0], attempts[0], received.transactions[1].id]);
      expect(received.transactions.map((t) => t.id)).toEqual([attempts[0], received.transactions[1].id]);
    });

    it("delivers other instances' transactions while one is with the handler, and one instance's in order", async () => {
      await engine.close();
      await open();
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      let heldInstance: string | undefined;
      engine.onTransaction(async (tx) => {
        heldInstance ??= tx.processInstanceId;
        if (tx.processInstanceId === heldInstance) await held;
        received.transactions.push(tx);
      });
      await engine.deploy({ xml: repoBpmn('invoice-approval.bpmn'), resourceName: 'i.bpmn' });
      const start = (invoiceNumber: string) =>
        engine.startProcessInstance({
          definitionKey: 'invoice-approval',
          variables: { invoiceNumber, supplier: 's', amount: 1, submitter: 'sue' },
        });
      const ids = [(await start('A')).instanceId, (await start('B')).instanceId];
      await received.waitFor(() => heldInstance, 'the first delivery');
      const other = ids.find((id) => id !== heldInstance)!;
      await received.created('ReviewInvoice', other);
      await engine.cancelProcessInstance(heldInstance!);
      expect(received.transactions.map((tx) => tx.processInstanceId)).toEqual([other]);

      release();
      await received.waitFor(
        () =>
          received.eventsOf(heldInstance!).some((e) => e.type === 'processInstance.cancelled')
            ? true
            : undefined,
        'the cancellation of the held instance',
      );
      expect(received.eventsOf(heldInstance!).map((e) => e.type)).toEqual([
        'processInstance.started',
        'task.created',
        'task.cancelled',
        'processInstance.cancelled',
      ]);
    });

    it('keeps undelivered transactions across a restart and delivers them to the next handler', async () => {
      await engine.close();
      await open();
      await engine.deploy({ xml: repoBpmn('invoice-approval.bpmn'), resourceName: 'i.bpmn' });
      const { instanceId } = await engine.startProcessInstance({
        definitionKey: 'invoice-approval',
        variables: { invoiceNumber: 'X', supplier: 's', amount: 1, submitter: 'sue' },
      });
      await engine.close();

      await open();
      engine.onTransaction(received.handler);
      const task = await received.created('ReviewInvoice', instanceId);
      expect(received.transactions[0].events.map((e) => e.type)).toEqual([
        'processInstance.started',
        'task.created',
      ]);
      await engine.completeTask(task.id, { approved: true });
    });
  });
});
