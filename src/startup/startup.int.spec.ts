import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';

const root = resolve(__dirname, '../..');

interface Run {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the application (src/main.ts through tsx) as an operator would, with these settings on top
 * of a clean environment; resolves when it exits, or, with `until`, kills it once its output
 * matches.
 */
function runEddy(env: Record<string, string>, until?: RegExp): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        EDDY_HTTP_HOST: '127.0.0.1',
        EDDY_HTTP_PORT: '0',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += String(chunk);
      if (until?.test(stdout)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += String(chunk)));
    child.on('error', reject);
    child.on('close', (exitCode) => resolvePromise({ exitCode, stdout, stderr }));
  });
}

type LogLine = Record<string, unknown> & { level: number; msg: string };

/** Every line of the output is a JSON log line (nothing printed around the log); answers them. */
function logLines(run: Run): LogLine[] {
  expect(run.stderr).toBe('');
  expect(run.stdout).not.toContain('\x1b[');
  return run.stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as LogLine);
}

/** The one line of the failure (`fatal`); nothing else at `error` or above. */
function failureOf(run: Run): LogLine {
  const failures = logLines(run).filter((line) => line.level >= 50);
  expect(failures).toHaveLength(1);
  return failures[0];
}

describe('start-up failures, run as a process', () => {
  jest.setTimeout(120_000);

  let dir: string;
  let occupied: Server;
  let occupiedPort: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eddy-startup-'));
    occupied = createServer();
    await new Promise<void>((done) => occupied.listen(0, '127.0.0.1', done));
    occupiedPort = (occupied.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((done) => occupied.close(() => done()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Settings of a process that would start: dev mode, its own data and BPMN folders. */
  const base = (name: string) => {
    const bpmn = join(dir, `${name}-bpmn`);
    mkdirSync(bpmn, { recursive: true });
    return { EDDY_AUTH_MODE: 'dev', EDDY_DATA_DIR: join(dir, `${name}-data`), EDDY_BPMN_DIR: bpmn };
  };

  it('a bad setting: CONFIG-001 naming it, exit 78', async () => {
    const run = await runEddy({ ...base('setting'), EDDY_HTTP_PORT: 'eighty' });
    expect(run.exitCode).toBe(78);
    const failure = failureOf(run);
    expect(failure.msg).toMatch(/^CONFIG-001 .*EDDY_HTTP_PORT must be a whole number/);
    expect(failure.setting).toBe('EDDY_HTTP_PORT');
  });

  it('an EDDY_ variable that is no setting (a typo): CONFIG-001 naming it, exit 78', async () => {
    const run = await runEddy({ ...base('typo'), EDDY_EVENT_STORE: 'memory', EDDY_HTTP_PROT: '8080' });
    expect(run.exitCode).toBe(78);
    const failure = failureOf(run);
    expect(failure.msg).toMatch(/^CONFIG-001 .*EDDY_HTTP_PROT is not a setting of Eddy/);
    expect(failure.setting).toBe('EDDY_HTTP_PROT');
  });

  it('roles spread over processes on the SQLite event store: CONFIG-001 naming EDDY_ROLES', async () => {
    const run = await runEddy({ ...base('roles-sqlite'), EDDY_ROLES: 'collector,core' });
    expect(run.exitCode).toBe(78);
    const failure = failureOf(run);
    expect(failure.msg).toMatch(/^CONFIG-001 .*EDDY_ROLES collector,core .*EDDY_EVENT_STORE=sqlite/);
    expect(failure.setting).toBe('EDDY_ROLES');
  });

  it('an unknown role, or one this build cannot run: CONFIG-001 naming EDDY_ROLES', async () => {
    const unknown = await runEddy({ ...base('roles-unknown'), EDDY_ROLES: 'api,relais' });
    expect(unknown.exitCode).toBe(78);
    expect(failureOf(unknown).msg).toMatch(/^CONFIG-001 .*EDDY_ROLES names unknown role 'relais'/);
    const relay = await runEddy({
      ...base('roles-relay'),
      EDDY_ROLES: 'relay',
      EDDY_EVENT_STORE: 'postgres',
      EDDY_POSTGRES_URL: 'postgres://eddy@127.0.0.1:1/eddy',
    });
    expect(relay.exitCode).toBe(78);
    const failure = failureOf(relay);
    expect(failure.msg).toMatch(
      /^CONFIG-001 .*EDDY_ROLES relay: the relay needs Kafka: set EDDY_KAFKA_BROKERS/,
    );
    expect(failure.setting).toBe('EDDY_ROLES');
  });

  it('EDDY_PROJECTIONS=off over the memory view store: CONFIG-001 naming EDDY_PROJECTIONS, exit 78', async () => {
    const run = await runEddy({ ...base('projections'), EDDY_PROJECTIONS: 'off' });
    expect(run.exitCode).toBe(78);
    const failure = failureOf(run);
    expect(failure.setting).toBe('EDDY_PROJECTIONS');
    expect(failure.msg).toMatch(/EDDY_PROJECTIONS off needs views that another process projects/);
  });

  it('the development identity mode with NODE_ENV=production: CONFIG-001 naming EDDY_AUTH_MODE', async () => {
    const run = await runEddy({ ...base('production'), NODE_ENV: 'production' });
    expect(run.exitCode).toBe(78);
    const failure = failureOf(run);
    expect(failure.setting).toBe('EDDY_AUTH_MODE');
    expect(failure.msg).toMatch(/NODE_ENV=production.*EDDY_AUTH_ALLOW_DEV_MODE/);
  });

  it('a port in use: MAIN-002 naming EDDY_HTTP_PORT', async () => {
    const run = await runEddy({
      ...base('port'),
      EDDY_EVENT_STORE: 'memory',
      EDDY_HTTP_PORT: String(occupiedPort),
    });
    expect(run.exitCode).toBe(1);
    const failure = failureOf(run);
    expect(failure.msg).toMatch(new RegExp(`^MAIN-002 .*127\\.0\\.0\\.1:${occupiedPort}.*EADDRINUSE`));
    expect(failure.setting).toBe('EDDY_HTTP_PORT');
  });

  it('an unreadable settings file: CONFIG-002 naming the file', async () => {
    const settings = base('file');
    const file = join(settings.EDDY_BPMN_DIR, 'eddy-collector.json');
    writeFileSync(file, '{ "correlations": [');
    const run = await runEddy({ ...settings, EDDY_EVENT_STORE: 'memory' });
    expect(run.exitCode).toBe(78);
    const failure = failureOf(run);
    expect(failure.msg).toMatch(/^CONFIG-002 /);
    expect(failure.file).toBe(file);
  });

  it('a BPMN file that cannot be read as BPMN: COLLECTOR-030 naming the file', async () => {
    const settings = base('bpmn');
    const file = join(settings.EDDY_BPMN_DIR, 'broken.bpmn');
    writeFileSync(file, '<definitions/>');
    const run = await runEddy({ ...settings, EDDY_EVENT_STORE: 'memory' });
    expect(run.exitCode).toBe(1);
    const failure = failureOf(run);
    expect(failure.msg).toMatch(/^COLLECTOR-030 .*cannot read the BPMN/);
    expect(failure.file).toBe(file);
    expect(failure.setting).toBe('EDDY_BPMN_DIR');
  });

  it('a data folder that is a file: MAIN-003 naming it and EDDY_DATA_DIR', async () => {
    const settings = base('data');
    writeFileSync(settings.EDDY_DATA_DIR, 'not a folder');
    const run = await runEddy(settings);
    expect(run.exitCode).toBe(1);
    const failure = failureOf(run);
    expect(failure.msg).toMatch(/^MAIN-003 /);
    expect(failure.file).toBe(settings.EDDY_DATA_DIR);
    expect(failure.setting).toBe('EDDY_DATA_DIR');
  });

  it('an event store that cannot be reached: MAIN-004 naming EDDY_POSTGRES_URL without its password', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((done) => closed.close(() => done()));
    const run = await runEddy({
      ...base('store'),
      EDDY_EVENT_STORE: 'postgres',
      EDDY_POSTGRES_URL: `postgres://eddy:s3cret@127.0.0.1:${port}/eddy`,
    });
    expect(run.exitCode).toBe(1);
    const failure = failureOf(run);
    expect(failure.msg).toMatch(/^MAIN-004 .*ECONNREFUSED/);
    expect(failure.setting).toBe('EDDY_POSTGRES_URL');
    expect(run.stdout).not.toContain('s3cret');
  });

  it('pretty logs: the failure is one readable line with its code and setting', async () => {
    const run = await runEddy({ ...base('pretty'), EDDY_LOG_PRETTY: 'true', EDDY_HTTP_PORT: '-1' });
    expect(run.exitCode).toBe(78);
    expect(run.stderr).toBe('');
    const lines = run.stdout.split('\n').filter((line) => line.length > 0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/FATAL.*CONFIG-001 .*EDDY_HTTP_PORT/);
    expect(lines[0]).not.toMatch(/^\{/);
  });

  it('prints the development identity warning also with EDDY_LOG_LEVEL=silent', async () => {
    const run = await runEddy(
      { ...base('silent'), EDDY_EVENT_STORE: 'memory', EDDY_LOG_LEVEL: 'silent' },
      /Never run this mode/,
    );
    const warnings = logLines(run).filter((line) => line.msg.startsWith('AUTH-000'));
    expect(warnings.map((w) => w.level)).toEqual([40, 40, 40]);
    expect(warnings[0].msg).toMatch(/DEVELOPMENT IDENTITY MODE IS ON/);
  });
});
