import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import type { CommandDispatcher, CommandResult, CommandWithMetadata } from '@eddy/contracts';
import { aCreateTaskCommand } from '@eddy/testing';
import { CommandsController } from './commands.controller';

const identity = {
  userId: 'billing-app',
  groups: ['process-applications'],
  permissions: new Set(['commands:write' as const]),
};
const createTask = (id: string) => aCreateTaskCommand(id, id);

/** A core that fails unexpectedly on one task and accepts the others. */
class FailingOnOneTask implements CommandDispatcher {
  readonly dispatched: string[] = [];
  constructor(private readonly failingTaskId: string) {}
  async dispatch(command: CommandWithMetadata): Promise<CommandResult> {
    const id = (command.data as { id: string }).id;
    if (id === this.failingTaskId) throw new RangeError('Maximum call stack size exceeded');
    this.dispatched.push(id);
    return {
      commandId: command.metadata.commandId,
      status: 'accepted',
      streamId: `task-${id}`,
      revision: 0,
      position: 1,
    };
  }
}

describe('CommandsController', () => {
  it("answers a command the core failed on as rejected, and the request's other commands as handled", async () => {
    const core = new FailingOnOneTask('t-2');
    const controller = new CommandsController(core, 1000, { maxPayloadDepth: 64 });
    const answer = await controller.submit(
      { commands: [createTask('t-1'), createTask('t-2'), createTask('t-3')] },
      identity,
    );
    expect(answer.results.map((r) => r.status)).toEqual(['accepted', 'rejected', 'accepted']);
    expect(answer.results[1]).toMatchObject({
      commandId: 't-2',
      streamId: 'task-t-2',
      revision: null,
      position: null,
      error: { code: 'COMMAND_FAILED' },
    });
    expect(answer.results[1].error?.message).not.toMatch(/call stack/);
    expect(core.dispatched).toEqual(['t-1', 't-3']);
  });

  it('checks payloads against the configured depth', async () => {
    const core = new FailingOnOneTask('none');
    const controller = new CommandsController(core, 1000, { maxPayloadDepth: 2 });
    const deep = { ...createTask('t-1'), data: { ...createTask('t-1').data, payload: { a: { b: {} } } } };
    const answer = await controller.submit({ commands: [deep] }, identity);
    expect(answer.results[0]).toMatchObject({
      status: 'rejected',
      error: { code: 'INVALID_COMMAND', path: 'data.payload' },
    });
    expect(core.dispatched).toEqual([]);
  });
});
