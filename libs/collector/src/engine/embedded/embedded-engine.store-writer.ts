import type Database from 'better-sqlite3';
import { Worker } from 'node:worker_threads';

/**
 * The writes of one batch of the engine's store (embedded-engine.store.ts), serialised: committed in one
 * SQLite transaction, in this order.
 */
export interface SerialisedBatch {
  deletes: string[];
  /** `[id, meta, engineState]`; engineState null keeps the stored one. */
  instances: [string, string, string | null][];
  /** Transactions (JSON) for the outbox; their sequence numbers come back in this order. */
  outbox: string[];
  acks: number[];
  /** `[id, message JSON, expiresAt]` */
  bufferedMessages: [string, string, number][];
  consumedMessages: string[];
  /** `[messageId, expiresAt]` */
  messageIds: [string, number][];
  /** `[requestId, instanceId, definitionId, expiresAt]`: starts that a repeated request must not make again. */
  startRequests: [string, string, string, number][];
}

/** Commits batches one after the other; resolves with the outbox sequence numbers of each. */
export interface BatchWriter {
  write(batch: SerialisedBatch): Promise<number[]>;
  close(): Promise<void>;
}

/**
 * Prepares the statements of a batch on `db` and returns the function that commits one batch. It is also
 * sent to the writer thread as source text, so it uses nothing from the module around it.
 */
function batchCommitter(db: Database.Database): (batch: SerialisedBatch) => number[] {
  const upsertInstance = db.prepare(
    `INSERT INTO instances (id, meta, engine_state) VALUES (?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET meta = excluded.meta, engine_state = excluded.engine_state`,
  );
  const updateMeta = db.prepare('UPDATE instances SET meta = ? WHERE id = ?');
  const deleteInstance = db.prepare('DELETE FROM instances WHERE id = ?');
  const insertOutbox = db.prepare('INSERT INTO outbox (tx) VALUES (?)');
  const deleteOutbox = db.prepare('DELETE FROM outbox WHERE seq = ?');
  const insertMessage = db.prepare(
    'INSERT INTO buffered_messages (id, message, expires_at) VALUES (?, ?, ?)',
  );
  const deleteMessage = db.prepare('DELETE FROM buffered_messages WHERE id = ?');
  const upsertMessageId = db.prepare(
    `INSERT INTO message_ids (message_id, expires_at) VALUES (?, ?)
     ON CONFLICT (message_id) DO UPDATE SET expires_at = MAX(expires_at, excluded.expires_at)`,
  );
  const insertStartRequest = db.prepare(
    'INSERT OR IGNORE INTO start_requests (request_id, instance_id, definition_id, expires_at) VALUES (?, ?, ?, ?)',
  );
  return db.transaction((batch: SerialisedBatch) => {
    for (const id of batch.deletes) deleteInstance.run(id);
    for (const [id, meta, engineState] of batch.instances) {
      if (engineState === null) updateMeta.run(meta, id);
      else upsertInstance.run(id, meta, engineState);
    }
    const seqs = batch.outbox.map((tx) => Number(insertOutbox.run(tx).lastInsertRowid));
    for (const seq of batch.acks) deleteOutbox.run(seq);
    for (const [id, message, expiresAt] of batch.bufferedMessages) insertMessage.run(id, message, expiresAt);
    for (const id of batch.consumedMessages) deleteMessage.run(id);
    for (const [messageId, expiresAt] of batch.messageIds) upsertMessageId.run(messageId, expiresAt);
    for (const [requestId, instanceId, definitionId, expiresAt] of batch.startRequests) {
      insertStartRequest.run(requestId, instanceId, definitionId, expiresAt);
    }
    return seqs;
  });
}

/** Commits on the calling thread: for a database in memory, which has no file a thread could open. */
export function inlineBatchWriter(db: Database.Database): BatchWriter {
  const commit = batchCommitter(db);
  return {
    write: async (batch) => commit(batch),
    close: async () => undefined,
  };
}

type WriterReply = { ok: true; seqs: number[] } | { ok: false; message: string };

/**
 * The writer thread's body, sent as source text with {@link batchCommitter}: it opens the file and commits
 * each batch it is sent, answering in the same order.
 */
function writerThread(committer: typeof batchCommitter): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const Driver = require(workerData.driver) as typeof import('better-sqlite3');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const db = new Driver(workerData.filename as string, { timeout: 10_000 });
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${workerData.synchronous as string}`);
  const commit = committer(db);
  parentPort!.on('message', (message: SerialisedBatch | 'close') => {
    if (message === 'close') {
      db.close();
      parentPort!.close();
      return;
    }
    let reply: WriterReply;
    try {
      reply = { ok: true, seqs: commit(message) };
    } catch (error) {
      reply = { ok: false, message: String((error as Error).message ?? error) };
    }
    parentPort!.postMessage(reply);
  });
}

/**
 * Commits on a thread of its own, so that the event loop runs on while a commit waits for the disk. The
 * caller's connection stays for reads; batches are answered in the order they were sent.
 */
export function threadBatchWriter(filename: string, synchronous: 'FULL' | 'NORMAL'): BatchWriter {
  // esbuild (tsx) wraps named functions in a `__name` helper of the module; the source sent to the thread
  // does not carry it, so a no-op stands in.
  const worker = new Worker(
    `var __name = (target) => target;\n(${writerThread.toString()})(${batchCommitter.toString()})`,
    { eval: true, workerData: { driver: require.resolve('better-sqlite3'), filename, synchronous } },
  );
  const waiting: { resolve(seqs: number[]): void; reject(error: Error): void }[] = [];
  let failure: Error | null = null;
  const fail = (error: Error) => {
    failure ??= new Error(`ENGINE-003 ${filename}: the writer thread stopped: ${error.message}`);
    for (const w of waiting.splice(0)) w.reject(failure);
  };
  worker.on('message', (reply: WriterReply) => {
    const next = waiting.shift();
    if (waiting.length === 0) worker.unref();
    if (!next) return;
    if (reply.ok) next.resolve(reply.seqs);
    else next.reject(new Error(reply.message));
  });
  // The thread keeps the process alive only while a batch is on its way. After the 'message' listener:
  // adding the first one refs the worker's message port again, which would keep the process alive until
  // the first batch's answer, or for good when no batch is ever written (an engine whose start failed).
  worker.unref();
  worker.on('error', fail);
  const exited = new Promise<void>((done) => worker.once('exit', () => done()));
  let closing = false;
  worker.once('exit', (code) => {
    if (!closing) fail(new Error(`it exited with code ${code}`));
  });
  return {
    write: (batch) =>
      new Promise((resolve, reject) => {
        if (failure) return reject(failure);
        waiting.push({ resolve, reject });
        worker.ref();
        worker.postMessage(batch);
      }),
    close: async () => {
      closing = true;
      // Kept alive until the thread has closed the file: nothing else may be left to wait for.
      worker.ref();
      if (!failure) worker.postMessage('close');
      await exited;
    },
  };
}
