import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import type { CollabServer } from '../collab/collab-server.ts';
import { bearerToken } from '../context.ts';
import type { AppDeps } from '../deps.ts';
import { writeRawError } from './client-error.ts';
import { assignRequestId, requestLogger } from './request-context.ts';

/**
 * Routes WebSocket upgrades by path (one port for everything): `/trpc` to
 * tRPC, `/collab/{id}` to collaborative editing. A refusal is a complete
 * HTTP answer with the contract's JSON error body, not a dropped socket.
 */
export function createUpgradeRouter(deps: AppDeps, trpcWss: WebSocketServer, collab: CollabServer) {
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    assignRequestId(req);
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const path = url.pathname;
      if (path === '/trpc' || path.startsWith('/trpc/')) {
        // The token usually arrives later, in connectionParams; one given on the upgrade itself is checked now.
        const token = bearerToken(req.headers.authorization) ?? url.searchParams.get('token');
        if (token !== null && !(await deps.tokens.verify(token, 'access'))) {
          return writeRawError(socket, 'UNAUTHORIZED', 'The access token is not valid', {
            'WWW-Authenticate': 'Bearer error="invalid_token"',
          });
        }
        trpcWss.handleUpgrade(req, socket, head, (ws) => trpcWss.emit('connection', ws, req));
      } else if (path.startsWith('/collab/')) {
        await collab.handleUpgrade(req, socket, head).catch((error: unknown) => {
          requestLogger(deps.logger, req).error({ err: error }, 'collab upgrade failed');
          writeRawError(socket, 'SERVICE_UNAVAILABLE', 'The document could not be opened; try again', { 'Retry-After': '1' });
        });
      } else {
        writeRawError(socket, 'NOT_FOUND', `No WebSocket endpoint at ${path}; use /trpc or /collab/{event_id}`);
      }
    })();
  };
}
