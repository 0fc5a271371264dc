import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * The application as `npm start` runs it (`node dist/src/main.js` after `npm run build`), on a
 * random free port of 127.0.0.1 and a temporary data folder, with the shipped `bpmn/` processes.
 */
export class BuiltApp {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly dataDir: string,
    readonly log: string[],
  ) {}

  static async start(env: Record<string, string> = {}): Promise<BuiltApp> {
    const root = resolve(__dirname, '..', '..');
    const main = join(root, 'dist', 'src', 'main.js');
    if (!existsSync(main) || !existsSync(join(root, 'dist', 'tasklist-web', 'index.html'))) {
      throw new Error('the application is not built: run npm run build first (npm run test:browser does)');
    }
    const dataDir = mkdtempSync(join(tmpdir(), 'eddy-browser-'));
    const child = spawn(process.execPath, [main], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? tmpdir(),
        EDDY_AUTH_MODE: 'dev',
        EDDY_HTTP_PORT: '0',
        EDDY_HTTP_HOST: '127.0.0.1',
        EDDY_DATA_DIR: dataDir,
        EDDY_BPMN_DIR: join(root, 'bpmn'),
        EDDY_LOG_PRETTY: 'false',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log: string[] = [];
    const lines = createInterface({ input: child.stdout! });
    createInterface({ input: child.stderr! }).on('line', (l) => log.push(l));
    const url = await new Promise<string>((resolveUrl, reject) => {
      child.once('exit', (code) =>
        reject(new Error(`the application exited with ${code}:\n${log.join('\n')}`)),
      );
      lines.on('line', (line) => {
        log.push(line);
        const match = /MAIN-000 Eddy is listening on (http:\/\/[^\s:]+:\d+)/.exec(line);
        if (match) resolveUrl(match[1]);
      });
    });
    const app = new BuiltApp(url.replace('localhost', '127.0.0.1'), child, dataDir, log);
    await app.waitUntilReady();
    return app;
  }

  /** Readiness means the projections caught up with the processes deployed at start. */
  private async waitUntilReady(): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const answer = await fetch(`${this.url}/health/ready`).catch(() => null);
      if (answer?.ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the application did not become ready:\n${this.log.join('\n')}`);
  }

  /**
   * Sends one command to the command API as the process application `billing-app` would, and fails
   * unless the core accepted it.
   */
  async command(type: string, data: Record<string, unknown>): Promise<void> {
    const answer = await fetch(`${this.url}/api/commands`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-user': 'billing-app',
        'x-groups': 'process-applications',
      },
      body: JSON.stringify({ commands: [{ type, commandId: `${type}-${randomUUID()}`, data }] }),
    });
    const body = (await answer.json()) as { results?: { status: string; error?: unknown }[] };
    if (body.results?.[0]?.status !== 'accepted') {
      throw new Error(`the command API did not accept ${type}: ${JSON.stringify(body)}`);
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
