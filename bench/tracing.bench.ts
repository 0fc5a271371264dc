/**
 * Tracing benchmark: `npm run bench -- tracing`.
 *
 * What the OpenTelemetry hooks cost on the command path, where every command passes through them: the
 * task handler's load, decide and append on the memory event store (the least work a command does, so
 * the hooks' share is the largest it can be), each command inside `withSpan` as the core's dispatcher
 * runs it. Baseline in the same run, alternating with the subject: the same commands without `withSpan`.
 * Tracing off, the hook is a flag check and the correlation scope of the log lines (one
 * AsyncLocalStorage run per command); tracing on (spans to an in-memory exporter) for comparison.
 */
import { type CommandWithMetadata, type TaskCommand, taskStreamId } from '@eddy/contracts';
import { MemoryEventStore } from '@eddy/eventstore';
import { startTracing, stopTracing, withSpan } from '@eddy/observability';
import { ExecuteTaskCommand, TaskCommandHandler } from '@eddy/taskpool';
import { aSourceReference } from '@eddy/testing/command.fixtures';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { timePairs } from './lib/measure';
import { type BenchResult, compared } from './lib/report';
import { type BenchContext } from './lib/suite';

const COMMANDS = 2_000;
const RUNS = 15;

const sourceReference = aSourceReference({ applicationName: 'bench' });

let sequence = 0;
function createTask(): CommandWithMetadata<TaskCommand> {
  const id = `t-${++sequence}`;
  return {
    type: 'CreateTask',
    data: { id, name: 'Task', taskDefinitionKey: 'work', sourceReference },
    metadata: { commandId: id, correlationId: id, userId: 'bench', timestamp: '2026-12-01T00:00:00Z' },
  } as CommandWithMetadata<TaskCommand>;
}

/** `COMMANDS` commands on fresh streams of a fresh store, each inside `withSpan` or not. */
async function send(traced: boolean): Promise<{ items: number }> {
  const handler = new TaskCommandHandler(new MemoryEventStore(), { maxRetries: 5 });
  for (let i = 0; i < COMMANDS; i++) {
    const command = createTask();
    const execute = () =>
      handler.execute(new ExecuteTaskCommand(command, taskStreamId((command.data as { id: string }).id)));
    if (traced) {
      const { commandId, correlationId } = command.metadata;
      await withSpan(
        `command ${command.type}`,
        { correlationId, kind: 'server', attributes: { 'eddy.command_id': commandId } },
        execute,
      );
    } else {
      await execute();
    }
  }
  return { items: COMMANDS };
}

export async function run(context: BenchContext): Promise<BenchResult[]> {
  context.log(`${COMMANDS} commands per run, ${RUNS} runs of each, subject and baseline alternating`);
  const off = await timePairs(
    RUNS,
    () => send(true),
    () => send(false),
  );
  const exporter = new InMemorySpanExporter();
  startTracing({ serviceName: 'eddy-bench' }, exporter);
  let on: { subject: number; baseline: number };
  try {
    on = await timePairs(
      RUNS,
      async () => {
        exporter.reset();
        return send(true);
      },
      () => send(false),
    );
  } finally {
    await stopTracing();
  }
  return [
    compared(
      'commands with the hooks, tracing off, vs without the hooks',
      off.subject,
      'commands/s',
      off.baseline,
    ),
    compared(
      'commands with the hooks, tracing on (in-memory exporter), vs without the hooks',
      on.subject,
      'commands/s',
      on.baseline,
    ),
  ];
}
