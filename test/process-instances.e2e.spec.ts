import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TasklistHarness } from './support/tasklist-harness';

const MINE = `query($state: ProcessInstanceState, $first: Int, $after: String) {
  myProcessInstances(state: $state, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id processInstanceId state startTime cancellationRequested openTasks { id name } }
  }
}`;
const CANCEL = `mutation($id: ID!) { cancelProcessInstance(id: $id) { id state cancellationRequested } }`;

interface Instance {
  id: string;
  processInstanceId: string;
  state: string;
  startTime: string;
  cancellationRequested: boolean;
  openTasks: { id: string; name: string }[];
}
type Mine = {
  myProcessInstances: {
    totalCount: number;
    nodes: Instance[];
    pageInfo: { hasNextPage: boolean; endCursor: string };
  };
};

const source = (instanceId: string) => ({
  type: 'process' as const,
  instanceId,
  definitionId: 'review:1',
  definitionKey: 'review',
  name: 'Review',
  applicationName: 'review-app',
});

describe('process instances of a user end to end', () => {
  let harness: TasklistHarness;
  let alice: Record<string, string>;
  let bob: Record<string, string>;
  let admin: Record<string, string>;

  beforeAll(async () => {
    harness = await TasklistHarness.start();
    alice = await harness.as('alice', ['sales']);
    bob = await harness.as('bob', ['sales']);
    admin = await harness.as('ada', ['admins']);
    const start = (instanceId: string, startUserId: string) =>
      harness.dispatch({
        type: 'StartProcessInstance',
        data: { sourceReference: source(instanceId), startUserId },
      });
    await start('pi-a1', 'alice');
    await start('pi-a2', 'alice');
    await start('pi-b1', 'bob');
    await harness.dispatch({ type: 'FinishProcessInstance', data: { sourceReference: source('pi-a1') } });
    // Tasks of alice's second instance: one she may see, one she may not.
    await harness.createTask('t-visible', { candidateGroups: ['sales'], sourceReference: source('pi-a2') });
    await harness.createTask('t-hidden', { candidateGroups: ['board'], sourceReference: source('pi-a2') });
    await harness.settle();
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('lists the instances the user started, newest first, with the open tasks the user may see', async () => {
    const answer = await harness.graphql<Mine>(MINE, {}, alice);
    expect(answer.errors).toBeUndefined();
    const mine = answer.data!.myProcessInstances;
    expect(mine.totalCount).toBe(2);
    // Newest first, then by id (two starts may share a millisecond).
    const newestFirst = [...mine.nodes].sort(
      (a, b) => Date.parse(b.startTime) - Date.parse(a.startTime) || (a.id < b.id ? -1 : 1),
    );
    expect(mine.nodes).toEqual(newestFirst);
    expect(Object.fromEntries(mine.nodes.map((i) => [i.processInstanceId, i.state]))).toEqual({
      'pi-a1': 'FINISHED',
      'pi-a2': 'RUNNING',
    });
    const a2 = mine.nodes.find((i) => i.processInstanceId === 'pi-a2')!;
    expect(a2.openTasks.map((t) => t.id)).toEqual(['t-visible']);
    const running = await harness.graphql<Mine>(MINE, { state: 'RUNNING' }, alice);
    expect(running.data!.myProcessInstances.nodes.map((i) => i.processInstanceId)).toEqual(['pi-a2']);
    const paged = await harness.graphql<Mine>(MINE, { first: 1 }, alice);
    const rest = await harness.graphql<Mine>(
      MINE,
      { first: 1, after: paged.data!.myProcessInstances.pageInfo.endCursor },
      alice,
    );
    expect(rest.data!.myProcessInstances.nodes.map((i) => i.processInstanceId)).toEqual([
      mine.nodes[1].processInstanceId,
    ]);
    const ofBob = await harness.graphql<Mine>(MINE, {}, bob);
    expect(ofBob.data!.myProcessInstances.nodes.map((i) => i.processInstanceId)).toEqual(['pi-b1']);
  });

  it('lets the starter ask for the cancellation through the core; others get not found', async () => {
    expect(
      (await harness.graphql(CANCEL, { id: 'review-app/pi-a2' }, bob)).errors?.[0]?.extensions,
    ).toMatchObject({
      code: 'NOT_FOUND',
      field: 'id',
    });
    const answer = await harness.graphql<{ cancelProcessInstance: Instance }>(
      CANCEL,
      { id: 'review-app/pi-a2' },
      alice,
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.cancelProcessInstance).toMatchObject({
      state: 'RUNNING',
      cancellationRequested: true,
    });
    const events = await harness.eventStore.readStream('process-instance-review-app/pi-a2');
    expect(events.at(-1)).toMatchObject({
      type: 'ProcessInstanceCancellationRequested',
      data: { requestedBy: 'alice' },
      metadata: { userId: 'alice' },
    });
    // Asking again changes nothing.
    await harness.graphql(CANCEL, { id: 'review-app/pi-a2' }, alice);
    expect(await harness.eventStore.readStream('process-instance-review-app/pi-a2')).toHaveLength(
      events.length,
    );
  });

  it('lets an admin cancel any running instance, and refuses an ended one', async () => {
    const answer = await harness.graphql<{ cancelProcessInstance: Instance }>(
      CANCEL,
      { id: 'review-app/pi-b1' },
      admin,
    );
    expect(answer.data?.cancelProcessInstance.cancellationRequested).toBe(true);
    expect(
      (await harness.graphql(CANCEL, { id: 'review-app/pi-a1' }, alice)).errors?.[0]?.extensions,
    ).toMatchObject({
      code: 'CONFLICT',
      reason: 'PROCESS_INSTANCE_CLOSED',
    });
    expect(
      (await harness.graphql(CANCEL, { id: 'review-app/nope' }, admin)).errors?.[0]?.extensions,
    ).toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
