import { Test } from '@nestjs/testing';
import {
  COMMAND_DISPATCHER,
  type Command,
  type CommandDispatcher,
  type CommandWithMetadata,
} from '@eddy/contracts';
import { type EventStore, MemoryEventStore, type StoredEvent } from '@eddy/eventstore';
import {
  DEFAULT_PROJECTIONS,
  LIVE_COPY,
  MemoryViewStore,
  ProjectionWorker,
  type ViewName,
  type ViewStore,
} from '@eddy/projections';
import { EventStoreModule } from '@eddy/eventstore/event-store.module';
import { CoreModule } from '@eddy/taskpool';
import { seededRandom } from '@eddy/testing';

/** Test data of the event topic specs (not a spec itself: no tier in its name). */

/**
 * Runs `steps` random commands of every kind through the core (process definitions in several
 * versions, instances, data entries with authorisations and protocol, tasks correlated to entries,
 * claims, updates, deferrals, completions) and returns the store that holds their events.
 */
export async function aWorkload(seed: number, steps: number, store: EventStore = new MemoryEventStore()) {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const moduleRef = await Test.createTestingModule({
    imports: [EventStoreModule.forStore(store), CoreModule.forRoot({ maxRetries: 3 })],
  }).compile();
  await moduleRef.init();
  const dispatcher = moduleRef.get<CommandDispatcher>(COMMAND_DISPATCHER);
  let sequence = 0;
  const send = (command: Command) =>
    dispatcher.dispatch({
      ...command,
      metadata: {
        commandId: `wl-${seed}-${++sequence}`,
        correlationId: `corr-${seed}-${sequence}`,
        userId: 'engine',
        timestamp: new Date(Date.UTC(2026, 0, 1, 8) + sequence * 1_000).toISOString(),
      },
    } as CommandWithMetadata);
  const groups = ['clerks', 'accounting', 'assessors'];
  const users = ['alice', 'bob', 'carol'];
  const source = (instance: number) => ({
    type: 'process' as const,
    instanceId: `pi-${instance}`,
    definitionId: `order:${1 + (instance % 3)}`,
    definitionKey: 'order',
    name: 'Order approval',
    applicationName: 'shop',
  });
  const entryIds = Array.from({ length: Math.max(3, Math.ceil(steps / 12)) }, (_, i) => `INV-${i}`);
  let tasks = 0;
  let instances = 0;
  for (let step = 0; step < steps; step++) {
    const roll = random();
    const task = `t-${Math.floor(random() * Math.max(1, tasks))}`;
    if (roll < 0.04) {
      const version = 1 + Math.floor(random() * 3);
      await send({
        type: 'RegisterProcessDefinition',
        data: {
          id: `order:${version}`,
          key: 'order',
          version,
          name: `Order approval v${version}`,
          applicationName: 'shop',
          startableFromTasklist: random() < 0.5,
          candidateStarterGroups: [pick(groups)],
        },
      });
    } else if (roll < 0.12) {
      await send({
        type: 'StartProcessInstance',
        data: { sourceReference: source(instances++), businessKey: `bk-${step}` },
      });
    } else if (roll < 0.16 && instances > 0) {
      const instance = Math.floor(random() * instances);
      await send(
        random() < 0.5
          ? {
              type: 'ChangeProcessVariables',
              data: { sourceReference: source(instance), variables: { step } },
            }
          : {
              type: pick([
                'FinishProcessInstance',
                'CancelProcessInstance',
                'SuspendProcessInstance',
              ] as const),
              data: { sourceReference: source(instance), reason: 'done' },
            },
      );
    } else if (roll < 0.34) {
      const entryId = pick(entryIds);
      await send({
        type: 'CreateOrUpdateDataEntry',
        data: {
          entryType: 'invoice',
          entryId,
          type: 'Invoice',
          name: `Invoice ${entryId} at ${step}`,
          applicationName: 'billing',
          state: {
            processingType: pick(['PRELIMINARY', 'IN_PROGRESS', 'COMPLETED'] as const),
            state: `s${step}`,
          },
          payload: { amount: step, supplier: pick(['ACME', 'Globex']) },
          authorizations: [
            { kind: pick(['ADD_GROUP', 'REMOVE_GROUP'] as const), principal: pick(groups) },
            { kind: 'ADD_USER', principal: pick(users) },
          ],
          modification: { username: pick(users), log: `change ${step}` },
        },
      });
    } else if (roll < 0.37) {
      await send(
        random() < 0.5
          ? { type: 'DeleteDataEntry', data: { entryType: 'invoice', entryId: pick(entryIds) } }
          : {
              type: 'AnonymizeDataEntry',
              data: { entryType: 'invoice', entryId: pick(entryIds), anonymizedUsername: 'anonymous' },
            },
      );
    } else if (roll < 0.55) {
      await send({
        type: 'CreateTask',
        data: {
          id: `t-${tasks++}`,
          name: `Review ${step}`,
          taskDefinitionKey: 'review',
          sourceReference: source(Math.floor(random() * Math.max(1, instances))),
          candidateGroups: [pick(groups)],
          priority: Math.floor(random() * 100),
          payload: { step },
          correlations: [{ entryType: 'invoice', entryId: pick(entryIds) }],
        },
      });
    } else if (roll < 0.65) {
      await send({ type: 'ClaimTask', data: { id: task, assignee: pick(users) } });
    } else if (roll < 0.7) {
      await send({ type: 'UnclaimTask', data: { id: task } });
    } else if (roll < 0.78) {
      await send({
        type: 'UpdateTaskAttributes',
        data: {
          id: task,
          priority: Math.floor(random() * 100),
          description: `d${step}`,
          payload: { step, more: true },
        },
      });
    } else if (roll < 0.83) {
      await send({ type: 'AddCandidateGroups', data: { id: task, groups: [pick(groups)] } });
    } else if (roll < 0.88) {
      await send({ type: 'DeferTask', data: { id: task, followUpDate: '2030-01-01T00:00:00.000Z' } });
    } else if (roll < 0.95) {
      await send({ type: 'CompleteTask', data: { id: task } });
    } else {
      await send({ type: 'DeleteTask', data: { id: task, deleteReason: 'obsolete' } });
    }
  }
  // Not closed: closing the module would close the store, which the caller reads.
  return store;
}

