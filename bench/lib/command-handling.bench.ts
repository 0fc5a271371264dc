/**
 * Command handling on the SQLite store: load, decide, append through the task handler, as the core
 * runs it. The subject sends 1,000 commands to one task (each command loads that task's stream);
 * the baseline sends 1,000 commands to 1,000 tasks, so the ratio shows what a long stream costs.
 */
import { type CommandWithMetadata, type TaskCommand, taskStreamId } from '@eddy/contracts';
import { openSqliteEventStore } from '@eddy/eventstore';
import { ExecuteTaskCommand, TaskCommandHandler } from '@eddy/taskpool';
import { join } from 'node:path';
import { timePairs } from './measure';
import { type BenchResult, compared } from './report';
import { type BenchContext } from './suite';

const COMMANDS = 1_000;
const RUNS = 3;

const sourceReference = {
  type: 'process' as const,
  instanceId: 'pi-1',
  definitionId: 'invoice:1',
  definitionKey: 'invoice',
  name: 'Invoice approval',
  applicationName: 'bench',
};

let sequence = 0;
function withMetadata(command: TaskCommand): CommandWithMetadata<TaskCommand> {
  const commandId = `bench-${++sequence}`;
  return {
    ...command,
    metadata: { commandId, correlationId: commandId, userId: 'bench', timestamp: '2026-12-01T00:00:00Z' },
  } as CommandWithMetadata<TaskCommand>;
}

const createTask = (id: string): TaskCommand =>
  ({
    type: 'CreateTask',
    data: { id, name: 'Task', taskDefinitionKey: 'work', sourceReference },
  }) as TaskCommand;

export async function commandHandlingFigures(context: BenchContext): Promise<BenchResult[]> {
  const dir = context.tempDir('commands');
  let run = 0;
  const send = async (commands: TaskCommand[]): Promise<{ items: number }> => {
    const store = openSqliteEventStore({ filename: join(dir, `run-${++run}.sqlite`) });
    const handler = new TaskCommandHandler(store, { maxRetries: 5 });
    try {
      for (const command of commands) {
        const id = (command.data as { id: string }).id;
        await handler.execute(new ExecuteTaskCommand(withMetadata(command), taskStreamId(id)));
      }
      return { items: commands.length };
    } finally {
      await store.close();
    }
  };
  context.log(
    `command handling: ${COMMANDS} commands on one stream and on ${COMMANDS} streams, ${RUNS} runs`,
  );
  const { subject, baseline } = await timePairs(
    RUNS,
    () =>
      send([
        createTask('long'),
        ...Array.from(
          { length: COMMANDS - 1 },
          (_, i) => ({ type: 'UpdateTaskAttributes', data: { id: 'long', priority: i } }) as TaskCommand,
        ),
      ]),
    () => send(Array.from({ length: COMMANDS }, (_, i) => createTask(`short-${i}`))),
  );
  return [
    compared(
      `sqlite commands on one stream (${COMMANDS}), vs on ${COMMANDS} streams`,
      subject,
      'commands/s',
      baseline,
    ),
    { metric: `sqlite time of ${COMMANDS} commands on one stream`, value: COMMANDS / subject, unit: 's' },
  ];
}
