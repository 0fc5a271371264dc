import { retryWithBackoff } from '@eddy/observability';
import type { EddyProcess } from './eddy-process';

/** A command in the wire form of `POST /api/commands`. */
export interface WireCommand {
  type: string;
  commandId: string;
  data: Record<string, unknown>;
}

const SERVICE_HEADERS = {
  'content-type': 'application/json',
  'x-user': 'burst-app',
  'x-groups': 'process-applications',
};

/**
 * Sends commands to the command API of core processes in batches, several requests at a time, and
 * records which the core accepted. A request that gets no answer (its process died, or is
 * restarting) is sent again, to the next core that runs: the command ids make that harmless, and a
 * command the dead process had appended before it died comes back as `duplicate`, which counts as
 * accepted. Any other answer (a rejection, an error status) is kept in {@link refused}.
 */
export class CommandBurst {
  /** The ids of the commands a core accepted (`accepted` or `duplicate`). */
  readonly accepted = new Set<string>();
  /** Commands a core refused, with what it answered: a burst of valid commands has none. */
  readonly refused: { commandId: string; answer: unknown }[] = [];
  /** Requests sent again after they got no answer. */
  resent = 0;
  private readonly waiters: { count: number; resolve: () => void }[] = [];

  constructor(
    private readonly cores: () => readonly EddyProcess[],
    private readonly options: { batchSize?: number; concurrency?: number } = {},
  ) {}

  /** Sends every command; resolves once each has an answer. */
  async send(commands: readonly WireCommand[]): Promise<void> {
    const size = this.options.batchSize ?? 20;
    const batches: WireCommand[][] = [];
    for (let i = 0; i < commands.length; i += size) batches.push(commands.slice(i, i + size));
    let next = 0;
    const lane = async () => {
      while (next < batches.length) await this.sendBatch(batches[next++]);
    };
    await Promise.all(Array.from({ length: this.options.concurrency ?? 3 }, lane));
    this.wake(Infinity);
  }

  /** Resolves once `count` commands were accepted (or the burst is over). */
  reached(count: number): Promise<void> {
    if (this.accepted.size >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  private async sendBatch(batch: WireCommand[]): Promise<void> {
    const results = await retryWithBackoff(
      async (attempt) => {
        if (attempt > 1) this.resent++;
        const running = this.cores().filter((core) => core.running && core.url !== '');
        const core = running[(attempt - 1) % Math.max(1, running.length)];
        if (!core) throw new Error('no core process runs');
        const answer = await fetch(`${core.url}/api/commands`, {
          method: 'POST',
          headers: SERVICE_HEADERS,
          body: JSON.stringify({ commands: batch }),
        });
        // A process that shuts down may answer 503 before its socket closes: send again.
        if (answer.status >= 500) throw new Error(`${core.name} answered ${answer.status}`);
        const body = (await answer.json()) as { results?: { status: string }[] };
        if (answer.status !== 200 || !body.results) return batch.map(() => ({ status: 'http', body }));
        return body.results;
      },
      { initialDelayMs: 50, maxDelayMs: 1_000, maxAttempts: 600 },
    );
    batch.forEach((command, i) => {
      const result = results[i] as { status: string };
      if (result?.status === 'accepted' || result?.status === 'duplicate')
        this.accepted.add(command.commandId);
      else this.refused.push({ commandId: command.commandId, answer: result });
    });
    this.wake(this.accepted.size);
  }

  private wake(count: number): void {
    for (const waiter of this.waiters.splice(0)) {
      if (waiter.count <= count) waiter.resolve();
      else this.waiters.push(waiter);
    }
  }
}
