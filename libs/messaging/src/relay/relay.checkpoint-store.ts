import type { Client } from 'pg';
import type { Checkpoint } from '@eddy/eventstore';

/**
 * The relay's checkpoint in the event store's own database (`<schema>.eddy_relay_checkpoints`):
 * every event at or below it has been acknowledged by the broker. It is read and written through
 * the connection that holds the relay's lease, so a relay that lost its lease cannot move it.
 */
export class RelayCheckpointStore {
  private readonly table: string;

  constructor(
    schema: string,
    private readonly name: string,
  ) {
    if (!/^[a-z_][a-z0-9_]{0,47}$/.test(schema)) {
      throw new Error(`schema: must be a lower-case SQL identifier of at most 48 characters, got ${schema}`);
    }
    this.table = `"${schema}".eddy_relay_checkpoints`;
  }

  /** Creates the table where missing and reads the checkpoint (undefined: none yet). */
  async read(client: Client): Promise<Checkpoint | undefined> {
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${this.table} (
         name           text   PRIMARY KEY,
         position       bigint NOT NULL,
         store_identity text
       )`,
    );
    const { rows } = await client.query<{ position: string; store_identity: string | null }>(
      `SELECT position, store_identity FROM ${this.table} WHERE name = $1`,
      [this.name],
    );
    return rows.length === 0
      ? undefined
      : { position: Number(rows[0].position), storeIdentity: rows[0].store_identity };
  }

  /**
   * Stores the checkpoint. `replace` puts it in place as it is (a reset after a mismatch); otherwise
   * it only ever moves forward.
   */
  async write(client: Client, checkpoint: Checkpoint, replace = false): Promise<void> {
    await client.query(
      `INSERT INTO ${this.table} (name, position, store_identity) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET
         position = ${replace ? 'EXCLUDED.position' : `GREATEST(${this.table}.position, EXCLUDED.position)`},
         store_identity = EXCLUDED.store_identity`,
      [this.name, checkpoint.position, checkpoint.storeIdentity],
    );
  }
}
