/**
 * The real servers of a suite (PostgreSQL, Kafka, the MongoDB-compatible server), brought up with
 * `scripts/infra/infra.sh` as `npm run test:int` does, on the ports of `EDDY_INFRA_*`.
 */
import { type ServerName, requireServer } from '@eddy/testing/servers';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { type BenchContext } from './suite';

/** The servers a suite brought up; {@link stop} brings down those that were not up before. */
export interface RealServers {
  stop(): void;
}

/**
 * Brings `servers` up (keeping those already up), exports their connection settings (`.infra/env`,
 * the `EDDY_TEST_*` variables that `requireServer` reads) into this process, and checks each.
 *
 * @throws Error naming every server that could not start, with the reason infra.sh gave; the servers
 *   this call started are brought down again first.
 */
export function startRealServers(context: BenchContext, servers: readonly ServerName[]): RealServers {
  const infra = (...args: string[]): string =>
    execFileSync('bash', [join(context.root, 'scripts', 'infra', 'infra.sh'), ...args], {
      cwd: context.root,
      encoding: 'utf8',
      // Its progress goes to stderr beside the suite's own; stdout keeps the table.
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  const upBefore = new Set(
    infra('status')
      .split('\n')
      .map((line) => /^(\S+)\s+up\s/.exec(line)?.[1]),
  );
  const started = servers.filter((server) => !upBefore.has(server));
  const stop = () => {
    if (started.length > 0) process.stderr.write(infra('down', ...started));
  };
  context.log(`bringing up ${servers.join(', ')} (scripts/infra/infra.sh)`);
  process.stderr.write(infra('up', ...servers));
  // A reason left from an earlier run must not outlive the settings of this one.
  for (const server of servers) delete process.env[`EDDY_TEST_${server.toUpperCase()}_UNAVAILABLE`];
  Object.assign(process.env, infraEnv(join(context.root, '.infra', 'env')));
  const problems = servers.flatMap((server) => {
    try {
      requireServer(server);
      return [];
    } catch (error) {
      return [error instanceof Error ? error.message : String(error)];
    }
  });
  if (problems.length > 0) {
    stop();
    throw new Error(`BENCH-001 the suite needs servers that could not start:\n${problems.join('\n')}`);
  }
  return { stop };
}

/** The `EDDY_TEST_*` variables of `.infra/env`, as the shell that sources it sees them. */
function infraEnv(file: string): Record<string, string> {
  const dump = execFileSync('bash', ['-c', 'set -a; source "$1"; env -0', 'bash', file], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
    // Not a socket on stdin: bash would take itself for a remote shell and read ~/.bashrc.
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return Object.fromEntries(
    dump
      .split('\0')
      .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)])
      .filter(([name]) => name.startsWith('EDDY_TEST_')),
  );
}
