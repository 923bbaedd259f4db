import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken, requestMeta } from '../context.ts';
import type { AppDeps } from '../deps.ts';
import { AppError } from '../errors.ts';
import { claimedUserId } from '../services/auth/authenticate.ts';
import { consumeRequest } from '../services/rate-limit.ts';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { assignRequestId, requestLogger } from './request-context.ts';
import { sendError } from './respond.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export interface RequestPipelineOptions {
  /** The per-user request budget; probes are not counted. */
  limiter: RateLimiterAbstract;
  /** Request path to route template (ids never reach the logs). */
  route: (path: string) => string;
}

const UNCOUNTED = new Set(['/healthz', '/readyz']);

/**
 * Wraps the HTTP handler with what every request gets: an id (accepted or
 * created, returned in `X-Request-Id`, on every log line about the request, in
 * its audit rows), the per-user rate limit, and one access-log line when the
 * answer is done (method, route template, status, duration, user id; never
 * the URL's query, a header or a body).
 */
export function withRequestPipeline(deps: AppDeps, handler: Handler, options: RequestPipelineOptions): Handler {
  return async (req, res) => {
    const started = performance.now();
    const requestId = assignRequestId(req);
    res.setHeader('X-Request-Id', requestId);
    const path = (req.url ?? '/').split('?')[0]!;
    let userId: number | null = null;
    // Made only when a line is written: with the access log off, a request builds no logger.
    const log = () => requestLogger(deps.logger, req);
    res.once('close', () => {
      if (!deps.logger.isLevelEnabled('info')) return;
      const ms = Math.round((performance.now() - started) * 10) / 10;
      const status = res.writableFinished ? res.statusCode : res.headersSent ? res.statusCode : 499;
      log().info({ method: req.method, route: options.route(path), status, ms, userId }, 'request');
    });
    if (!UNCOUNTED.has(path)) {
      const token = bearerToken(req.headers.authorization) ?? tokenParam(req.url);
      userId = token ? await claimedUserId(deps, token) : null;
      const key = userId !== null ? `u:${userId}` : `ip:${requestMeta(req, deps.config.trustProxy).ip ?? 'unknown'}`;
      try {
        await consumeRequest(options.limiter, key);
      } catch (error) {
        if (error instanceof AppError) return sendError(res, error);
        // The limiter's store failing must not take the API down with it.
        log().warn({ err: error }, 'rate limiter failed; request let through');
      }
    }
    await handler(req, res);
  };
}

/** The event stream also takes its token as `?token=` (browsers' EventSource sends no headers). */
function tokenParam(url: string | undefined): string | null {
  const query = url?.split('?')[1];
  return query ? new URLSearchParams(query).get('token') : null;
}
