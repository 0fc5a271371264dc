import { randomUUID } from 'node:crypto';
import {
  MongoClient,
  type ChangeStream,
  type ChangeStreamDocument,
  type Document,
  type ResumeToken,
} from 'mongodb';
import { afterAll, describe, expect, it } from '@jest/globals';
import { requireServer } from '@eddy/testing';

/** The next change of `stream`, failing after `ms` instead of hanging the run. */
async function nextChange(stream: ChangeStream, ms = 20_000): Promise<ChangeStreamDocument<Document>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no change arrived within ${ms}ms`)), ms);
  });
  try {
    return await Promise.race([stream.next(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('MongoDB (mongodb driver) against the real server', () => {
  const { url } = requireServer('mongo');
  const client = new MongoClient(url);
  const db = client.db(`eddy_smoke_${randomUUID().slice(0, 8)}`);

  afterAll(async () => {
    await db.dropDatabase().catch(() => undefined);
    await client.close();
  });

  it('inserts and queries with a filter, a sort and a limit', async () => {
    const tasks = db.collection('tasks');
    await tasks.insertMany([
      { _id: 't1' as never, name: 'Approve', priority: 50, assignee: 'kermit' },
      { _id: 't2' as never, name: 'Review', priority: 80, assignee: 'piggy' },
      { _id: 't3' as never, name: 'Archive', priority: 20, assignee: 'kermit' },
    ]);
    const kermits = await tasks.find({ assignee: 'kermit' }).sort({ priority: -1 }).toArray();
    expect(kermits.map((t) => t._id)).toEqual(['t1', 't3']);
    expect(await tasks.countDocuments({ priority: { $gte: 50 } })).toBe(2);
    const top = await tasks.find({}).sort({ priority: -1 }).limit(1).toArray();
    expect(top.map((t) => t.name)).toEqual(['Review']);
  });

  it('reads a change from a change stream, closes it, and resumes after its token', async () => {
    const views = db.collection('views');
    await views.insertOne({ _id: 'seed' as never });

    const stream = views.watch([], { fullDocument: 'updateLookup' });
    // The stream is open once the driver got its first (empty) batch.
    await stream.tryNext();
    await views.insertOne({ _id: 'v1' as never, revision: 1 });
    const first = await nextChange(stream);
    expect(first.operationType).toBe('insert');
    expect(first.operationType === 'insert' && first.documentKey._id).toBe('v1');
    const token: ResumeToken = first._id;
    await stream.close();

    // Changes made while nobody watched are delivered after resuming.
    await views.updateOne({ _id: 'v1' as never }, { $set: { revision: 2 } });
    await views.insertOne({ _id: 'v2' as never, revision: 1 });

    const resumed = views.watch([], { resumeAfter: token, fullDocument: 'updateLookup' });
    const second = await nextChange(resumed);
    expect(second.operationType).toBe('update');
    expect(second.operationType === 'update' && second.fullDocument).toEqual({ _id: 'v1', revision: 2 });
    const third = await nextChange(resumed);
    expect(third.operationType === 'insert' && third.documentKey._id).toBe('v2');
    await resumed.close();
  });
});
