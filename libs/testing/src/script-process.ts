import { spawnSync, type SpawnSyncReturns } from 'node:child_process';

/**
 * Runs TypeScript source text in a Node.js process of its own (through tsx) and waits for it to end: for
 * what a test cannot do in jest's process (another time zone, a process that must end on its own, a kill).
 * `cwd` is where the script's relative requires resolve; a process still running after `timeoutMs` is
 * ended with SIGTERM (`signal` says so), for a test of a process that should end by itself.
 */
export function runScriptProcess(
  script: string,
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs?: number,
): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', '--eval', script], {
    cwd,
    env,
    encoding: 'utf8',
    timeout: timeoutMs,
  });
}
