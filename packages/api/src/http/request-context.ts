import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TRPCError } from '@trpc/server';
import { toAppError } from '../errors.ts';
import type { Logger } from '../logger.ts';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * The request's id: the client's (or the load balancer's) `X-Request-Id` when
 * it is a sensible token, otherwise a new UUID. The header is rewritten to the
 * chosen id, so everything downstream that reads it (the audit rows) records
 * the same id the response and the logs carry.
 */
export function assignRequestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  req.headers['x-request-id'] = id;
  return id;
}

/**
 * The logger for a line about one request: it carries the request's id. Made
 * where a line is written (an error, the access log), not per request, and
 * passed explicitly rather than found through an async context, which on
 * Node 20 and 22 would put a hook on every promise the server makes.
 */
export function requestLogger(logger: Logger, req: IncomingMessage): Logger {
  const id = req.headers['x-request-id'];
  return typeof id === 'string' ? logger.child({ requestId: id }) : logger;
}

/**
 * Logs a procedure's error that the API did not foresee (INTERNAL_ERROR),
 * with the request's id; every other error is an answer, not a log line.
 * Every path to a procedure (tRPC over HTTP and WebSocket, batched queries)
 * reports through here.
 */
export function logUnexpectedTrpcError(logger: Logger, req: IncomingMessage, error: TRPCError, path: string | undefined): void {
  if (toAppError(error, error.code).code === 'INTERNAL_ERROR') {
    requestLogger(logger, req).error({ err: error.cause ?? error, path }, 'unhandled tRPC error');
  }
}
