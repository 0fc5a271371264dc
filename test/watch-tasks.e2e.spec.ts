import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from '@jest/globals';
import { TasklistHarness } from './support/tasklist-harness';

const root = resolve(__dirname, '..');

/** `npm run watch-tasks` as a user runs it, against the harness, its output line by line. */
class WatchTasks {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  private waiters: { pattern: RegExp; resolve: () => void }[] = [];
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    const collect = (into: string[]) => (line: string) => {
      into.push(line);
      this.waiters = this.waiters.filter((w) => (w.pattern.test(line) ? (w.resolve(), false) : true));
    };
    createInterface({ input: child.stdout! }).on('line', collect(this.stdout));
    createInterface({ input: child.stderr! }).on('line', collect(this.stderr));
    this.exited = new Promise((done) => child.once('exit', (code) => done(code)));
  }

  static start(url: string, env: Record<string, string>, args: string[] = []): WatchTasks {
    return new WatchTasks(
      spawn(process.execPath, ['--import', 'tsx', 'scripts/watch-tasks.ts', ...args], {
        cwd: root,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, EDDY_URL: url, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
  }

  line(pattern: RegExp): Promise<void> {
    if ([...this.stdout, ...this.stderr].some((line) => pattern.test(line))) return Promise.resolve();
    return new Promise((resolveLine) => this.waiters.push({ pattern, resolve: resolveLine }));
  }
}

describe('npm run watch-tasks', () => {
  let harness: TasklistHarness | undefined;
  let watcher: WatchTasks | undefined;

  afterEach(async () => {
    watcher?.child.kill('SIGKILL');
    await harness?.close();
    harness = undefined;
  });

  it('watches with a token in jwt mode and ends with one line when the server closes the connection', async () => {
    const server = await TasklistHarness.start({ authMode: 'jwt' });
    harness = server;
    const token = await server.token('alice', ['accounting']);
    watcher = WatchTasks.start(server.url, { EDDY_WATCH_TOKEN: token });
    await watcher.line(/^SNAPSHOT at position/);

    await server.createTask('watched-1', { candidateGroups: ['accounting'] });
    await watcher.line(/watched-1 {2}Task watched-1/);
    expect(watcher.stdout).toContainEqual(expect.stringMatching(/^UPSERTED at position \d+$/));

    await server.close();
    harness = undefined;
    expect(await watcher.exited).toBe(1);
    expect(watcher.stderr).toEqual([
      'subscription ended: connection closed (1001: Going away: the server is stopping)',
    ]);
  });

  it('ends with one line naming the refusal when the token is not valid', async () => {
    const server = await TasklistHarness.start({ authMode: 'jwt' });
    harness = server;
    watcher = WatchTasks.start(server.url, { EDDY_WATCH_TOKEN: 'not-a-token' });
    expect(await watcher.exited).toBe(1);
    expect(watcher.stderr).toHaveLength(1);
    expect(watcher.stderr[0]).toMatch(/^subscription ended: connection closed \(4401: Unauthorized: .+\)$/);
  });
});
