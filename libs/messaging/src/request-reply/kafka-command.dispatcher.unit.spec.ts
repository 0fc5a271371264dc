import { describe, expect, it } from '@jest/globals';
import type { CommandWithMetadata } from '@eddy/contracts';
import { KafkaCommandDispatcher } from './kafka-command.dispatcher';
import { RequestTimeoutError, type OutgoingRequest, type Requester } from './kafka.requester';

const claim: CommandWithMetadata = {
  type: 'ClaimTask',
  data: { id: 't-1', assignee: 'carl', exclusive: true },
  metadata: {
    commandId: 'c-1',
    correlationId: 'corr-1',
    userId: 'carl',
    timestamp: '2026-12-01T10:00:00.000Z',
  },
};

/** A requester that records each request and answers with `answer`. */
function requester(answer: (request: OutgoingRequest) => Promise<unknown>) {
  const sent: OutgoingRequest[] = [];
  const fake: Requester = {
    request: async (request) => {
      sent.push(request);
      return Buffer.from(JSON.stringify(await answer(request)));
    },
  };
  return { fake, sent };
}

describe('KafkaCommandDispatcher', () => {
  it('sends the command as the command topic takes it, keyed by its stream, with the user and the correlation id', async () => {
    const { fake, sent } = requester(async () => ({
      commandId: 'c-1',
      status: 'accepted',
      streamId: 'task-t-1',
      revision: 3,
      position: 42,
    }));
    const result = await new KafkaCommandDispatcher(fake, 'commands').dispatch(claim);
    expect(result).toEqual({
      commandId: 'c-1',
      status: 'accepted',
      streamId: 'task-t-1',
      revision: 3,
      position: 42,
    });
    expect(sent).toEqual([
      {
        topic: 'commands',
        key: 'task-t-1',
        value: JSON.stringify({ type: 'ClaimTask', commandId: 'c-1', data: claim.data }),
        requestId: 'c-1',
        timestamp: Date.parse('2026-12-01T10:00:00.000Z'),
        headers: { 'x-correlation-id': 'corr-1', 'eddy-user-id': 'carl' },
        answeredBy: 'a core process with EDDY_KAFKA_COMMANDS=on',
      },
    ]);
  });

  it('answers a command the core had accepted before as a duplicate, with its position to read the writes at', async () => {
    const { fake } = requester(async () => ({
      commandId: 'c-1',
      status: 'duplicate',
      streamId: 'task-t-1',
      revision: 3,
      position: 42,
    }));
    expect(await new KafkaCommandDispatcher(fake, 'commands').dispatch(claim)).toEqual({
      commandId: 'c-1',
      status: 'duplicate',
      streamId: 'task-t-1',
      revision: 3,
      position: 42,
    });
  });

  it("answers with the core's rejection and its code", async () => {
    const { fake } = requester(async () => ({
      commandId: 'c-1',
      status: 'rejected',
      streamId: 'task-t-1',
      revision: null,
      position: null,
      error: { code: 'TASK_ASSIGNED', message: 'task t-1 is assigned to dora' },
    }));
    expect(await new KafkaCommandDispatcher(fake, 'commands').dispatch(claim)).toEqual({
      commandId: 'c-1',
      status: 'rejected',
      streamId: 'task-t-1',
      error: { code: 'TASK_ASSIGNED', message: 'task t-1 is assigned to dora' },
    });
  });

  it('answers a reply that never comes with CORE_TIMEOUT, naming the process that should have answered', async () => {
    const { fake } = requester(async (request) => {
      throw new RequestTimeoutError(request.requestId, request.topic, 50, request.answeredBy);
    });
    const result = await new KafkaCommandDispatcher(fake, 'commands').dispatch(claim);
    expect(result).toMatchObject({ status: 'rejected', error: { code: 'CORE_TIMEOUT' } });
    expect(result.status === 'rejected' && result.error.message).toMatch(
      /^ClaimTask: request c-1 on commands: no reply within 50 ms: a core process with EDDY_KAFKA_COMMANDS=on is down/,
    );
  });
});
