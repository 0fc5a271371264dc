import { START_REQUEST_RETENTION_MS, type StartedProcessInstance } from '../engine.port';
import { type EmbeddedEngineStore, type StartRequestRecord } from './embedded-engine.store';

/**
 * The starts made for request ids (`StartProcessInstanceRequest.requestId`). A start's record is written
 * in the same SQLite transaction as the new instance's first step (`Runtime.startRequest`), so after a
 * crash either both are there or neither is: a repeated request finds the instance it started, or starts
 * it for the first time. Records live in the engine's file only (a week of starts would not fit in memory).
 */
export class StartRequests {
  /** Starts under way, so that a request repeated while its first delivery is still running waits for it. */
  private readonly pending = new Map<string, Promise<StartedProcessInstance>>();

  constructor(
    private readonly store: EmbeddedEngineStore,
    private readonly now: () => number,
  ) {}

  /** Forgets the starts whose time has passed (when the engine opens). */
  prune(): void {
    this.store.pruneStartRequests(this.now());
  }

  /** Answers with the instance started for `requestId` before, or makes the start with `start`. */
  async once(
    requestId: string,
    start: () => Promise<StartedProcessInstance>,
  ): Promise<StartedProcessInstance> {
    const known = this.store.findStartRequest(requestId, this.now());
    if (known) return { instanceId: known.instanceId, definitionId: known.definitionId };
    const running = this.pending.get(requestId);
    if (running) return running;
    const made = start();
    this.pending.set(requestId, made);
    try {
      return await made;
    } finally {
      this.pending.delete(requestId);
    }
  }

  /** The record a new instance's first step commits for `requestId`. */
  record(requestId: string, started: StartedProcessInstance): StartRequestRecord {
    return { requestId, ...started, expiresAt: this.now() + START_REQUEST_RETENTION_MS };
  }
}

/** The longest request id a start accepts (Kafka request ids are UUIDs; HTTP clients choose their own). */
export const MAX_REQUEST_ID_LENGTH = 200;

export function isRequestId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_REQUEST_ID_LENGTH;
}
