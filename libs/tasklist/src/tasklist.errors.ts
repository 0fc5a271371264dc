import type { CommandError } from '@eddy/contracts';
import { ViewQueryError } from '@eddy/projections';
import { Catch, Logger, type ExceptionFilter } from '@nestjs/common';
import type { GraphQLError, GraphQLFormattedError } from 'graphql';
import { graphql } from './graphql-runtime';

/**
 * The `extensions.code` values of the tasklist API. The first six are the contract's; the others
 * name the protection limits.
 */
export type TasklistErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'BAD_USER_INPUT'
  | 'TIMEOUT'
  | 'QUERY_TOO_COMPLEX'
  | 'TOO_MANY_SUBSCRIPTIONS'
  | 'SUBSCRIBER_TOO_SLOW'
  | 'UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR';

const HTTP_STATUS: Partial<Record<TasklistErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  QUERY_TOO_COMPLEX: 400,
};

/** A GraphQL error with its code (and, where it decides the whole request, its HTTP status). */
export function tasklistError(
  code: TasklistErrorCode,
  message: string,
  extensions: Record<string, unknown> = {},
): GraphQLError {
  const status = HTTP_STATUS[code];
  return new graphql.GraphQLError(message, {
    extensions: { code, ...extensions, ...(status ? { http: { status } } : {}) },
  });
}

/** Codes with which the deciders refuse commands, mapped to API codes. Unknown codes are internal. */
const DOMAIN_CODES: Record<string, TasklistErrorCode> = {
  TASK_NOT_FOUND: 'NOT_FOUND',
  TASK_CLOSED: 'CONFLICT',
  TASK_EXISTS: 'CONFLICT',
  TASK_NOT_ASSIGNED: 'CONFLICT',
  TASK_ASSIGNED: 'CONFLICT',
  TASK_NOT_ASSIGNED_TO_USER: 'FORBIDDEN',
  DUE_DATE_BEFORE_CREATE_TIME: 'BAD_USER_INPUT',
  PROCESS_INSTANCE_NOT_FOUND: 'NOT_FOUND',
  PROCESS_INSTANCE_CLOSED: 'CONFLICT',
  FILTER_NOT_FOUND: 'NOT_FOUND',
  FILTER_EXISTS: 'CONFLICT',
  INVALID_COMMAND: 'BAD_USER_INPUT',
  CONCURRENCY_CONFLICT: 'CONFLICT',
  WRONG_EXPECTED_REVISION: 'CONFLICT',
  CORE_UNAVAILABLE: 'UNAVAILABLE',
  // An api process without the core waited for the core's answer in vain (or the core found it too late).
  CORE_TIMEOUT: 'TIMEOUT',
  REQUEST_EXPIRED: 'TIMEOUT',
};

/**
 * The GraphQL error of a command the core rejected; the domain code travels in `extensions.reason`.
 * `fields` renames a command's field paths (`data.dueDate`) to the mutation's arguments (`changes.dueDate`).
 */
export function commandRejected(error: CommandError, fields: Record<string, string> = {}): GraphQLError {
  const code = DOMAIN_CODES[error.code] ?? 'INTERNAL_SERVER_ERROR';
  const field = error.path === undefined ? undefined : (fields[error.path] ?? error.path);
  const message =
    error.path !== undefined && field !== error.path && error.message.startsWith(`${error.path}:`)
      ? `${field}${error.message.slice(error.path.length)}`
      : error.message;
  return tasklistError(code, message, {
    reason: error.code,
    ...(field !== undefined ? { field } : {}),
  });
}

/** A malformed query argument: the view store names the field. */
export function badInput(field: string, message: string): GraphQLError {
  return tasklistError('BAD_USER_INPUT', `${field}: ${message}`, { field });
}

/** Maps the view store's query errors to `BAD_USER_INPUT`; anything else is rethrown as is. */
export function mapQueryError(error: unknown): never {
  if (error instanceof ViewQueryError)
    throw badInput(error.field, error.message.replace(`${error.field}: `, ''));
  throw error;
}

/**
 * Lets the API's own errors (GraphQL errors with a code: not found, forbidden, ...) reach the client
 * without Nest logging each as an application error; unexpected errors still take Nest's path.
 */
@Catch(graphql.GraphQLError)
export class ClientErrorsFilter implements ExceptionFilter {
  catch(error: GraphQLError): never {
    throw error;
  }
}

const logger = new Logger('Tasklist');

/**
 * The form in which an error reaches a client. Errors of the API itself (GraphQL errors: codes,
 * validation, bad variables) pass as they are; anything unexpected is logged and answered as
 * `INTERNAL_SERVER_ERROR` without its message, which might reveal internals.
 */
export function formatForClient(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = error instanceof graphql.GraphQLError ? error.originalError : error;
  const unexpected =
    formatted.extensions?.code === 'INTERNAL_SERVER_ERROR' ||
    (original !== undefined && original !== null && !(original instanceof graphql.GraphQLError));
  if (!unexpected) return formatted;
  logger.error(
    `TASKLIST-500 ${formatted.path?.join('.') ?? 'request'}: ${String(original ?? formatted.message)}`,
    original instanceof Error ? original.stack : undefined,
  );
  return {
    message: 'internal error',
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}
