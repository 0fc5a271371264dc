/**
 * How the SQLite event store tells storage failures apart: corruption (the file's content is damaged)
 * and failures to open the file, each named with the file, so that an operator knows which file to
 * restore or fix.
 */

/** An error of better-sqlite3 (or its message and code as the writer thread sent them). */
export interface SqliteFailure {
  code?: string;
  message?: string;
}

/** SQLite result codes that mean the file's content is damaged (extended codes start with these). */
const CORRUPTION_CODES = ['SQLITE_CORRUPT', 'SQLITE_NOTADB'];
const CORRUPTION_MESSAGES = /database disk image is malformed|file is not a database/i;

/** Whether the failure means the database file is corrupt: nothing read or written may be trusted. */
export function isStorageCorruption(failure: SqliteFailure): boolean {
  const code = failure.code ?? '';
  return (
    CORRUPTION_CODES.some((prefix) => code.startsWith(prefix)) ||
    CORRUPTION_MESSAGES.test(failure.message ?? '')
  );
}

/** Whether the failure comes from SQLite itself (a result code), rather than from Eddy's own checks. */
export function isSqliteFailure(error: unknown): error is SqliteFailure {
  return (
    typeof (error as SqliteFailure | null)?.code === 'string' &&
    (error as SqliteFailure).code!.startsWith('SQLITE_')
  );
}

/** `SQLITE_CANTOPEN: unable to open database file`, for log lines and errors. */
export function describeSqliteFailure(failure: SqliteFailure): string {
  return failure.code === undefined ? String(failure.message) : `${failure.code}: ${String(failure.message)}`;
}
