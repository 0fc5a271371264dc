import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Camunda8RestStub } from '@eddy/testing/camunda8-rest.stub';
import type { EngineEvent, EngineTransaction } from '../engine.port';
import { Camunda8ProcessEngine, type Camunda8ProcessEngineOptions } from './camunda8.engine';

// The adapter against the stub of Camunda 8.8's REST API (libs/testing/src/camunda8-rest.stub.ts), through
// @camunda8/sdk over HTTP on 127.0.0.1. The stub is not Camunda: see the adapter's README section.

const ORDER = readFileSync(join(__dirname, 'fixtures', 'order-fulfilment.bpmn'), 'utf8');

/** Collects delivered transactions; tests await the one they expect instead of sleeping. */
class Received {
  readonly transactions: EngineTransaction[] = [];
  private readonly added = new EventEmitter();
  /** When set, the handler rejects while it returns true (the core is down). */
  refuse: ((tx: EngineTransaction) => boolean) | null = null;
  refused = 0;

  readonly handler = async (tx: EngineTransaction): Promise<void> => {
    if (this.refuse?.(tx)) {
      this.refused++;
      throw new Error('the core is down');
    }
    this.transactions.push(tx);
    this.added.emit('tx');
  };

  events(): EngineEvent[] {
    return this.transactions.flatMap((t) => t.events);
  }

