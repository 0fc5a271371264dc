import { Test } from '@nestjs/testing';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  COMMAND_DISPATCHER,
  type Command,
  type CommandDispatcher,
  type CommandWithMetadata,
  taskStreamId,
} from '@eddy/contracts';
import { MemoryEventStore, type EventStore } from '@eddy/eventstore';
import { EventStoreModule } from '@eddy/eventstore/event-store.module';
import { CoreModule } from './core.module';

const sourceReference = {
  type: 'process' as const,
  instanceId: 'pi-1',
  definitionId: 'invoice:1',
  definitionKey: 'invoice',
  name: 'Invoice approval',
  applicationName: 'billing',
};

let sequence = 0;
const withMetadata = (command: Command, commandId = `cmd-${++sequence}`): CommandWithMetadata =>
  ({
    ...command,
    metadata: { commandId, correlationId: commandId, userId: 'engine', timestamp: '2026-11-22T10:00:00Z' },
  }) as CommandWithMetadata;

const createTask = (id: string): Command => ({
  type: 'CreateTask',
  data: { id, name: 'Approve invoice', taskDefinitionKey: 'approve', sourceReference },
});

async function core(store: EventStore = new MemoryEventStore()) {
  const moduleRef = await Test.createTestingModule({
    imports: [EventStoreModule.forStore(store), CoreModule.forRoot({ maxRetries: 3 })],
  }).compile();
  await moduleRef.init();
  return { moduleRef, store, dispatcher: moduleRef.get<CommandDispatcher>(COMMAND_DISPATCHER) };
}

