import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { sleep } from '@eddy/observability';

/** First key of the relay's advisory lock (the second is the hash of the schema and the relay's name). */
const LEASE_LOCK_CLASS = 4712;

export interface RelayLeaseOptions {
  /** Connection string of the event store's PostgreSQL database. */
  connectionString: string;
  /** Schema of the event store (the lock and the checkpoint belong to it). Default `public`. */
  schema?: string;
  /** Name of the relay: one active relay per name and schema. Default `relay`. */
  name?: string;
  /** How often a standby tries to take the lease, and the active one checks it still holds it. Default 1,000 ms. */
  pollMs?: number;
}

/**
 * The lease of the active relay: a session advisory lock on a connection of its own. PostgreSQL
 * releases it when that session ends, so when the active relay dies (even by `kill -9`: its socket
 * closes) a standby's next try takes it. Writes that must happen only while the lease holds (the
 * checkpoint) go through {@link Lease.client}: once the session is gone they fail.
 */
export interface Lease {
  /** The connection that holds the lock. */
  readonly client: Client;
  /** Aborts when the lease is lost (the connection failed) or released. */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

/** Takes the relay's lease: one holder at a time across every process on the database. */
export class RelayLease {
  private readonly logger = new Logger('RelayLease');
  private readonly pollMs: number;
  readonly schema: string;
  readonly name: string;

  constructor(private readonly options: RelayLeaseOptions) {
    this.pollMs = options.pollMs ?? 1_000;
    this.schema = options.schema ?? 'public';
    this.name = options.name ?? 'relay';
  }

  /**
   * Resolves with the lease once this process holds it, trying every `pollMs`; `onStandby` is told
   * once when another process holds it. Rejects when `signal` aborts.
   */
  async acquire(signal: AbortSignal, onStandby?: () => void): Promise<Lease> {
    let toldStandby = false;
    for (;;) {
      if (signal.aborted) throw new Error('the relay stopped');
      const client = new Client({ connectionString: this.options.connectionString });
      client.on('error', () => undefined); // reported through `lost` once the lease is held
      try {
        await client.connect();
        for (;;) {
          const { rows } = await client.query<{ held: boolean }>(
            `SELECT pg_try_advisory_lock($1, hashtext($2)) AS held`,
            [LEASE_LOCK_CLASS, `eddy-relay:${this.schema}:${this.name}`],
          );
          if (rows[0].held) return this.held(client);
          if (!toldStandby) {
            toldStandby = true;
            onStandby?.();
          }
          if (!(await sleep(this.pollMs, signal))) throw new Error('the relay stopped');
        }
      } catch (error) {
        await client.end().catch(() => undefined);
        if (signal.aborted) throw error;
        this.logger.warn(`RELAY-005 lease of relay ${this.name}: ${(error as Error).message}; trying again`);
        if (!(await sleep(this.pollMs, signal))) throw error;
      }
    }
  }

  private held(client: Client): Lease {
    const lost = new AbortController();
    const loseWith = (reason: string) => {
      if (lost.signal.aborted) return;
      this.logger.error(`RELAY-004 relay ${this.name} lost its lease: ${reason}`);
      lost.abort(new Error(reason));
      void client.end().catch(() => undefined);
    };
    client.removeAllListeners('error');
    client.on('error', (error) => loseWith(error.message));
    client.on('end', () => loseWith('the connection ended'));
    // A connection that hangs without failing is noticed by this check.
    const check = setInterval(() => {
      client.query('SELECT 1').catch((error: Error) => loseWith(error.message));
    }, this.pollMs);
    check.unref();
    lost.signal.addEventListener('abort', () => clearInterval(check), { once: true });
    return {
      client,
      lost: lost.signal,
      release: async () => {
        clearInterval(check);
        if (lost.signal.aborted) return;
        client.removeAllListeners('end');
        lost.abort(new Error('released'));
        // Ending the session releases the lock.
        await client.end().catch(() => undefined);
      },
    };
  }
}
