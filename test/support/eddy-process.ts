import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

const root = resolve(__dirname, '..', '..');

/**
 * The application as a process of its own (`src/main.ts` through tsx, as the start-up specs run
 * it), on a random free port of 127.0.0.1, with these settings on top of a clean environment.
 * {@link start} resolves once it listens and `/health/ready` answers 200; {@link restart} stops it
 * and starts it again with the same settings (on a new port); {@link kill} ends it as `kill -9` does.
 */
export class EddyProcess {
  private child: ChildProcess | undefined;
  /** Every log line of the current and earlier runs, in order. */
  readonly log: string[] = [];
  url = '';

  constructor(
    readonly name: string,
    private readonly env: Record<string, string>,
  ) {}

  async start(): Promise<this> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        EDDY_HTTP_HOST: '127.0.0.1',
        EDDY_HTTP_PORT: '0',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    createInterface({ input: child.stderr! }).on('line', (line) => this.log.push(line));
    const lines = createInterface({ input: child.stdout! });
    this.url = await new Promise<string>((resolveUrl, reject) => {
      child.once('exit', (code) =>
        reject(new Error(`${this.name} exited with ${code}:\n${this.log.slice(-30).join('\n')}`)),
      );
      lines.on('line', (line) => {
        this.log.push(line);
        const match = /MAIN-000 Eddy is listening on (http:\/\/[^\s:]+:\d+)/.exec(line);
        if (match) resolveUrl(match[1].replace('localhost', '127.0.0.1'));
      });
    });
    await this.ready();
    return this;
  }

  /** Resolves once `/health/ready` answers 200 (within `timeoutMs`). */
  async ready(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      const answer = await fetch(`${this.url}/health/ready`).catch(() => null);
      if (answer?.ok) return;
      last = answer ? await answer.text() : 'no answer';
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${this.name} did not become ready: ${last}\n${this.log.slice(-30).join('\n')}`);
  }

  /** Stops the process with SIGTERM (graceful shutdown) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    // A shutdown that hangs must not hang the suite.
    const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(kill);
  }

  /** Kills the process with SIGKILL (`kill -9`: no shutdown of any kind) and waits for it to be gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** Whether the process runs (started and not exited). */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async restart(): Promise<this> {
    await this.stop();
    return this.start();
  }
}