  async event(predicate: (e: EngineEvent) => boolean, what: string): Promise<EngineEvent> {
    const found = () => this.events().find(predicate);
    const now = found();
    if (now) return now;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} delivered`)), 20_000);
      const check = () => {
        const e = found();
        if (!e) return;
        clearTimeout(timer);
        this.added.off('tx', check);
        resolve(e);
      };
      this.added.on('tx', check);
    });
  }
}

describe('Camunda8ProcessEngine against the Camunda 8 REST stub', () => {
  let stub: Camunda8RestStub;
  let dataDir: string;
  let engines: Camunda8ProcessEngine[];

  const open = (options: Partial<Camunda8ProcessEngineOptions> = {}) => {
    const engine = Camunda8ProcessEngine.open({
      sdkConfig: stub.sdkConfig,
      dataDir,
      pollTimeoutMs: 200,
      redeliveryBackoffMs: 10,
      resyncIntervalMs: 0,
      ...options,
    });
    engines.push(engine);
    return engine;
  };

  /** Until the task's listener jobs are done and Camunda accepts the next change of it. */
  const settled = (taskId: string) =>
    stub.until(() => stub.userTask(taskId)?.state === 'CREATED', `task ${taskId} to be CREATED`);

  beforeEach(async () => {
    stub = await Camunda8RestStub.start();
    dataDir = mkdtempSync(join(tmpdir(), 'eddy-camunda8-'));
    engines = [];
  });

  afterEach(async () => {
    for (const engine of engines) await engine.close();
    await stub.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('deploys the shipped example processes, each with its user tasks', async () => {
    const engine = open();
    for (const file of ['invoice-approval.bpmn', 'leave-request.bpmn', 'insurance-claim.bpmn']) {
      const xml = readFileSync(join(__dirname, '..', '..', '..', '..', '..', 'bpmn', file), 'utf8');
      const [deployed] = await engine.deploy({ xml, resourceName: file });
      expect(deployed).toMatchObject({ key: file.replace('.bpmn', ''), version: 1, resourceName: file });
    }
    expect((await engine.listProcessDefinitions()).map((d) => d.key).sort()).toEqual([
      'insurance-claim',
      'invoice-approval',
      'leave-request',
    ]);
  });

  it('deploys with Eddy listeners and reads the definitions', async () => {
    const engine = open();
    const [deployed] = await engine.deploy({ xml: ORDER, resourceName: 'order-fulfilment.bpmn' });
    expect(deployed).toMatchObject({
      key: 'order-fulfilment',
      version: 1,
      name: 'Order fulfilment',
      versionTag: 'v1',
      startableFromTasklist: true,
      candidateStarterGroups: ['sales', 'clerks'],
      resourceName: 'order-fulfilment.bpmn',
      tenantId: null,
    });
    const again = await engine.deploy({ xml: ORDER, resourceName: 'order-fulfilment.bpmn' });
    expect(again[0]).toMatchObject({ id: deployed.id, version: 1 });
    expect(await engine.listProcessDefinitions()).toEqual([deployed]);
    expect(stub.requests).toContain('POST /deployments');
  });

  it('reports the user task lifecycle from the task listeners and carries the actions to Camunda', async () => {
    const engine = open();
    const received = new Received();
    engine.onTransaction(received.handler);
    await engine.deploy({ xml: ORDER, resourceName: 'order-fulfilment.bpmn' });

    const started = await engine.startProcessInstance({
      definitionKey: 'order-fulfilment',
      variables: { submitter: 'carol', orderId: 'O-1', amount: 120 },
      businessKey: 'O-1',
    });
    const start = await received.event((e) => e.type === 'processInstance.started', 'start');
    expect(start).toMatchObject({
      instance: {
        id: started.instanceId,
        processDefinitionKey: 'order-fulfilment',
        businessKey: 'O-1',
        processName: 'Order fulfilment',
      },
      variables: { submitter: 'carol', orderId: 'O-1', amount: 120, businessKey: 'O-1' },
    });
    const created = await received.event((e) => e.type === 'task.created', 'task.created');
    if (created.type !== 'task.created') throw new Error('unreachable');
    const task = created.task;
    expect(task).toMatchObject({
      name: 'Review order',
      taskDefinitionKey: 'ReviewOrder',
      description: "Check the order against the customer's credit.",
      formKey: 'forms/review-order',
      priority: 70,
      candidateGroups: ['sales'],
      processInstanceId: started.instanceId,
      processDefinitionId: started.definitionId,
      processDefinitionKey: 'order-fulfilment',
      processName: 'Order fulfilment',
      businessKey: 'O-1',
      tenantId: null,
    });
    const createdTx = received.transactions.find((t) => t.events.includes(created))!;
    expect(createdTx.variables[task.id]).toMatchObject({ submitter: 'carol', orderId: 'O-1' });
    // The modelled assignee is assigned after creation, through the assigning listener.
    await received.event((e) => e.type === 'task.assigned' && e.assignee === 'carol', 'assignment to carol');
    // While a listener job of the task is open, Camunda refuses other changes of it (409 INVALID_STATE).
    await settled(task.id);
    await engine.assignTask(task.id, 'alice');
    await received.event((e) => e.type === 'task.assigned' && e.assignee === 'alice', 'assignment to alice');
    await settled(task.id);
    await engine.setTaskFollowUpDate(task.id, '2030-01-02T09:00:00.000Z');
    const followUp = await received.event((e) => e.type === 'task.attributesChanged', 'follow-up date');
    expect(followUp).toMatchObject({
      changed: ['followUpDate'],
      task: { followUpDate: '2030-01-02T09:00:00.000Z' },
    });
    await settled(task.id);
    await engine.assignTask(task.id, null);
    await received.event((e) => e.type === 'task.assigned' && e.assignee === null, 'unassignment');
    await settled(task.id);
    await engine.completeTask(task.id, { approved: true });
    const completed = await received.event((e) => e.type === 'task.completed', 'completion');
    expect(completed).toMatchObject({ task: { id: task.id }, variables: { approved: true } });
    await stub.until(() => stub.userTask(task.id)?.state === 'COMPLETED', 'the completion in Camunda');
    expect(stub.instanceVariables(started.instanceId)).toMatchObject({ approved: true });

    expect(
      await engine.correlateMessage({
        name: 'payment-received',
        correlationKey: 'O-1',
        variables: { paid: 120 },
      }),
    ).toEqual({
      instanceIds: [started.instanceId],
    });
    const ship = await received.event(
      (e) => e.type === 'task.created' && e.task.taskDefinitionKey === 'ShipOrder',
      'Ship order',
    );
    expect(ship).toMatchObject({
      task: { name: 'Ship order', description: 'Pack and ship', candidateGroups: ['warehouse'] },
    });
    await settled((ship as { task: { id: string } }).task.id);
    await engine.completeTask((ship as { task: { id: string } }).task.id);
    await received.event((e) => e.type === 'processInstance.finished', 'end of the instance');
    // Camunda ends the instance once the end listener's job is completed, after the handler accepted it.
    await stub.until(
      () => stub.instanceState(started.instanceId) === 'COMPLETED',
      'the end of the instance in Camunda',
    );
    expect(stub.jobs().every((j) => j.state === 'COMPLETED')).toBe(true);
    // Every event id is unique: the collector tells duplicates by them.
    const ids = received.events().map((e) => e.eventId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('cancels an instance: its task is cancelled by its listener, then the instance', async () => {
    const engine = open();
    const received = new Received();
    engine.onTransaction(received.handler);
    await engine.deploy({ xml: ORDER, resourceName: 'order-fulfilment.bpmn' });
    const { instanceId } = await engine.startProcessInstance({
      definitionKey: 'order-fulfilment',
      variables: { orderId: 'O-2' },
    });
    await received.event((e) => e.type === 'task.created', 'task.created');
    await engine.cancelProcessInstance(instanceId);
    expect(await received.event((e) => e.type === 'task.cancelled', 'cancelled task')).toMatchObject({
      reason: 'instanceCancelled',
    });
    expect(
      await received.event((e) => e.type === 'processInstance.cancelled', 'cancelled instance'),
    ).toMatchObject({
      reason: 'cancelled',
      instance: { id: instanceId, processDefinitionKey: 'order-fulfilment' },
    });
    await expect(engine.cancelProcessInstance(instanceId)).rejects.toMatchObject({
      code: 'UNKNOWN_PROCESS_INSTANCE',
    });
  });

  it('completes a listener job only once the handler accepted it: while the core is down Camunda hands it out again', async () => {
    const engine = open();
    const received = new Received();
    received.refuse = () => received.refused < 3;
    engine.onTransaction(received.handler);
    await engine.deploy({ xml: ORDER, resourceName: 'order-fulfilment.bpmn' });
    await engine.startProcessInstance({ definitionKey: 'order-fulfilment', variables: { orderId: 'O-3' } });
    await received.event((e) => e.type === 'task.created', 'task.created after the core came back');
    const creatingJob = stub.jobs().find((j) => j.listenerEventType === 'CREATING')!;
    expect(creatingJob.activations).toBe(4);
    expect(creatingJob.retries).toBe(3);
    await stub.until(() => creatingJob.state === 'COMPLETED', 'the creating job to be completed');
    expect(stub.jobs().filter((j) => j.state === 'INCIDENT')).toEqual([]);
    // The redelivered transaction is the same one: same id, delivered once accepted.
    expect(received.transactions.filter((t) => t.id === `camunda8:${creatingJob.jobKey}`)).toHaveLength(1);
  });

  it('fails a listener job whose variables do not fit back to Camunda with the reason, which raises an incident', async () => {
    const engine = open();
    const received = new Received();
    engine.onTransaction(received.handler);
    await engine.deploy({ xml: ORDER, resourceName: 'order-fulfilment.bpmn' });
    await engine.startProcessInstance({
      definitionKey: 'order-fulfilment',
      variables: { orderId: 'O-4', businessKey: 42 },
    });
    await stub.until(() => stub.jobs().some((j) => j.state === 'INCIDENT'), 'an incident');
    const [incident] = stub.jobs().filter((j) => j.state === 'INCIDENT');
    expect(incident.listenerEventType).toBe('CREATING');
    expect(incident.errorMessage).toContain('variables.businessKey');
    expect(received.transactions).toEqual([]);
  });

  it('publishes messages with an id and a time to live: buffered until an instance waits, a repeated id changes nothing', async () => {
    const engine = open();
    const received = new Received();
    engine.onTransaction(received.handler);
    await engine.deploy({ xml: ORDER, resourceName: 'order-fulfilment.bpmn' });
    const message = {
      name: 'payment-received',
      correlationKey: 'O-5',
      messageId: 'pay-O-5',
      timeToLiveMs: 60_000,
    };
    expect(await engine.correlateMessage({ ...message, variables: { paid: 1 } })).toEqual({
      instanceIds: [],
    });
    expect(await engine.correlateMessage({ ...message, variables: { paid: 2 } })).toEqual({
      instanceIds: [],
    });
    const { instanceId } = await engine.startProcessInstance({
      definitionKey: 'order-fulfilment',
      variables: { orderId: 'O-5' },
    });
    const review = await received.event((e) => e.type === 'task.created', 'Review order');
    await settled((review as { task: { id: string } }).task.id);
    await engine.completeTask((review as { task: { id: string } }).task.id);
    await received.event(
      (e) => e.type === 'task.created' && e.task.taskDefinitionKey === 'ShipOrder',
      'Ship order',
    );
    expect(stub.instanceVariables(instanceId)).toMatchObject({ paid: 1 });
    await expect(
      engine.correlateMessage({ name: 'payment-received', correlationKey: 'O-5', timeToLiveMs: -1 }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('timeToLiveMs'),
    });
  });

  it('broadcasts a signal through POST /v2/signals/broadcast; Camunda does not say which instances it reached', async () => {
    const engine = open();
    await expect(
      engine.broadcastSignal({ signalName: 'stock-arrived', variables: { sku: 'A' } }),
    ).resolves.toEqual({
      instanceIds: [],
    });
    expect(stub.signals).toEqual([{ signalName: 'stock-arrived', variables: { sku: 'A' } }]);
    await expect(engine.broadcastSignal({ signalName: '' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('signalName'),
    });
  });

  it('re-syncs: a task Eddy missed appears, one that ended unseen disappears', async () => {
    const engine = open();
    const received = new Received();
    engine.onTransaction(received.handler);
    await engine.deploy({ xml: ORDER, resourceName: 'order-fulfilment.bpmn' });
    await engine.startProcessInstance({ definitionKey: 'order-fulfilment', variables: { orderId: 'O-6' } });
    const seen = await received.event((e) => e.type === 'task.created', 'task.created');
    const seenId = (seen as { task: { id: string } }).task.id;

    // A process deployed without Eddy's listeners: its task is never reported by a listener.
    const unlistened = ORDER.replace(/order-fulfilment/g, 'legacy-order');
    const legacyInstance = await stub.startUnlistened(unlistened, 'legacy-order', {
      orderId: 'L-1',
      submitter: 'dave',
    });
    const legacyTask = stub.userTasks().find((t) => t.processInstanceKey === legacyInstance)!;
    stub.completeUnlistened(seenId);

    expect(await engine.resync()).toEqual({ created: 1, ended: 1 });
    expect(
      await received.event(
        (e) => e.type === 'task.created' && e.task.id === legacyTask.userTaskKey,
        'the missed task',
      ),
    ).toMatchObject({
      task: { name: 'Review order', processDefinitionKey: 'legacy-order', assignee: 'dave' },
    });
    const missedTx = received.transactions.find(
      (t) => t.id === `camunda8:resync:${legacyTask.userTaskKey}:created`,
    )!;
    expect(missedTx.variables[legacyTask.userTaskKey]).toMatchObject({ orderId: 'L-1', submitter: 'dave' });
    expect(
      await received.event((e) => e.type === 'task.completed' && e.task.id === seenId, 'the ended task'),
    ).toBeDefined();
    // Nothing left to correct.
    expect(await engine.resync()).toEqual({ created: 0, ended: 0 });
  });

  it('goes on after a restart: a listener job left open is handed out again, the reported tasks are kept', async () => {
    const first = open();
    const received = new Received();
    first.onTransaction(received.handler);
    await first.deploy({ xml: ORDER, resourceName: 'order-fulfilment.bpmn' });
    await first.startProcessInstance({ definitionKey: 'order-fulfilment', variables: { orderId: 'O-7' } });
    const created = await received.event((e) => e.type === 'task.created', 'task.created');
    await settled((created as { task: { id: string } }).task.id);
    await first.close();

    const second = open({ jobTimeoutMs: 30_000 });
    const again = new Received();
    second.onTransaction(again.handler);
    expect(await second.resync()).toEqual({ created: 0, ended: 0 });
    await second.completeTask((created as { task: { id: string } }).task.id, { ok: true });
    await again.event((e) => e.type === 'task.completed', 'completion after the restart');
  });
});
