import { BpmnDeploymentError } from '@eddy/collector';
import { join, resolve, sep } from 'node:path';
import type { Logger } from 'pino';
import { ConfigurationError, ConfigurationFileError, type EddyConfig } from '../config/eddy.config';

/** Why the application could not start, as one log line says it. */
export interface StartupFailure {
  /**
   * `CONFIG-001` a bad setting, `CONFIG-002` a bad settings file, `COLLECTOR-030` a BPMN file,
   * `MAIN-002` the port, `MAIN-003` a file or folder, `MAIN-004` the event store, or the failing
   * part's own code; `MAIN-001` anything else.
   */
  code: string;
  message: string;
  /** The setting at fault, when one is. */
  setting?: string;
  /** The file or folder at fault, when one is. */
  file?: string;
  /** The process's exit code: 78 (EX_CONFIG) for a bad setting, 1 otherwise. */
  exitCode: number;
}

interface SystemError extends Error {
  code?: string;
  syscall?: string;
  path?: string;
  address?: string;
  port?: number;
  errors?: unknown[];
}

const LOG_CODE = /^([A-Z]+(?:-[A-Z]+)*-\d{3}) (.*)$/s;
const SETTING = /\b(EDDY_[A-Z0-9_]+)\b/;
const FILE_ERRORS = new Set(['ENOENT', 'EACCES', 'EPERM', 'EEXIST', 'ENOTDIR', 'EISDIR', 'EROFS', 'ENOSPC']);
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET']);

/** The PostgreSQL URL without its password, fit for a log line. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://...';
  }
}

/** The setting that names the folder a file lies in, if any. */
function settingOfFile(file: string, config: EddyConfig | undefined): string | undefined {
  if (!config) return undefined;
  const path = resolve(file);
  const inside = (folder: string) => path === resolve(folder) || path.startsWith(resolve(folder) + sep);
  if (inside(config.bpmnDir)) return 'EDDY_BPMN_DIR';
  if (inside(config.dataDir)) return 'EDDY_DATA_DIR';
  return undefined;
}

/**
 * Names the cause of a failed start: the setting or file at fault and a code an operator can grep.
 * `config` is the configuration, when it could be read.
 */
export function describeStartupFailure(error: unknown, config?: EddyConfig): StartupFailure {
  if (error instanceof ConfigurationError) {
    return {
      code: 'CONFIG-001',
      message: error.problems.map((p) => `${p.variable} ${p.message}`).join('; '),
      setting: error.problems.map((p) => p.variable).join(', '),
      exitCode: 78,
    };
  }
  if (error instanceof ConfigurationFileError) {
    return { code: 'CONFIG-002', message: error.message, file: error.file, exitCode: 78 };
  }
  if (error instanceof BpmnDeploymentError) {
    const file = config ? join(resolve(config.bpmnDir), error.file) : error.file;
    const message = error.message.replace(/^COLLECTOR-030 /, '');
    return { code: 'COLLECTOR-030', message, file, setting: 'EDDY_BPMN_DIR', exitCode: 1 };
  }
  const e = (error instanceof Error ? error : new Error(String(error))) as SystemError;
  const message = e.message || String(e.errors?.[0] ?? e.name);
  if (e.syscall === 'listen' && config) {
    const where = `${config.http.host}:${config.http.port}`;
    const setting =
      e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' ? 'EDDY_HTTP_HOST' : 'EDDY_HTTP_PORT';
    return { code: 'MAIN-002', message: `cannot listen on ${where}: ${message}`, setting, exitCode: 1 };
  }
  if (e.path && e.code && FILE_ERRORS.has(e.code)) {
    const setting = settingOfFile(e.path, config);
    return { code: 'MAIN-003', message, file: e.path, ...(setting ? { setting } : {}), exitCode: 1 };
  }
  if (config?.eventStore.kind === 'postgres' && isStoreConnectionError(e)) {
    return {
      code: 'MAIN-004',
      message: `the PostgreSQL event store at ${redacted(config.eventStore.postgresUrl ?? '')} failed: ${message}`,
      setting: 'EDDY_POSTGRES_URL',
      exitCode: 1,
    };
  }
  if (e.name === 'SqliteError' && config) {
    return {
      code: 'MAIN-004',
      message: `an embedded store in ${config.dataDir} failed: ${e.code ?? ''} ${message}`.replace(
        / {2,}/g,
        ' ',
      ),
      setting: 'EDDY_DATA_DIR',
      file: config.dataDir,
      exitCode: 1,
    };
  }
  // A part that failed with its own code (COLLECTOR-031 ...) keeps it, and the setting it names.
  const coded = LOG_CODE.exec(message);
  const setting = SETTING.exec(message)?.[1];
  return {
    code: coded?.[1] ?? 'MAIN-001',
    message: coded?.[2] ?? message,
    ...(setting ? { setting } : {}),
    exitCode: 1,
  };
}

function isStoreConnectionError(e: SystemError): boolean {
  if (e.code && CONNECT_ERRORS.has(e.code)) return true;
  if (e.syscall === 'connect' || e.syscall === 'getaddrinfo') return true;
  // pg's DatabaseError carries the server's SQLSTATE and severity (a wrong password, no such database).
  return typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && 'severity' in e;
}

/** Writes the failure as one log line (`fatal`) and answers the exit code. */
export function logStartupFailure(logger: Logger, error: unknown, config?: EddyConfig): number {
  const failure = describeStartupFailure(error, config);
  const { code, message, exitCode, ...fault } = failure;
  const unexpected = code === 'MAIN-001' && error instanceof Error ? { stack: error.stack } : {};
  logger.fatal({ context: 'Main', ...fault, ...unexpected }, `${code} start-up failed: ${message}`);
  return exitCode;
}
