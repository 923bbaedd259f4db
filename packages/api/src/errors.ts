import { ERROR_STATUS, ERROR_TRPC_CODE, type TConflict, type TErrorCode, type TErrorDetail } from '@scheduler/shared';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';
import { ZodError } from 'zod';
import { isDatabaseUnavailable, isStatementTimeout } from '@scheduler/db';

/** Seconds a client is asked to wait before trying again while the database is away. */
const UNAVAILABLE_RETRY_AFTER = 2;

/** A lost database or a statement past its timeout is not a bug: 503 with Retry-After. */
function databaseUnavailable(error: unknown): AppError | undefined {
  if (isDatabaseUnavailable(error)) {
    return new AppError('SERVICE_UNAVAILABLE', 'The database is unavailable; try again shortly', { retryAfter: UNAVAILABLE_RETRY_AFTER });
  }
  if (isStatementTimeout(error)) {
    return new AppError('SERVICE_UNAVAILABLE', 'The database took too long to answer; try again shortly', {
      retryAfter: UNAVAILABLE_RETRY_AFTER,
    });
  }
  return undefined;
}

/** The one error type domain code throws; mapped to tRPC and HTTP in one table. */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: TErrorCode,
    message: string,
    readonly extra: {
      details?: TErrorDetail[];
      conflicts?: TConflict[];
      retryAfter?: number;
      errors?: unknown[];
      /** RFC 6750 challenge of a 401 (every 401 carries one; see `challengeOf`). */
      wwwAuthenticate?: string;
    } = {},
  ) {
    super(message);
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/** The `WWW-Authenticate` value an error's response carries, if any: every 401 has a Bearer challenge. */
export function challengeOf(error: AppError): string | undefined {
  return error.extra.wwwAuthenticate ?? (error.code === 'UNAUTHORIZED' ? 'Bearer realm="api"' : undefined);
}

/** Headers an error's response carries besides its body (REST and tRPC HTTP alike). */
export function errorHeaders(error: AppError): Record<string, string> {
  const headers: Record<string, string> = {};
  if (error.extra.retryAfter) headers['Retry-After'] = String(error.extra.retryAfter);
  const challenge = challengeOf(error);
  if (challenge) headers['WWW-Authenticate'] = challenge;
  return headers;
}

export const unauthorized = (message = 'Authentication credentials were not provided or are invalid') =>
  new AppError('UNAUTHORIZED', message);
/** A 400 listing every problem; its message names the first (or says `summary`). */
export function validationErrors(details: TErrorDetail[], summary?: string): AppError {
  const first = details[0];
  return new AppError('VALIDATION_ERROR', summary ?? (first ? `${first.path}: ${first.message}` : 'Invalid input'), { details });
}

/** A 400 for one field: the one way domain code reports bad input. */
export const validation = (path: string, message: string, summary?: string) => validationErrors([{ path, message }], summary);

/** tRPC code for each app code: the shared table, typed as tRPC's keys. */
export const TRPC_CODE: Record<TErrorCode, TRPC_ERROR_CODE_KEY> = ERROR_TRPC_CODE;

const FROM_TRPC: Partial<Record<TRPC_ERROR_CODE_KEY, TErrorCode>> = {
  PARSE_ERROR: 'VALIDATION_ERROR',
  BAD_REQUEST: 'VALIDATION_ERROR',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_SUPPORTED: 'METHOD_NOT_ALLOWED',
  CONFLICT: 'CONFLICT',
  PRECONDITION_FAILED: 'PRECONDITION_FAILED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  TOO_MANY_REQUESTS: 'RATE_LIMITED',
  UNPROCESSABLE_CONTENT: 'VALIDATION_ERROR',
  TIMEOUT: 'REQUEST_TIMEOUT',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
};

/** Turns zod issues into the contract's `details` list. */
export function zodDetails(error: ZodError): TErrorDetail[] {
  return error.issues.flatMap((issue) => describeIssue(issue, []));
}

type Issue = ZodError['issues'][number];

/**
 * For a value matching none of a union's forms, report the problems of the
 * form it came closest to (one whose type matched), not a bare "Invalid input".
 */
function describeIssue(issue: Issue, prefix: PropertyKey[]): TErrorDetail[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && Array.isArray(issue.errors)) {
    const branches = issue.errors.filter((branch) => !branch.some((i) => i.path.length === 0 && i.code === 'invalid_type'));
    // Issues at the value itself (wrong shape) count as further away than issues inside it.
    const distance = (branch: Issue[]) => branch.reduce((sum, i) => sum + (i.path.length === 0 ? 100 : 1), 0);
    const closest = branches.sort((a, b) => distance(a) - distance(b))[0];
    if (closest?.length) return closest.flatMap((inner) => describeIssue(inner, path));
  }
  return [{ path: path.map(String).join('.') || '(body)', message: issue.message }];
}

function fromZodError(error: ZodError): AppError {
  const details = zodDetails(error);
  const first = details[0];
  const summary = first ? `${first.path}: ${first.message}` : 'Invalid input';
  return validationErrors(details, details.length > 1 ? `${summary} (and ${details.length - 1} more)` : summary);
}

/**
 * Normalizes anything thrown while serving a request into an AppError.
 * Unknown errors become INTERNAL_ERROR with a generic message: they are bugs,
 * and their text is never shown to clients.
 */
export function toAppError(error: unknown, trpcCode?: TRPC_ERROR_CODE_KEY): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof ZodError) return fromZodError(error);
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof AppError) return cause;
  if (cause instanceof ZodError) return fromZodError(cause);
  const unavailable = databaseUnavailable(error) ?? databaseUnavailable(cause);
  if (unavailable) return unavailable;
  const code = trpcCode ? FROM_TRPC[trpcCode] : undefined;
  if (code && error instanceof Error) return new AppError(code, error.message);
  return new AppError('INTERNAL_ERROR', 'Internal server error');
}
