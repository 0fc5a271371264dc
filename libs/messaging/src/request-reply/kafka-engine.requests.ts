import type {
  BroadcastSignalRequest,
  CorrelateMessageRequest,
  EngineRequests,
  MessageCorrelationResult,
  SignalBroadcastResult,
  StartedProcessInstance,
  StartProcessInstanceRequest,
} from '@eddy/collector/engine/engine.port';
import { EngineError, type EngineErrorCode } from '@eddy/collector/engine/engine.errors';
import { randomUUID } from 'node:crypto';
import type { EngineReply, EngineRequest } from '../engine-requests/engine-request';
import { RequestTimeoutError, type Requester } from './kafka.requester';

/**
 * What an api process without the `collector` role asks of the engine: each request goes to the engine
 * requests topic and the collector process's answer comes back on the replies topic. The engine's errors
 * arrive as {@link EngineError}s with the engine's code; no answer in time is `ENGINE_TIMEOUT`.
 */
export class KafkaEngineRequests implements EngineRequests {
  constructor(
    private readonly requester: Requester,
    private readonly topic: string,
  ) {}

  startProcessInstance(request: StartProcessInstanceRequest): Promise<StartedProcessInstance> {
    return this.ask(
      { kind: 'startProcessInstance', request },
      request.definitionKey,
    ) as Promise<StartedProcessInstance>;
  }

  correlateMessage(request: CorrelateMessageRequest): Promise<MessageCorrelationResult> {
    return this.ask(
      { kind: 'correlateMessage', request },
      `${request.name}#${request.correlationKey}`,
    ) as Promise<MessageCorrelationResult>;
  }

  broadcastSignal(request: BroadcastSignalRequest): Promise<SignalBroadcastResult> {
    return this.ask(
      { kind: 'broadcastSignal', request },
      request.signalName,
    ) as Promise<SignalBroadcastResult>;
  }

  private async ask(request: EngineRequest, key: string): Promise<unknown> {
    // A message's own id names its request: a second send of it is the same request.
    const requestId =
      request.kind === 'correlateMessage' && request.request.messageId
        ? `message:${request.request.messageId}`
        : randomUUID();
    let reply: Buffer;
    try {
      reply = await this.requester.request({
        topic: this.topic,
        key,
        value: JSON.stringify(request),
        requestId,
        answeredBy: 'a collector process (EDDY_ROLES with collector)',
      });
    } catch (error) {
      if (error instanceof RequestTimeoutError) throw new EngineError('ENGINE_TIMEOUT', error.message);
      throw error;
    }
    const answer = JSON.parse(reply.toString('utf8')) as EngineReply;
    if (!answer.ok) throw new EngineError(answer.error.code as EngineErrorCode, answer.error.message);
    return answer.result;
  }
}
