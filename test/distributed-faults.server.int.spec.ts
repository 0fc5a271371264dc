import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { aCreateTaskCommand } from '@eddy/testing/command.fixtures';
import { waitFor } from '@eddy/testing/wait-for';
import { gql } from './helpers/graphql';
import { CommandBurst, type WireCommand } from './support/command-burst';
import { DistributedLayout } from './support/distributed-layout';
import { compareWithRebuild } from './support/rebuilt-views';

/**
 * Faults of the distributed layout, each during a burst of 2,000 commands to the command API: the
 * processes are separate (src/main.ts), on the real PostgreSQL, Kafka and MongoDB-compatible
 * servers. After each fault every accepted command's events are in the views, nothing is doubled,
 * and the views equal a fresh rebuild from the event store.
 */
const BURST = 2_000;
/** Tasks made before the bursts: their updates in every burst make long histories. */
const SEEDED_TASKS = 50;
const ENTRIES = 20;
const clerk = { id: 'carol', groups: ['clerks'] };
const root = resolve(__dirname, '..');

/** The commands of one burst: new tasks, updates of the seeded tasks, data entries with a protocol. */
function burstCommands(burst: string): WireCommand[] {
  return Array.from({ length: BURST }, (_, i): WireCommand => {
    const kind = i % 10;
    if (kind < 7)
      return aCreateTaskCommand(`${burst}-c-${i}`, `${burst}-t-${i}`, { candidateGroups: ['clerks'] });
    if (kind < 9)
      return {
        type: 'UpdateTaskAttributes',
        commandId: `${burst}-c-${i}`,
        data: {
          id: `seed-t-${Math.floor(i / 10) % SEEDED_TASKS}`,
          priority: i % 100,
          description: `${burst} ${i}`,
        },
      };
    const entryId = `INV-${Math.floor(i / 10) % ENTRIES}`;
    return {
      type: 'CreateOrUpdateDataEntry',
      commandId: `${burst}-c-${i}`,
      data: {
        entryType: 'invoice',
        entryId,
        type: 'Invoice',
        name: `Invoice ${entryId} at ${burst} ${i}`,
        applicationName: 'billing',
        authorizations: [{ kind: 'ADD_GROUP', principal: 'clerks' }],
        modification: { username: 'carol', log: `${burst} ${i}` },
      },
    };
  });
}

describe('faults of the distributed layout, as separate processes during bursts of commands', () => {
  jest.setTimeout(600_000);
  const layout = new DistributedLayout({ partitions: 3 });
  const burst = () => new CommandBurst(() => layout.cores, { batchSize: 20, concurrency: 3 });

  beforeAll(async () => {
    await layout.start();
    const seeding = burst();
    await seeding.send([
      ...Array.from({ length: SEEDED_TASKS }, (_, i) =>
        aCreateTaskCommand(`seed-c-${i}`, `seed-t-${i}`, { candidateGroups: ['clerks'] }),
      ),
    ]);
    expect(seeding.refused).toEqual([]);
  });

  afterAll(async () => {
    await layout.stop();
  });

  /**
   * Every accepted command is in the event store; the views reach its head, the api serves every
   * task, and each view equals a fresh rebuild (nothing lost, nothing doubled).
   */
  async function expectTheViewsComplete(sent: CommandBurst): Promise<void> {
    expect(sent.refused).toEqual([]);
    expect(sent.accepted.size).toBe(BURST);
    const events = await layout.eventStore.readAll();
    const appended = new Set(events.map((e) => e.metadata.commandId));
    expect([...sent.accepted].filter((id) => !appended.has(id))).toEqual([]);

    const head = await layout.eventStore.headPosition();
    await layout.views.waitForPosition(head, 180_000);
    const tasks = events.filter((e) => e.type === 'TaskCreated').length;
    await waitFor(
      async () => {
        const answer = await gql<{ tasks: { totalCount: number } }>(
          layout.api.url,
          clerk,
          '{ tasks { totalCount } }',
        );
        expect(answer.data?.tasks.totalCount).toBe(tasks);
      },
      { timeout: 60_000, interval: 200 },
    );
    const verified = await compareWithRebuild(layout.eventStore, layout.views);
    for (const [view, result] of Object.entries(verified)) {
      expect({ view, differences: result.differences }).toEqual({ view, differences: [] });
      expect(result.consistent).toBe(true);
    }
    expect(verified.tasks.checked).toBe(tasks);
  }

  it('loses nothing when the projector is killed -9 during a burst and restarted', async () => {
    const sent = burst();
    const sending = sent.send(burstCommands('projector-kill'));
    await sent.reached(BURST / 4);
    await layout.projector.kill();
    await sent.reached(BURST / 2);
    await layout.projector.start();
    await sending;
    await expectTheViewsComplete(sent);
  });

  it('loses nothing when the active relay is killed -9 during a burst, and the standby takes over', async () => {
    const active = await layout.activeRelay();
    expect(active).toBeDefined();
    const standby = layout.cores.find((core) => core !== active)!;
    const sent = burst();
    const sending = sent.send(burstCommands('relay-kill'));
    await sent.reached(BURST / 4);
    // The active relay runs in a core process: its commands in flight go to the other core.
    await active!.kill();
    await waitFor(
      async () => {
        expect(await layout.activeRelay()).toBe(standby);
        expect(standby.log.some((line) => line.includes('RELAY-001'))).toBe(true);
      },
      { timeout: 30_000, interval: 100 },
    );
    await active!.start();
    await sending;
    await expectTheViewsComplete(sent);
    // The restarted process stands by.
    expect(await layout.activeRelay()).toBe(standby);
  });

  // The broker of the tier (scripts/infra/infra.sh restart kafka): a spec that runs beside this one
  // in another jest worker sees it go away for the seconds of the restart too.
  it('loses nothing when the Kafka broker restarts during a burst', async () => {
    const sent = burst();
    const sending = sent.send(burstCommands('broker-restart'));
    await sent.reached(BURST / 4);
    await promisify(execFile)('bash', [resolve(root, 'scripts/infra/infra.sh'), 'restart', 'kafka'], {
      cwd: root,
    });
    await sending;
    // Whether the relay logs RELAY-003 on the way depends on whether kafkajs's own retries outlast
    // the restart (on a quiet machine they did, and nothing was logged); what must hold is the views.
    await expectTheViewsComplete(sent);
  });
});
