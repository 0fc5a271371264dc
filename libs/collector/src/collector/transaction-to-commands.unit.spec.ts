import { describe, expect, it } from '@jest/globals';
import type { EngineEvent, EngineTask, EngineTransaction } from '../engine/engine.port';
import type { CollectorOptions } from './collector.options';
import { collectTransaction, transactionToCommands } from './transaction-to-commands';

const options: CollectorOptions = { applicationName: 'eddy' };
const T0 = '2026-03-01T10:00:00.000Z';
const T1 = '2026-03-01T10:00:01.000Z';

const instance = {
  id: 'pi-1',
  processDefinitionId: 'invoice-approval:1',
  processDefinitionKey: 'invoice-approval',
  processName: 'Invoice approval',
  businessKey: 'INV-7',
  tenantId: null,
  startTime: T0,
};

function task(overrides: Partial<EngineTask> = {}): EngineTask {
  return {
    id: 't-1',
    name: 'Approve invoice',
    taskDefinitionKey: 'ApproveInvoice',
    description: null,
    formKey: 'forms/approve',
    priority: 50,
    createTime: T0,
    dueDate: null,
    followUpDate: null,
    assignee: null,
    candidateUsers: [],
    candidateGroups: ['accounting'],
    processInstanceId: 'pi-1',
    processDefinitionId: 'invoice-approval:1',
    processDefinitionKey: 'invoice-approval',
    processName: 'Invoice approval',
    businessKey: 'INV-7',
    tenantId: null,
    ...overrides,
  };
}

let seq = 0;
type WithoutIds<T> = T extends unknown ? Omit<T, 'eventId' | 'occurredAt'> : never;
const ev = (event: WithoutIds<EngineEvent>, occurredAt = T0): EngineEvent =>
  ({ ...event, eventId: `pi-1:e:${++seq}`, occurredAt }) as EngineEvent;

function tx(
  events: EngineEvent[],
  variables: Record<string, Record<string, unknown>> = {},
): EngineTransaction {
  return { id: 'pi-1:1', processInstanceId: 'pi-1', events, variables };
}

const sourceReference = {
  type: 'process',
  instanceId: 'pi-1',
  definitionId: 'invoice-approval:1',
  definitionKey: 'invoice-approval',
  name: 'Invoice approval',
  applicationName: 'eddy',
};

