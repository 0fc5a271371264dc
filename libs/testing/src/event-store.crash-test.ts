import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

/** How a child process opens a store: `require(module)[exportName](options)`, sync or async. */
export interface EventStoreChildOpener {
  /** Absolute path of the adapter's module (TypeScript, run by tsx). */
  module: string;
  exportName: string;
  /** JSON-serialisable options passed to the export. */
  options: unknown;
}

/** An append the killed child had acknowledged. */
export interface EventStoreAck {
  eventId: string;
  streamId: string;
  /** Position of the event, when the append's result named it (the last event of an append). */
  position?: number;
}

const WRITER = resolve(__dirname, 'event-store.crash-writer.ts');

/**
 * Starts a child process that appends through the store and reports each acknowledged event on
 * stdout, kills it with SIGKILL once at least `minimumAcks` events were acknowledged, and returns
 * the acknowledgements it received before the kill.
 */
export async function killedWriterAcks(
  opener: EventStoreChildOpener,
  { minimumAcks }: { minimumAcks: number },
): Promise<EventStoreAck[]> {
  // Node itself with tsx's loader, not the tsx CLI: the CLI runs the script in a grandchild, which
  // a SIGKILL to the CLI would not reach.
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, JSON.stringify(opener)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acks: EventStoreAck[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on('exit', (code, signal) => done({ code, signal })),
  );
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    const [kind, eventId, streamId, position] = line.split(' ');
    if (kind !== 'ack') return;
    acks.push({ eventId, streamId, position: position === '-' ? undefined : Number(position) });
    if (acks.length >= minimumAcks && child.exitCode === null && !child.killed) child.kill('SIGKILL');
  });
  const { code, signal } = await exited;
  if (signal !== 'SIGKILL') {
    throw new Error(`the writer process ended by itself (code ${code}, signal ${signal}): ${stderr}`);
  }
  return acks;
}
