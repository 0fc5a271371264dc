import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterAll } from '@jest/globals';
import { requireServer } from './servers';

/**
 * A client of the MongoDB server of the real-server tier (`EDDY_TEST_MONGO_URL`: mongo-java-server
 * from `npm run test:int`, or a real MongoDB) and fresh database names for a spec; the databases are
 * dropped and the client closed after the spec's file.
 */
export function mongoTestDatabases(prefix: string): { client: MongoClient; fresh(): string } {
  const { url } = requireServer('mongo');
  const client = new MongoClient(url);
  const databases: string[] = [];
  afterAll(async () => {
    for (const name of databases)
      await client
        .db(name)
        .dropDatabase()
        .catch(() => undefined);
    await client.close();
  });
  return {
    client,
    fresh: () => {
      const name = `${prefix}_${randomUUID().slice(0, 8)}`;
      databases.push(name);
      return name;
    },
  };
}
