import type { CommandDispatcher, CommandResult, CommandWithMetadata } from '@eddy/contracts';
import { routeCommand } from '@eddy/taskpool';
import type { CommandResultBody } from '../command-results';
import { CORRELATION_HEADER } from '../command-topic/command-message';
import { REQUEST_HEADERS } from './request-headers';
import { RequestTimeoutError, type Requester } from './kafka.requester';

/**
 * The command dispatcher of an api process without the `core` role: each command goes to the command topic
 * (keyed by its stream, as the core's own intake keys them) with the user, the correlation id and a reply
 * address, and the core's answer comes back on the replies topic. The answer is the core's: accepted with
 * the stream's revision and position (so that the tasklist reads its writes), a duplicate, or the
 * rejection with its code. No answer in time is answered `rejected` with `CORE_TIMEOUT`.
 */
export class KafkaCommandDispatcher implements CommandDispatcher {
  constructor(
    private readonly requester: Requester,
    private readonly commandTopic: string,
  ) {}

  async dispatch(command: CommandWithMetadata): Promise<CommandResult> {
    const { metadata, type, data } = command;
    let reply: Buffer;
    try {
      reply = await this.requester.request({
        topic: this.commandTopic,
        key: routeCommand(command).streamId,
        value: JSON.stringify({ type, commandId: metadata.commandId, data }),
        requestId: metadata.commandId,
        timestamp: Date.parse(metadata.timestamp),
        answeredBy: 'a core process with EDDY_KAFKA_COMMANDS=on',
        headers: {
          [CORRELATION_HEADER]: metadata.correlationId,
          [REQUEST_HEADERS.userId]: metadata.userId,
        },
      });
    } catch (error) {
      if (!(error instanceof RequestTimeoutError)) throw error;
      return {
        commandId: metadata.commandId,
        status: 'rejected',
        streamId: null,
        error: { code: 'CORE_TIMEOUT', message: `${type}: ${error.message}` },
      };
    }
    return fromResultBody(metadata.commandId, JSON.parse(reply.toString('utf8')) as CommandResultBody);
  }
}

/** The core's result from its public form (the inverse of `toResultBody`). */
function fromResultBody(commandId: string, body: CommandResultBody): CommandResult {
  if (body.status === 'rejected') {
    return {
      commandId,
      status: 'rejected',
      streamId: body.streamId,
      error: body.error ?? { code: 'REJECTED', message: 'the core rejected the command' },
    };
  }
  return {
    commandId,
    status: body.status,
    streamId: body.streamId!,
    revision: body.revision!,
    position: body.position!,
  };
}
