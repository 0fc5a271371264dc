import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { requireServer } from '@eddy/testing';

describe('PostgreSQL (pg) against the real server', () => {
  const { url } = requireServer('postgres');
  const client = new Client({ connectionString: url });

  beforeAll(async () => {
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
  });

  it('connects to the fresh test database of this run', async () => {
    const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
    expect(rows[0].db).toMatch(/^eddy_test_/);
    expect(url.endsWith(`/${rows[0].db}`)).toBe(true);
  });

  it('writes and reads rows in a transaction and enforces a unique key', async () => {
    await client.query(
      'CREATE TABLE smoke_events (stream text, revision int, PRIMARY KEY (stream, revision))',
    );
    await client.query('BEGIN');
    await client.query("INSERT INTO smoke_events VALUES ('task-1', 0), ('task-1', 1)");
    await client.query('COMMIT');
    await expect(client.query("INSERT INTO smoke_events VALUES ('task-1', 1)")).rejects.toMatchObject({
      code: '23505',
    });
    const { rows } = await client.query('SELECT revision FROM smoke_events ORDER BY revision');
    expect(rows.map((r) => r.revision)).toEqual([0, 1]);
  });
});
