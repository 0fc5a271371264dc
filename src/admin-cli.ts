/**
 * The admin command line: an HTTP client of the admin API of a running Eddy.
 *
 *   npm run admin -- projections            status of every projection
 *   npm run admin -- projection <name>      status of one, with replay progress
 *   npm run admin -- replay <name> [--wait] start a replay (and follow it to its end)
 *   npm run admin -- verify <name>          compare the live view with a fresh rebuild
 *   npm run admin -- event-store            event store statistics
 *
 * Server: EDDY_ADMIN_URL, default http://127.0.0.1:${EDDY_HTTP_PORT:-4000}.
 * Identity: EDDY_ADMIN_TOKEN as a bearer token; without it, the development identity headers
 * (x-user EDDY_ADMIN_USER, default `admin`; x-groups the first of EDDY_ADMIN_GROUPS, default `admins`).
 * These settings are read through the typed configuration (src/config), which refuses an unknown
 * `EDDY_*` variable as the server does.
 * Exit codes: 0 done, 1 failed (server error, refused, inconsistent view, failed replay), 2 usage
 * or a bad setting.
 */

import { ConfigurationError, loadAdminCliConfig, type AdminCliConfig } from './config/eddy.config';

interface ProjectionStatus {
  name: string;
  status: string;
  position: number;
  headPosition: number;
  lag: number;
  eventsPerSecond: number;
  lastError?: { position: number; message: string; at: string };
  replay?: {
    replayId: string;
    status: string;
    position: number;
    headPosition: number;
    progress: number;
    error?: string;
  };
}

interface VerifyResult {
  consistent: boolean;
  checked: number;
  differences: { id: string; field: string; live: unknown; rebuilt: unknown }[];
}

const USAGE = `usage: npm run admin -- <command>
  projections              status of every projection
  projection <name>        status of one projection
  replay <name> [--wait]   rebuild a view into a fresh copy that takes over once caught up
  verify <name>            compare a view with a fresh rebuild
  event-store              event store statistics`;

class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

function identityHeaders(settings: AdminCliConfig): Record<string, string> {
  if (settings.token) return { authorization: `Bearer ${settings.token}` };
  return { 'x-user': settings.user, 'x-groups': settings.group };
}

let cliSettings: AdminCliConfig | undefined;

/** The settings, read once; a bad one ends the command line with exit code 2. */
function settings(): AdminCliConfig {
  try {
    cliSettings ??= loadAdminCliConfig();
  } catch (error) {
    if (error instanceof ConfigurationError) throw new CliError(error.message, 2);
    throw error;
  }
  return cliSettings;
}

async function call<T>(method: 'GET' | 'POST', path: string): Promise<T> {
  const url = `${settings().url}${path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: { accept: 'application/json', ...identityHeaders(settings()) },
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(`cannot reach ${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }
  const text = await response.text();
  if (!response.ok) {
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      // not JSON: show the text
    }
    const hint =
      response.status === 401
        ? ' (set EDDY_ADMIN_TOKEN, or run the server in dev identity mode)'
        : response.status === 403
          ? ' (the identity lacks the admin permission)'
          : '';
    throw new CliError(`${method} ${path}: ${response.status} ${message}${hint}`);
  }
  return JSON.parse(text) as T;
}

/** A plain text table with a header row and columns padded to their widest cell. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(cells[0]), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

function short(value: unknown, max = 40): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === undefined ? 'undefined' : text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function printStatuses(statuses: ProjectionStatus[]): void {
  console.log(
    table(
      ['projection', 'status', 'position', 'head', 'lag', 'events/s', 'last error'],
      statuses.map((s) => [
        s.name,
        s.status,
        s.position,
        s.headPosition,
        s.lag,
        s.eventsPerSecond,
        s.lastError ? `at ${s.lastError.position}: ${short(s.lastError.message, 60)}` : '',
      ]),
    ),
  );
  for (const s of statuses) {
    if (s.replay) {
      const r = s.replay;
      console.log(
        `replay of ${s.name}: ${r.replayId} ${r.status}, ${Math.round(r.progress * 100)}% (${r.position}/${r.headPosition})${r.error ? `: ${r.error}` : ''}`,
      );
    }
  }
}

async function main(args: string[]): Promise<number> {
  const [command, name, ...rest] = args;
  const needName = () => {
    if (!name) throw new CliError(`${command}: name the projection\n${USAGE}`, 2);
    return encodeURIComponent(name);
  };
  switch (command) {
    case 'projections': {
      const statuses = await call<ProjectionStatus[]>('GET', '/admin/projections');
      printStatuses(statuses);
      return 0;
    }
    case 'projection': {
      printStatuses([await call<ProjectionStatus>('GET', `/admin/projections/${needName()}`)]);
      return 0;
    }
    case 'replay': {
      const path = `/admin/projections/${needName()}`;
      const { replayId } = await call<{ replayId: string }>('POST', `${path}/replay`);
      console.log(`replay ${replayId} of ${name} started`);
      if (!rest.includes('--wait')) return 0;
      for (;;) {
        await new Promise((r) => setTimeout(r, 500));
        const status = await call<ProjectionStatus>('GET', path);
        const replay = status.replay;
        if (!replay || replay.replayId !== replayId)
          throw new CliError(`replay ${replayId} is no longer reported`);
        console.log(
          `${replay.status} ${Math.round(replay.progress * 100)}% (${replay.position}/${replay.headPosition})`,
        );
        if (replay.status === 'completed') return 0;
        if (replay.status === 'failed')
          throw new CliError(`replay ${replayId} failed: ${replay.error ?? 'unknown error'}`);
      }
    }
    case 'verify': {
      const result = await call<VerifyResult>('POST', `/admin/projections/${needName()}/verify`);
      console.log(
        `${name}: ${result.checked} documents checked, ${result.consistent ? 'consistent' : 'DIFFERENCES FOUND'}`,
      );
      if (result.differences.length > 0) {
        console.log(
          table(
            ['id', 'field', 'live', 'rebuilt'],
            result.differences.map((d) => [d.id, d.field, short(d.live), short(d.rebuilt)]),
          ),
        );
      }
      return result.consistent ? 0 : 1;
    }
    case 'event-store': {
      const stats = await call<{ headPosition: number; streams: number; events: number }>(
        'GET',
        '/admin/event-store',
      );
      console.log(
        table(['head position', 'streams', 'events'], [[stats.headPosition, stats.streams, stats.events]]),
      );
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new CliError(`unknown command '${command}'\n${USAGE}`, 2);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`admin: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(error instanceof CliError ? error.exitCode : 1);
    },
  );
}