/**
 * The events in another order that keeps each stream's order (what Kafka keeps): a random
 * interleaving of the streams.
 */
export function shuffledAcrossStreams(events: readonly StoredEvent[], random: () => number): StoredEvent[] {
  const streams = new Map<string, StoredEvent[]>();
  for (const e of events) streams.set(e.streamId, [...(streams.get(e.streamId) ?? []), e]);
  const queues = [...streams.values()];
  const shuffled: StoredEvent[] = [];
  while (queues.length > 0) {
    const i = Math.floor(random() * queues.length);
    shuffled.push(queues[i].shift()!);
    if (queues[i].length === 0) queues.splice(i, 1);
  }
  return shuffled;
}

export const VIEWS: ViewName[] = ['tasks', 'data-entries', 'process-definitions', 'process-instances'];

/** Every document of every view, by view. */
export async function everyView(store: ViewStore): Promise<Record<string, unknown[]>> {
  return Object.fromEntries(
    await Promise.all(VIEWS.map(async (view) => [view, await store.documents({ view, copy: LIVE_COPY })])),
  ) as Record<string, unknown[]>;
}

/** The views as the in-process projection builds them from the store: every event in global order. */
export async function inOrderViews(store: EventStore): Promise<MemoryViewStore> {
  const views = new MemoryViewStore();
  const head = await store.headPosition();
  for (const projection of DEFAULT_PROJECTIONS) {
    const worker = new ProjectionWorker(projection, { view: projection.name, copy: LIVE_COPY }, store, views);
    await worker.init();
    if (!(await worker.catchUpTo(head)))
      throw new Error(`in-order projection ${projection.name} failed: ${worker.failure?.message}`);
  }
  return views;
}