describe('core command handling', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  async function setUp(store?: EventStore) {
    const c = await core(store);
    close = () => c.moduleRef.close();
    return c;
  }

  it('appends the decided events with their stream revision and global position', async () => {
    const { dispatcher, store } = await setUp();
    const created = await dispatcher.dispatch(withMetadata(createTask('t-1')));
    expect(created).toMatchObject({ status: 'accepted', streamId: 'task-t-1', revision: 0, position: 1 });
    const claimed = await dispatcher.dispatch(
      withMetadata({ type: 'ClaimTask', data: { id: 't-1', assignee: 'alice' } }),
    );
    expect(claimed).toMatchObject({ status: 'accepted', revision: 1, position: 2 });
    const events = await store.readStream(taskStreamId('t-1'));
    expect(events.map((e) => e.type)).toEqual(['TaskCreated', 'TaskClaimed']);
    expect(events[1].metadata).toMatchObject({ userId: 'engine', timestamp: '2026-11-22T10:00:00Z' });
  });

  it('answers a repeated command id as a duplicate and appends nothing', async () => {
    const { dispatcher, store } = await setUp();
    const command = withMetadata(createTask('t-2'), 'create-t-2');
    expect((await dispatcher.dispatch(command)).status).toBe('accepted');
    const again = await dispatcher.dispatch(command);
    expect(again).toMatchObject({ status: 'duplicate', revision: 0, position: 1 });
    expect(await store.headPosition()).toBe(1);
  });

  it('answers a command id accepted on another stream as a duplicate with the original result', async () => {
    const { dispatcher, store } = await setUp();
    const first = await dispatcher.dispatch(withMetadata(createTask('t-a'), 'create-once'));
    await dispatcher.dispatch(withMetadata(createTask('t-b')));
    for (const id of ['t-c', 't-d']) {
      const again = await dispatcher.dispatch(withMetadata(createTask(id), 'create-once'));
      expect(again).toEqual({ ...first, status: 'duplicate' });
    }
    expect(first).toMatchObject({ status: 'accepted', streamId: 'task-t-a', revision: 0, position: 1 });
    expect(await store.readStream(taskStreamId('t-c'))).toEqual([]);
    expect(await store.headPosition()).toBe(2);
  });

  it('appends a command raced by its own re-delivery once', async () => {
    const { dispatcher, store } = await setUp();
    const outcomes = await Promise.all(
      ['t-e', 't-f', 't-g'].map((id) => dispatcher.dispatch(withMetadata(createTask(id), 'raced'))),
    );
    expect(outcomes.map((o) => o.status).sort()).toEqual(['accepted', 'duplicate', 'duplicate']);
    expect(await store.headPosition()).toBe(1);
  });

  it('rejects a second CreateTask for an existing id with TASK_EXISTS', async () => {
    const { dispatcher } = await setUp();
    await dispatcher.dispatch(withMetadata(createTask('t-3')));
    const second = await dispatcher.dispatch(withMetadata(createTask('t-3')));
    expect(second).toMatchObject({
      status: 'rejected',
      streamId: 'task-t-3',
      error: { code: 'TASK_EXISTS' },
    });
  });

  it('rejects commands on unknown and on closed tasks', async () => {
    const { dispatcher } = await setUp();
    const unknown = await dispatcher.dispatch(withMetadata({ type: 'CompleteTask', data: { id: 'nope' } }));
    expect(unknown).toMatchObject({ status: 'rejected', error: { code: 'TASK_NOT_FOUND' } });
    await dispatcher.dispatch(withMetadata(createTask('t-4')));
    await dispatcher.dispatch(withMetadata({ type: 'CompleteTask', data: { id: 't-4' } }));
    const closed = await dispatcher.dispatch(
      withMetadata({ type: 'AssignTask', data: { id: 't-4', assignee: 'x' } }),
    );
    expect(closed).toMatchObject({ status: 'rejected', error: { code: 'TASK_CLOSED' } });
  });

  it('decides again after a concurrent append to the same stream', async () => {
    const { dispatcher, store } = await setUp();
    await dispatcher.dispatch(withMetadata(createTask('t-5')));
    // Many writers on one stream at once: each conflict is retried against the new state.
    const results = await Promise.all(
      ['a', 'b', 'c'].map((group) =>
        dispatcher.dispatch(
          withMetadata({ type: 'AddCandidateGroups', data: { id: 't-5', groups: [group] } }),
        ),
      ),
    );
    expect(results.every((r) => r.status === 'accepted')).toBe(true);
    const events = await store.readStream(taskStreamId('t-5'));
    expect(events.map((e) => e.revision)).toEqual([0, 1, 2, 3]);
    const last = events.at(-1)!.data as { candidateGroups: string[] };
    expect([...last.candidateGroups].sort()).toEqual(['a', 'b', 'c']);
  });

  it('routes data entry, process definition and process instance commands to their streams', async () => {
    const { dispatcher } = await setUp();
    const entry = await dispatcher.dispatch(
      withMetadata({
        type: 'CreateOrUpdateDataEntry',
        data: {
          entryType: 'invoice',
          entryId: 'INV-1',
          type: 'Invoice',
          name: 'INV-1',
          applicationName: 'billing',
        },
      }),
    );
    expect(entry).toMatchObject({ status: 'accepted', streamId: 'data-entry-invoice#INV-1' });
    const definition = await dispatcher.dispatch(
      withMetadata({
        type: 'RegisterProcessDefinition',
        data: {
          id: 'invoice:1',
          key: 'invoice',
          version: 1,
          name: 'Invoice approval',
          applicationName: 'billing',
          startableFromTasklist: true,
        },
      }),
    );
    expect(definition).toMatchObject({ status: 'accepted', streamId: 'process-definition-invoice:1' });
    const instance = await dispatcher.dispatch(
      withMetadata({ type: 'StartProcessInstance', data: { sourceReference } }),
    );
    expect(instance).toMatchObject({ status: 'accepted', streamId: 'process-instance-billing/pi-1' });
  });

  it('routes saved filter commands to the filter stream, and refuses a change to a deleted one', async () => {
    const { dispatcher, store } = await setUp();
    const saved = await dispatcher.dispatch(
      withMetadata({
        type: 'SaveFilter',
        data: { id: 'f-1', owner: 'anna', name: 'Mine', filter: { assignedToMe: true } },
      }),
    );
    expect(saved).toMatchObject({ status: 'accepted', streamId: 'saved-filter-f-1', revision: 0 });
    await dispatcher.dispatch(withMetadata({ type: 'DeleteFilter', data: { id: 'f-1' } }));
    const late = await dispatcher.dispatch(
      withMetadata({ type: 'ShareFilter', data: { id: 'f-1', groups: ['clerks'] } }),
    );
    expect(late).toMatchObject({ status: 'rejected', error: { code: 'FILTER_NOT_FOUND', path: 'data.id' } });
    expect((await store.readStream('saved-filter-f-1')).map((e) => e.type)).toEqual([
      'FilterSaved',
      'FilterDeleted',
    ]);
  });
});
