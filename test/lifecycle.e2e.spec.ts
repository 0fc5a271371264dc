import { Test, type TestingModule } from '@nestjs/testing';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { waitFor } from '@eddy/testing/wait-for';
import {
  COMMAND_DISPATCHER,
  upcastEvent,
  type CommandDispatcher,
  type CommandWithMetadata,
  type TaskAttributes,
} from '@eddy/contracts';
import {
  CollectorModule,
  EmbeddedEngineThread,
  JOB_WORKER_API,
  PROCESS_ENGINE,
  TransactionCollector,
  type CollectorModuleOptions,
  type EngineTransaction,
  type ProcessEngine,
} from '@eddy/collector';
import {
  EVENT_STORE,
  MemoryEventStore,
  openSqliteEventStore,
  withUpcasting,
  type EventStore,
  type StoredEvent,
} from '@eddy/eventstore';
import { EventStoreModule } from '@eddy/eventstore/event-store.module';
import { CoreModule } from '@eddy/taskpool';

const bpmnDir = resolve(__dirname, '..', 'bpmn');

const collectorOptions = (dataDir: string): CollectorModuleOptions => ({
  applicationName: 'eddy',
  dataDir,
  bpmnDir,
  variableFilters: [{ processDefinitionKey: 'invoice-approval', exclude: ['iban'] }],
  correlations: [
    { processDefinitionKey: 'invoice-approval', variable: 'invoiceNumber', entryType: 'invoice' },
  ],
  engine: { redelivery: { initialDelayMs: 10, maxDelayMs: 50 } },
  engineClient: { initialDelayMs: 10, maxDelayMs: 50, maxAttempts: 3 },
});

interface Platform {
  module: TestingModule;
  store: EventStore;
  engine: ProcessEngine;
  dispatcher: CommandDispatcher;
}

async function openPlatform(store: EventStore, options: CollectorModuleOptions): Promise<Platform> {
  const module = await Test.createTestingModule({
    imports: [
      EventStoreModule.forStore(store),
      CoreModule.forRoot({ maxRetries: 5 }),
      CollectorModule.forRoot(options),
    ],
  }).compile();
  try {
    await module.init();
  } catch (error) {
    // What started before the failure (the engine and its writer thread) stops with the module.
    await module.close();
    throw error;
  }
  return {
    module,
    store: module.get(EVENT_STORE),
    engine: module.get(PROCESS_ENGINE),
    dispatcher: module.get(COMMAND_DISPATCHER),
  };
}