describe('transactionToCommands', () => {
  it('carries the user who started the instance into StartProcessInstance', () => {
    const started = ev({ type: 'processInstance.started', instance, variables: {}, startUserId: 'carol' });
    const [command] = transactionToCommands(tx([started], {}), options);
    expect(command).toMatchObject({ type: 'StartProcessInstance', data: { startUserId: 'carol' } });
  });

  it('carries the instance whose call activity started it into StartProcessInstance', () => {
    const child = { ...instance, id: 'pi-2', parentInstanceId: 'pi-1' };
    const started = ev({ type: 'processInstance.started', instance: child, variables: {} });
    const [command] = transactionToCommands(tx([started], {}), options);
    expect(command).toMatchObject({ type: 'StartProcessInstance', data: { parentInstanceId: 'pi-1' } });
  });

  it('turns a start up to the first task into StartProcessInstance and one CreateTask with payload', () => {
    const started = ev({ type: 'processInstance.started', instance, variables: { amount: 12 } });
    const created = ev({ type: 'task.created', task: task() });
    const commands = transactionToCommands(tx([started, created], { 't-1': { amount: 12 } }), options);

    expect(commands).toEqual([
      {
        type: 'StartProcessInstance',
        data: { sourceReference, businessKey: 'INV-7' },
        metadata: { commandId: `engine:${started.eventId}`, correlationId: 'pi-1:1', timestamp: T0 },
      },
      {
        type: 'CreateTask',
        data: {
          id: 't-1',
          name: 'Approve invoice',
          taskDefinitionKey: 'ApproveInvoice',
          sourceReference,
          formKey: 'forms/approve',
          priority: 50,
          createTime: T0,
          candidateUsers: [],
          candidateGroups: ['accounting'],
          businessKey: 'INV-7',
          payload: { amount: 12 },
          correlations: [],
        },
        metadata: { commandId: `engine:${created.eventId}`, correlationId: 'pi-1:1', timestamp: T0 },
      },
    ]);
  });

  it('merges a task created, assigned and updated in one transaction into one CreateTask with its final state', () => {
    const created = ev({ type: 'task.created', task: task() });
    const assigned = ev({ type: 'task.assigned', task: task({ assignee: 'ann' }), assignee: 'ann' });
    const changed = ev({
      type: 'task.attributesChanged',
      task: task({ assignee: 'ann', priority: 80, followUpDate: '2026-04-01T00:00:00.000Z' }),
      changed: ['priority', 'followUpDate'],
    });
    const commands = transactionToCommands(tx([created, assigned, changed]), options);

    expect(commands).toHaveLength(1);
    expect(commands[0]).toMatchObject({
      type: 'CreateTask',
      data: { id: 't-1', assignee: 'ann', priority: 80, followUpDate: '2026-04-01T00:00:00.000Z' },
      metadata: { commandId: `engine:${created.eventId}` },
    });
  });

  it('turns a task created and completed in one transaction into CreateTask and CompleteTask', () => {
    const created = ev({ type: 'task.created', task: task({ assignee: 'bob' }) });
    const completed = ev(
      { type: 'task.completed', task: task({ assignee: 'bob' }), variables: { ok: true } },
      T1,
    );
    const commands = transactionToCommands(tx([created, completed]), options);

    expect(commands.map((c) => [c.type, c.metadata.commandId])).toEqual([
      ['CreateTask', `engine:${created.eventId}`],
      ['CompleteTask', `engine:${completed.eventId}`],
    ]);
    expect(commands[1].data).toEqual({ id: 't-1', assignee: 'bob' });
    expect(commands[1].metadata.timestamp).toBe(T1);
  });

  it('merges repeated changes of an existing task into one AssignTask and one UpdateTaskAttributes', () => {
    const a1 = ev({ type: 'task.assigned', task: task({ assignee: 'ann' }), assignee: 'ann' });
    const c1 = ev({
      type: 'task.attributesChanged',
      task: task({ assignee: 'ann', followUpDate: '2026-04-01T00:00:00.000Z' }),
      changed: ['followUpDate'],
    });
    const a2 = ev({
      type: 'task.assigned',
      task: task({ assignee: null, followUpDate: '2026-04-01T00:00:00.000Z' }),
      assignee: null,
    });
    const c2 = ev({
      type: 'task.attributesChanged',
      task: task({ followUpDate: null, priority: 10 }),
      changed: ['followUpDate', 'priority'],
    });
    const commands = transactionToCommands(tx([a1, c1, a2, c2], { 't-1': { amount: 3 } }), options);

    expect(commands).toEqual([
      expect.objectContaining({
        type: 'AssignTask',
        data: { id: 't-1', assignee: null },
        metadata: expect.objectContaining({ commandId: `engine:${a1.eventId}` }),
      }),
      expect.objectContaining({
        type: 'UpdateTaskAttributes',
        data: { id: 't-1', followUpDate: null, priority: 10, payload: { amount: 3 }, correlations: [] },
        metadata: expect.objectContaining({ commandId: `engine:${c1.eventId}` }),
      }),
    ]);
  });

  it('updates only the payload and correlations of a task whose variables alone changed', () => {
    const withCorrelation: CollectorOptions = {
      ...options,
      correlations: [
        { processDefinitionKey: 'invoice-approval', variable: 'invoiceNumber', entryType: 'invoice' },
      ],
    };
    const completed = ev({
      type: 'task.completed',
      task: task({ id: 't-2', taskDefinitionKey: 'CheckTax' }),
      variables: { amount: 4 },
    });
    const changed = ev({ type: 'task.variablesChanged', task: task() });
    const commands = transactionToCommands(
      tx([completed, changed], { 't-1': { amount: 4, invoiceNumber: 'INV-7' }, 't-2': { amount: 4 } }),
      withCorrelation,
    );

    expect(commands.map((c) => [c.type, c.data, c.metadata.commandId])).toEqual([
      ['CompleteTask', { id: 't-2' }, `engine:${completed.eventId}`],
      [
        'UpdateTaskAttributes',
        {
          id: 't-1',
          payload: { amount: 4, invoiceNumber: 'INV-7' },
          correlations: [{ entryType: 'invoice', entryId: 'INV-7' }],
        },
        `engine:${changed.eventId}`,
      ],
    ]);
  });

  it('folds a variable change into the attribute change of the same task', () => {
    const changed = ev({ type: 'task.variablesChanged', task: task() });
    const updated = ev({
      type: 'task.attributesChanged',
      task: task({ priority: 80 }),
      changed: ['priority'],
    });
    const commands = transactionToCommands(tx([changed, updated], { 't-1': { amount: 5 } }), options);

    expect(commands.map((c) => [c.type, c.data])).toEqual([
      ['UpdateTaskAttributes', { id: 't-1', priority: 80, payload: { amount: 5 }, correlations: [] }],
    ]);
  });

  it('turns a cancelled task into DeleteTask with the reason, before the instance is cancelled', () => {
    const cancelled = ev({ type: 'task.cancelled', task: task(), reason: 'instanceCancelled' });
    const end = ev({ type: 'processInstance.cancelled', instance, reason: 'cancelled' });
    const commands = transactionToCommands(tx([cancelled, end]), options);

    expect(commands.map((c) => c.type)).toEqual(['DeleteTask', 'CancelProcessInstance']);
    expect(commands[0].data).toEqual({ id: 't-1', deleteReason: 'instanceCancelled' });
    expect(commands[1].data).toEqual({ sourceReference, businessKey: 'INV-7', reason: 'cancelled' });
  });

  it('reports an incident as the reason of the cancellation and a finished instance as FinishProcessInstance', () => {
    const failed = ev({ type: 'processInstance.cancelled', instance, reason: 'incident', error: 'no path' });
    const finished = ev({ type: 'processInstance.finished', instance: { ...instance, id: 'pi-2' } });
    const commands = transactionToCommands(tx([failed, finished]), options);

    expect(commands[0].data).toMatchObject({ reason: 'incident: no path' });
    expect(commands[1]).toMatchObject({
      type: 'FinishProcessInstance',
      data: { sourceReference: { ...sourceReference, instanceId: 'pi-2' } },
    });
  });

  it('keeps the engine order across tasks: a completion before the next task it led to', () => {
    const done = ev({ type: 'task.completed', task: task(), variables: {} });
    const next = ev({
      type: 'task.created',
      task: task({ id: 't-2', taskDefinitionKey: 'Pay', name: null }),
    });
    const commands = transactionToCommands(tx([done, next]), options);

    expect(commands.map((c) => [c.type, (c.data as { id: string }).id])).toEqual([
      ['CompleteTask', 't-1'],
      ['CreateTask', 't-2'],
    ]);
    // A task without a name is named by its element id.
    expect(commands[1].data).toMatchObject({ name: 'Pay' });
  });

  it('turns a candidate change of an open task into additions and removals against the lists before', () => {
    const assigned = ev({ type: 'task.assigned', task: task({ assignee: 'ann' }), assignee: 'ann' });
    const candidates = ev({
      type: 'task.candidatesChanged',
      task: task({ assignee: 'ann', candidateGroups: ['audit'], candidateUsers: ['cid'] }),
      previous: { candidateUsers: [], candidateGroups: ['accounting'] },
    });
    const commands = transactionToCommands(tx([assigned, candidates]), options);

    expect(commands.map((c) => [c.type, c.data])).toEqual([
      ['AssignTask', { id: 't-1', assignee: 'ann' }],
      ['AddCandidateUsers', { id: 't-1', users: ['cid'] }],
      ['AddCandidateGroups', { id: 't-1', groups: ['audit'] }],
      ['DeleteCandidateGroups', { id: 't-1', groups: ['accounting'] }],
    ]);
    expect(new Set(commands.map((c) => c.metadata.commandId)).size).toBe(4);
  });

  it('removes candidates of a task created in an earlier transaction, alone in its transaction', () => {
    const candidates = ev({
      type: 'task.candidatesChanged',
      task: task({ candidateUsers: [], candidateGroups: ['audit'] }),
      previous: { candidateUsers: ['cid', 'dan'], candidateGroups: ['accounting', 'audit'] },
    });
    const commands = transactionToCommands(tx([candidates]), options);

    expect(commands.map((c) => [c.type, c.data])).toEqual([
      ['DeleteCandidateUsers', { id: 't-1', users: ['cid', 'dan'] }],
      ['DeleteCandidateGroups', { id: 't-1', groups: ['accounting'] }],
    ]);
  });

  it("compares several candidate changes of one transaction from the first one's lists to the last", () => {
    const first = ev({
      type: 'task.candidatesChanged',
      task: task({ candidateUsers: ['cid'], candidateGroups: ['accounting'] }),
      previous: { candidateUsers: [], candidateGroups: ['accounting'] },
    });
    const second = ev({
      type: 'task.candidatesChanged',
      task: task({ candidateUsers: [], candidateGroups: ['audit'] }),
      previous: { candidateUsers: ['cid'], candidateGroups: ['accounting'] },
    });
    const commands = transactionToCommands(tx([first, second]), options);

    // cid came and went within the transaction: the core never hears of them.
    expect(commands.map((c) => [c.type, c.data])).toEqual([
      ['AddCandidateGroups', { id: 't-1', groups: ['audit'] }],
      ['DeleteCandidateGroups', { id: 't-1', groups: ['accounting'] }],
    ]);
  });

  it('gives a redelivered transaction the same commands and ids', () => {
    const events = [
      ev({ type: 'processInstance.started', instance, variables: {} }),
      ev({ type: 'task.created', task: task() }),
    ];
    expect(transactionToCommands(tx(events), options)).toEqual(transactionToCommands(tx(events), options));
  });

  it('leaves out a command that fails its schema and reports it', () => {
    const created = ev({ type: 'task.created', task: task({ assignee: 'not a principal' }) });
    const { commands, problems } = collectTransaction(tx([created]), options);

    expect(commands).toEqual([]);
    expect(problems).toEqual([
      {
        code: 'INVALID_COMMAND',
        subject: 'task t-1',
        message: expect.stringContaining('CreateTask data.assignee'),
      },
    ]);
  });

  it("holds the engine's variables to the payload nesting limit and reports the field", () => {
    const created = ev({ type: 'task.created', task: task() });
    const variables = { 't-1': { order: { lines: [{ note: 'deep' }] } } };
    expect(collectTransaction(tx([created], variables), { ...options, maxPayloadDepth: 4 }).problems).toEqual(
      [],
    );
    const { commands, problems } = collectTransaction(tx([created], variables), {
      ...options,
      maxPayloadDepth: 3,
    });
    expect(commands).toEqual([]);
    expect(problems).toEqual([
      {
        code: 'INVALID_COMMAND',
        subject: 'task t-1',
        message: 'CreateTask data.payload: must be nested at most 3 levels deep',
      },
    ]);
  });

  it('puts the tenant on the source reference when the engine has one', () => {
    const created = ev({ type: 'task.created', task: task({ tenantId: 'acme' }) });
    const [command] = transactionToCommands(tx([created]), options);
    expect(command.data).toMatchObject({ sourceReference: { ...sourceReference, tenantId: 'acme' } });
  });
});
