import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** What every log line written while serving one request carries. */
export interface RequestScope {
  requestId: string;
}

/** The request being served in this async context (read by the logger's mixin). */
export const requestScope = new AsyncLocalStorage<RequestScope>();

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