/** Waits until the log holds what `pick` looks for; fails with the log's event types when it never does. */
async function eventually<T>(store: EventStore, pick: (events: StoredEvent[]) => T | undefined): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const events = await store.readAll();
    const found = pick(events);
    if (found !== undefined && found !== false) return found;
    if (Date.now() > deadline) {
      throw new Error(`not found in the log: ${events.map((e) => `${e.type}@${e.streamId}`).join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

const tasksOf = (events: StoredEvent[], instanceId: string, definitionKey?: string) =>
  events
    .filter((e) => e.type === 'TaskCreated')
    .map((e) => e.data as unknown as TaskAttributes)
    .filter(
      (t) =>
        t.sourceReference.instanceId === instanceId &&
        (definitionKey === undefined || t.taskDefinitionKey === definitionKey),
    );

const ofTask = (events: StoredEvent[], type: string, taskId: string) =>
  events.find((e) => e.type === type && (e.data as { id: string }).id === taskId);

/** Waits until the instance was cancelled in the log and its open task deleted for that reason. */
async function expectCancelled(store: EventStore, instanceId: string, taskId: string): Promise<void> {
  const deleted = await eventually(store, (events) => ofTask(events, 'TaskDeleted', taskId));
  expect(deleted.data).toEqual({ id: taskId, deleteReason: 'instanceCancelled' });
  const cancelled = await eventually(store, (events) =>
    events.find((e) => e.type === 'ProcessInstanceCancelled'),
  );
  expect(cancelled.data).toMatchObject({ reason: 'cancelled', sourceReference: { instanceId } });
}

/**
 * The commands the collector sends on the engine's behalf, each recorded once handled, so that what it did
 * is in the store when a test reads it.
 */
function recordEngineCommands(dispatcher: CommandDispatcher): CommandWithMetadata[] {
  const engineCommands: CommandWithMetadata[] = [];
  const dispatch = dispatcher.dispatch.bind(dispatcher);
  jest.spyOn(dispatcher, 'dispatch').mockImplementation(async (c) => {
    const result = await dispatch(c);
    if (c.metadata.commandId.startsWith('engine:')) engineCommands.push(c);
    return result;
  });
  return engineCommands;
}

let seq = 0;
function command<T extends CommandWithMetadata['type']>(type: T, data: object): CommandWithMetadata {
  return {
    type,
    data,
    metadata: { commandId: `test-${++seq}`, correlationId: 'test', timestamp: new Date().toISOString() },
  } as CommandWithMetadata;
}

const invoice = { invoiceNumber: 'INV-100', supplier: 'ACME', amount: 420, submitter: 'sam', iban: 'DE00 1' };

describe('process lifecycle through the collector (embedded engine, core, event store)', () => {
  let dir: string;
  let platform: Platform | null = null;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'eddy-lifecycle-'));
  });

  afterEach(async () => {
    await platform?.module.close();
    platform = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers the deployed processes and turns a started instance into a task with payload and correlations', async () => {
    platform = await openPlatform(new MemoryEventStore(), collectorOptions(dir));
    const { engine, store } = platform;

    const registered = (await store.readAll()).filter((e) => e.type === 'ProcessDefinitionRegistered');
    expect(registered.map((e) => (e.data as { key: string }).key).sort()).toEqual([
      'card-payment',
      'insurance-claim',
      'invoice-approval',
      'item-packing',
      'leave-request',
      'order-discount',
      'order-fulfilment',
    ]);
    expect(
      registered.find((e) => (e.data as { key: string }).key === 'invoice-approval')?.data,
    ).toMatchObject({
      id: 'invoice-approval:1',
      version: 1,
      name: 'Invoice approval',
      applicationName: 'eddy',
      versionTag: '1.0',
      formKey: 'forms/invoice-start',
      startableFromTasklist: true,
      candidateStarterGroups: ['accounting', 'clerks'],
    });

    const { instanceId } = await engine.startProcessInstance({
      definitionKey: 'invoice-approval',
      variables: invoice,
      businessKey: 'INV-100',
    });
    const [task] = await eventually(store, (events) => {
      const found = tasksOf(events, instanceId);
      return found.length > 0 ? found : undefined;
    });

    expect(task).toMatchObject({
      name: 'Review invoice',
      taskDefinitionKey: 'ReviewInvoice',
      sourceReference: {
        type: 'process',
        instanceId,
        definitionId: 'invoice-approval:1',
        definitionKey: 'invoice-approval',
        name: 'Invoice approval',
        applicationName: 'eddy',
      },
      description: 'Invoice INV-100 from ACME over 420',
      formKey: 'forms/invoice-review',
      priority: 60,
      candidateGroups: ['accounting'],
      businessKey: 'INV-100',
      payload: { invoiceNumber: 'INV-100', supplier: 'ACME', amount: 420, submitter: 'sam' },
      correlations: [{ entryType: 'invoice', entryId: 'INV-100' }],
    });
    const events = await store.readAll();
    expect(events.find((e) => e.type === 'ProcessInstanceStarted')?.streamId).toBe(
      `process-instance-eddy/${instanceId}`,
    );
  });

  it('carries a claim and a completion to the engine; the completion and the next task come back', async () => {
    platform = await openPlatform(new MemoryEventStore(), collectorOptions(dir));
    const { engine, store, dispatcher } = platform;
    const engineCommands = recordEngineCommands(dispatcher);

    const { instanceId } = await engine.startProcessInstance({
      definitionKey: 'invoice-approval',
      variables: invoice,
    });
    const review = await eventually(store, (events) => tasksOf(events, instanceId, 'ReviewInvoice')[0]);

    expect(await dispatcher.dispatch(command('ClaimTask', { id: review.id, assignee: 'ann' }))).toMatchObject(
      {
        status: 'accepted',
      },
    );
    // The engine's own assignment comes back as an engine command, which changes nothing in the core.
    await waitFor(
      () =>
        expect(engineCommands).toContainEqual(
          expect.objectContaining({ type: 'AssignTask', data: { id: review.id, assignee: 'ann' } }),
        ),
      { timeout: 15_000 },
    );
    expect((await store.readAll()).filter((e) => e.type === 'TaskAssigned')).toEqual([]);

    await dispatcher.dispatch(
      command('CompleteTaskInteraction', { id: review.id, assignee: 'ann', variables: { approved: false } }),
    );
    const clarify = await eventually(store, (events) => tasksOf(events, instanceId, 'ClarifyInvoice')[0]);
    const events = await store.readAll();
    expect(ofTask(events, 'TaskToBeCompleted', review.id)?.data).toMatchObject({
      variables: { approved: false },
    });
    expect(ofTask(events, 'TaskCompleted', review.id)?.data).toEqual({ id: review.id, assignee: 'ann' });
    expect(clarify.assignee).toBe('sam');
    expect(clarify.payload).toMatchObject({ approved: false });
  });

  it('runs the engine on a thread of its own when asked (EDDY_ENGINE_THREAD=on): a start becomes a task, a completion the next one', async () => {
    platform = await openPlatform(new MemoryEventStore(), { ...collectorOptions(dir), engineThread: true });
    const { engine, store, dispatcher } = platform;
    expect(engine).toBeInstanceOf(EmbeddedEngineThread);
    expect(platform.module.get(JOB_WORKER_API)).toBe((engine as EmbeddedEngineThread).jobs);

    const { instanceId } = await engine.startProcessInstance({
      definitionKey: 'invoice-approval',
      variables: invoice,
    });
    const review = await eventually(store, (events) => tasksOf(events, instanceId, 'ReviewInvoice')[0]);
    expect(review.payload).toMatchObject({ invoiceNumber: 'INV-100' });
    expect(await dispatcher.dispatch(command('ClaimTask', { id: review.id, assignee: 'ann' }))).toMatchObject(
      {
        status: 'accepted',
      },
    );
    expect(
      await dispatcher.dispatch(
        command('CompleteTaskInteraction', {
          id: review.id,
          assignee: 'ann',
          variables: { approved: false },
        }),
      ),
    ).toMatchObject({ status: 'accepted' });
    const clarify = await eventually(store, (events) => tasksOf(events, instanceId, 'ClarifyInvoice')[0]);
    expect(clarify.payload).toMatchObject({ approved: false });
  });

  it('defers a task in the engine and removes the open tasks of a cancelled instance', async () => {
    platform = await openPlatform(new MemoryEventStore(), collectorOptions(dir));
    const { engine, store, dispatcher } = platform;
    const setFollowUp = jest.spyOn(engine, 'setTaskFollowUpDate');
    const { instanceId } = await engine.startProcessInstance({
      definitionKey: 'invoice-approval',
      variables: invoice,
    });
    const review = await eventually(store, (events) => tasksOf(events, instanceId, 'ReviewInvoice')[0]);

    await dispatcher.dispatch(command('DeferTask', { id: review.id, followUpDate: '2030-01-01T08:00:00Z' }));
    await waitFor(() => expect(setFollowUp).toHaveBeenCalledWith(review.id, '2030-01-01T08:00:00Z'), {
      timeout: 15_000,
    });

    await engine.cancelProcessInstance(instanceId);
    await expectCancelled(store, instanceId, review.id);
  });

  it('carries a delegation, an edit and a requested cancellation to the engine; its reports come back', async () => {
    platform = await openPlatform(new MemoryEventStore(), collectorOptions(dir));
    const { engine, store, dispatcher } = platform;
    const engineCommands = recordEngineCommands(dispatcher);
    const { instanceId } = await engine.startProcessInstance({
      definitionKey: 'invoice-approval',
      variables: invoice,
      startUserId: 'sam',
    });
    const review = await eventually(store, (events) => tasksOf(events, instanceId, 'ReviewInvoice')[0]);
    const started = await eventually(store, (events) =>
      events.find((e) => e.type === 'ProcessInstanceStarted'),
    );
    const sourceReference = (started.data as { sourceReference: object }).sourceReference;

    await dispatcher.dispatch(command('DelegateTask', { id: review.id, assignee: 'bea' }));
    await dispatcher.dispatch(
      command('EditTask', { id: review.id, priority: 95, dueDate: '2031-01-01T12:00:00.000Z' }),
    );
    // The engine took both: its reports come back as engine commands that change nothing in the core.
    await waitFor(
      () => {
        expect(engineCommands).toContainEqual(
          expect.objectContaining({ type: 'AssignTask', data: { id: review.id, assignee: 'bea' } }),
        );
        expect(engineCommands).toContainEqual(
          expect.objectContaining({
            type: 'UpdateTaskAttributes',
            data: expect.objectContaining({ id: review.id, priority: 95 }),
          }),
        );
      },
      { timeout: 15_000 },
    );
    const stream = await store.readStream(`task-${review.id}`);
    expect(stream.map((e) => e.type)).toEqual(['TaskCreated', 'TaskDelegated', 'TaskEdited']);

    await dispatcher.dispatch(command('RequestProcessInstanceCancellation', { sourceReference }));
    await expectCancelled(store, instanceId, review.id);
  });

  it('keeps the tasks of a running instance across a restart and lets it continue', async () => {
    const openStore = () =>
      withUpcasting(openSqliteEventStore({ filename: join(dir, 'events.sqlite') }), upcastEvent);
    platform = await openPlatform(openStore(), collectorOptions(dir));
    const { instanceId } = await platform.engine.startProcessInstance({
      definitionKey: 'invoice-approval',
      variables: invoice,
    });
    const review = await eventually(
      platform.store,
      (events) => tasksOf(events, instanceId, 'ReviewInvoice')[0],
    );
    await platform.dispatcher.dispatch(command('ClaimTask', { id: review.id, assignee: 'ann' }));
    await platform.module.close();

    platform = await openPlatform(openStore(), collectorOptions(dir));
    await platform.dispatcher.dispatch(
      command('CompleteTaskInteraction', { id: review.id, assignee: 'ann', variables: { approved: false } }),
    );
    const clarify = await eventually(
      platform.store,
      (events) => tasksOf(events, instanceId, 'ClarifyInvoice')[0],
    );
    await platform.dispatcher.dispatch(
      command('CompleteTaskInteraction', { id: clarify.id, assignee: 'sam', variables: { amount: 400 } }),
    );
    const events = await eventually(platform.store, (all) =>
      tasksOf(all, instanceId, 'ReviewInvoice').length === 2 ? all : undefined,
    );
    expect(tasksOf(events, instanceId, 'ReviewInvoice')[1].description).toBe(
      'Invoice INV-100 from ACME over 400',
    );
    // Every definition is registered once, however often it is deployed.
    expect(events.filter((e) => e.type === 'ProcessDefinitionRegistered')).toHaveLength(7);
  });

  it('creates one task when the core fails mid-transaction and the engine delivers it again', async () => {
    platform = await openPlatform(new MemoryEventStore(), collectorOptions(dir));
    const { engine, store, dispatcher } = platform;
    const dispatch = dispatcher.dispatch.bind(dispatcher);
    let failures = 0;
    // The store goes down after the task of the first delivery was stored.
    jest.spyOn(dispatcher, 'dispatch').mockImplementation(async (c) => {
      const result = await dispatch(c);
      if (c.type === 'CreateTask' && failures++ < 2) throw new Error('event store unavailable');
      return result;
    });

    const { instanceId } = await engine.startProcessInstance({
      definitionKey: 'invoice-approval',
      variables: invoice,
    });
    await eventually(store, () => (failures >= 3 ? true : undefined));
    const events = await store.readAll();
    expect(tasksOf(events, instanceId)).toHaveLength(1);
    expect(events.filter((e) => e.type === 'ProcessInstanceStarted')).toHaveLength(1);
  });

  it('answers the same transaction delivered twice with duplicates: one task', async () => {
    platform = await openPlatform(new MemoryEventStore(), collectorOptions(dir));
    const collector = platform.module.get(TransactionCollector);
    const results: string[] = [];
    const dispatch = platform.dispatcher.dispatch.bind(platform.dispatcher);
    jest.spyOn(platform.dispatcher, 'dispatch').mockImplementation(async (c) => {
      const result = await dispatch(c);
      results.push(`${c.type}:${result.status}`);
      return result;
    });
    const tx = syntheticTransaction();

    await collector.handle(tx);
    await collector.handle(structuredClone(tx));

    expect(results).toEqual([
      'StartProcessInstance:accepted',
      'CreateTask:accepted',
      'StartProcessInstance:duplicate',
      'CreateTask:duplicate',
    ]);
    expect((await platform.store.readAll()).filter((e) => e.type === 'TaskCreated')).toHaveLength(1);
  });

  it('stops start-up with the file name when a BPMN file cannot be deployed', async () => {
    const badDir = join(dir, 'bpmn');
    mkdirSync(badDir);
    copyFileSync(join(bpmnDir, 'leave-request.bpmn'), join(badDir, 'leave-request.bpmn'));
    copyFileSync(
      resolve(__dirname, '..', 'libs/collector/src/engine/embedded/fixtures/unsupported.bpmn'),
      join(badDir, 'unsupported.bpmn'),
    );
    await expect(
      openPlatform(new MemoryEventStore(), { ...collectorOptions(join(dir, 'data')), bpmnDir: badDir }),
    ).rejects.toThrow(/unsupported\.bpmn: deployment failed: .+/);
  });
});

function syntheticTransaction(): EngineTransaction {
  const time = '2026-03-01T10:00:00.000Z';
  const instance = {
    id: 'pi-synthetic',
    processDefinitionId: 'invoice-approval:1',
    processDefinitionKey: 'invoice-approval',
    processName: 'Invoice approval',
    businessKey: null,
    tenantId: null,
    startTime: time,
  };
  return {
    id: 'pi-synthetic:1',
    processInstanceId: instance.id,
    events: [
      {
        type: 'processInstance.started',
        eventId: 'pi-synthetic:pi-synthetic:1',
        occurredAt: time,
        instance,
        variables: {},
      },
      {
        type: 'task.created',
        eventId: 'pi-synthetic:Review_1:2',
        occurredAt: time,
        task: {
          id: 'task-synthetic',
          name: 'Review invoice',
          taskDefinitionKey: 'ReviewInvoice',
          description: null,
          formKey: null,
          priority: 50,
          createTime: time,
          dueDate: null,
          followUpDate: null,
          assignee: null,
          candidateUsers: [],
          candidateGroups: ['accounting'],
          processInstanceId: instance.id,
          processDefinitionId: instance.processDefinitionId,
          processDefinitionKey: instance.processDefinitionKey,
          processName: instance.processName,
          businessKey: null,
          tenantId: null,
        },
      },
    ],
    variables: { 'task-synthetic': { invoiceNumber: 'INV-1' } },
  };
}
