import type { IncomingMessage, ServerResponse } from 'node:http';
import { ZIdText } from '@scheduler/shared';
import { bearerToken } from '../context.ts';
import type { AppDeps } from '../deps.ts';
import { AppError, toAppError, validation } from '../errors.ts';
import { messageJson } from '../live/wire.ts';
import { parseLastEventId } from '../routers/live.ts';
import { authenticate } from '../services/auth/authenticate.ts';
import { checkAccess } from '../services/events/access.ts';
import { requestLogger } from './request-context.ts';
import { sendError } from './respond.ts';

const HEARTBEAT_MS = 15_000;

/**
 * GET /api/events/stream: the live feed for REST clients as server-sent
 * events. Token in the Authorization header (or ?token= for browsers'
 * EventSource), optional ?event_id=, resumable with Last-Event-ID.
 */
export function createEventStreamRoute(deps: AppDeps) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (req.method !== 'GET') {
      res.setHeader('Allow', 'GET');
      return sendError(res, new AppError('METHOD_NOT_ALLOWED', 'Use GET for the event stream'));
    }
    const outcome = await authenticate(deps, bearerToken(req.headers.authorization) ?? url.searchParams.get('token'));
    if (!outcome.ok) return sendError(res, outcome.error);
    const { user } = outcome;
    let eventId: number | undefined;
    const rawEventId = url.searchParams.get('event_id');
    if (rawEventId !== null) {
      const parsed = ZIdText.safeParse(rawEventId);
      if (!parsed.success) {
        return sendError(res, validation('event_id', 'must be a positive integer'));
      }
      eventId = parsed.data;
      try {
        await checkAccess(deps.db, eventId, user, 'read');
      } catch (error) {
        return sendError(res, toAppError(error));
      }
    }
    const lastHeader = req.headers['last-event-id'];
    const after = parseLastEventId(typeof lastHeader === 'string' ? lastHeader : url.searchParams.get('last_event_id'));

    const abort = new AbortController();
    req.on('close', () => abort.abort());
    const sub = await deps.live.subscribe({
      userId: user.id,
      sessionId: user.sessionId,
      tokenExp: user.tokenExp,
      scope: user.scope,
      eventId,
      after,
    });
    // The client may have gone while the subscription was set up: nothing to stream, no heartbeat.
    if (abort.signal.aborted) return sub.end();
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    // The stream's starting point as an id, so a client that reconnects before any change arrives
    // still resumes from here (EventSource keeps the last id it saw and sends it as Last-Event-ID).
    res.write(`retry: 2000\nid: ${sub.cursor}\nevent: ready\ndata: ${JSON.stringify({ cursor: String(sub.cursor) })}\n\n`);
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
    try {
      for await (const { id, message } of sub.messages(abort.signal)) {
        res.write(`id: ${id}\nevent: ${message.type}\ndata: ${messageJson(message)}\n\n`);
      }
    } catch (error) {
      if ((error as { code?: string }).code === 'UNAUTHORIZED') {
        res.write(`event: error\ndata: ${JSON.stringify({ error: 'Your session ended; sign in again', code: 'UNAUTHORIZED' })}\n\n`);
      } else if ((error as { name?: string }).name !== 'AbortError') {
        requestLogger(deps.logger, req).error({ err: error }, 'event stream failed');
      }
    } finally {
      clearInterval(heartbeat);
      sub.end();
      res.end();
    }
  };
}
