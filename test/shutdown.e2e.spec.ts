import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import WebSocket from 'ws';
import { aCreateTaskCommand } from '@eddy/testing';

const root = resolve(__dirname, '..');

/** The application as an operator runs it (src/main.ts through tsx), its log lines as they come. */
class RunningEddy {
  readonly lines: string[] = [];
  private waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      this.lines.push(line);
      this.waiters = this.waiters.filter((w) => (w.pattern.test(line) ? (w.resolve(line), false) : true));
    });
    child.stderr!.on('data', (chunk: Buffer) => this.lines.push(String(chunk)));
    this.exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
  }

  /** The first log line matching `pattern`, seen or to come. */
  line(pattern: RegExp): Promise<string> {
    const seen = this.lines.find((line) => pattern.test(line));
    return seen
      ? Promise.resolve(seen)
      : new Promise((resolveLine) => this.waiters.push({ pattern, resolve: resolveLine }));
  }
}

describe('stopping the server (SIGTERM) with clients connected', () => {
  let eddy: RunningEddy;
  let base: URL;

  beforeAll(async () => {
    eddy = new RunningEddy(
      spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        cwd: root,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          EDDY_HTTP_HOST: '127.0.0.1',
          EDDY_HTTP_PORT: '0',
          EDDY_AUTH_MODE: 'dev',
          EDDY_EVENT_STORE: 'memory',
          EDDY_ENGINE: 'none',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    const listening = await eddy.line(/MAIN-000 Eddy is listening on/);
    base = new URL(
      /listening on (http:\/\/[^\s:]+:\d+)/.exec(listening)![1].replace('localhost', '127.0.0.1'),
    );
  });

  afterAll(() => {
    if (eddy.child.exitCode === null && eddy.child.signalCode === null) eddy.child.kill('SIGKILL');
  });

  it('says so, closes graphql-ws with 1001 and a reason, finishes the request in flight, and exits', async () => {
    // A live subscriber, its snapshot received.
    let client: Client | undefined;
    const closed = new Promise<{ code: number; reason: string }>((resolveClose) => {
      client = createClient({
        url: `ws://${base.host}/graphql`,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        connectionParams: { 'x-user': 'alice', 'x-groups': 'accounting' },
        on: {
          closed: (event) => {
            const { code, reason } = event as { code: number; reason: string };
            resolveClose({ code, reason });
          },
        },
      });
    });
    const snapshot = new Promise<void>((resolveSnapshot) =>
      client!.subscribe(
        { query: 'subscription { taskChanges { kind } }' },
        { next: () => resolveSnapshot(), error: () => undefined, complete: () => undefined },
      ),
    );
    await snapshot;

    // A request in flight: its headers are in, half of its body is not. `Expect: 100-continue` makes the server
    // say when it has read the headers: before that the connection is idle, and a stopping server closes it.
    const body = JSON.stringify({ commands: [aCreateTaskCommand('during-shutdown', 'stop-1')] });
    const inFlight = request({
      host: base.hostname,
      port: base.port,
      path: '/api/commands',
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'x-user': 'billing-app',
        'x-groups': 'process-applications',
        expect: '100-continue',
      },
    });
    const answered = new Promise<{ status: number; text: string }>((resolveAnswer, reject) => {
      inFlight.on('response', (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += String(chunk)));
        response.on('end', () => resolveAnswer({ status: response.statusCode ?? 0, text }));
      });
      inFlight.on('error', reject);
    });
    inFlight.flushHeaders();
    await new Promise<void>((resolveContinue) => inFlight.once('continue', () => resolveContinue()));
    const half = Math.floor(body.length / 2);
    inFlight.write(body.slice(0, half));

    eddy.child.kill('SIGTERM');
    await eddy.line(/MAIN-005 Eddy stops \(SIGTERM\)/);
    expect(await closed).toEqual({ code: 1001, reason: 'Going away: the server is stopping' });

    inFlight.end(body.slice(half));
    const answer = await answered;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text).results).toEqual([
      expect.objectContaining({ commandId: 'during-shutdown', status: 'accepted' }),
    ]);

    // It stopped of itself, by the signal, with nothing logged at error level or above.
    expect(await eddy.exited).toEqual({ code: null, signal: 'SIGTERM' });
    const levels = eddy.lines
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line).level as number);
    expect(levels.filter((level) => level >= 50)).toEqual([]);
  });
});
