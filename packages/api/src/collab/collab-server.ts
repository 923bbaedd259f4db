import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Role } from '@scheduler/db';
import { ZIdText } from '@scheduler/shared';
import { WebSocketServer, type WebSocket } from 'ws';
import { bearerToken } from '../context.ts';
import { writeRawError } from '../http/client-error.ts';
import type { AppDeps } from '../deps.ts';
import { authenticatedUser, liveCredentials } from '../services/auth/authenticate.ts';
import { roleUnderScope, roleOf, rolesOf } from '../services/events/access.ts';
import { DocumentRegistry } from './documents.ts';
import type { LiveDocument } from './event-sync.ts';
import { CLOSE, type CollabUser, type Connection } from './room.ts';

const MAX_MESSAGE_BYTES = 512 * 1024;
const HOUSEKEEPING_MS = 500;

/**
 * Collaborative editing at /collab/{event_id}: the upgrade and its checks
 * (token, session and access, before any document data is sent), one
 * connection per socket, and the periodic re-check that ends connections
 * whose session or access ended. Documents live in the registry.
 */
export class CollabServer {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  private readonly documents: DocumentRegistry;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly deps: AppDeps) {
    this.documents = new DocumentRegistry(deps);
    this.timer = setInterval(() => void this.housekeeping(), HOUSEKEEPING_MS);
  }

  /** Documents loaded in this process (unloaded when their last client leaves). */
  get openDocuments(): number {
    return this.documents.size;
  }

  /** Refuses bad tokens and strangers with an HTTP answer before the WebSocket exists. */
  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const idText = url.pathname.replace(/^\/collab\/?/, '').replace(/\/$/, '');
    const parsedId = ZIdText.safeParse(idText);
    if (!parsedId.success) return refuse(socket, 400, 'Bad Request');
    const protocolToken = (req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .find((p) => p.split('.').length === 3);
    const token = url.searchParams.get('token') ?? bearerToken(req.headers.authorization) ?? protocolToken ?? null;
    const user = await authenticatedUser(this.deps, token);
    if (!user) return refuse(socket, 401, 'Unauthorized');
    // With an API token: a read token joins read-only, a narrowed one only its events (the access rule's roleOf).
    const role = await roleOf(this.deps.db, parsedId.data, user);
    if (!role) return refuse(socket, 404, 'Not Found');
    const collabUser: CollabUser = {
      id: user.id,
      username: user.username,
      sessionId: user.sessionId,
      tokenExp: user.tokenExp,
      scope: user.scope,
    };
    let doc: LiveDocument;
    try {
      doc = await this.documents.open(parsedId.data);
    } catch (error) {
      this.deps.logger.error({ err: error }, 'could not open collaborative document');
      return refuse(socket, 503, 'Service Unavailable');
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.attach(ws, doc, collabUser, role));
  }

  private attach(ws: WebSocket, doc: LiveDocument, user: CollabUser, role: Role): void {
    if (this.deps.sockets && !this.deps.sockets.admit(user.id, ws)) {
      if (doc.room.connections.size === 0) void this.documents.unload(doc);
      return;
    }
    this.deps.sockets?.watch(ws);
    const conn: Connection = { ws, user, role, clientIds: new Set(), warnedReadOnly: false };
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return ws.close(CLOSE.malformed, 'binary messages only');
      try {
        doc.room.receive(conn, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      } catch {
        ws.close(CLOSE.malformed, 'malformed message');
      }
    });
    ws.on('close', () => {
      doc.room.leave(ws);
      if (doc.room.connections.size === 0) void this.documents.unload(doc);
    });
    ws.on('error', () => ws.terminate());
    doc.room.join(conn);
  }

  /** Re-checks every connection's session and access; then catches up with other instances and the event. */
  private async housekeeping(): Promise<void> {
    const now = Date.now() / 1000;
    for (const doc of [...this.documents.values()]) {
      const conns = [...doc.room.connections.values()];
      if (conns.length === 0) continue;
      try {
        const [roles, live] = await Promise.all([
          rolesOf(this.deps.db, doc.room.eventId, [...new Set(conns.map((c) => c.user.id))]),
          liveCredentials(this.deps, [...new Set(conns.map((c) => c.user.sessionId))]),
        ]);
        for (const conn of conns) {
          // A token narrowed to some events is judged on its own (its scope may follow the event's tags).
          const role = conn.user.scope?.tags
            ? await roleOf(this.deps.db, doc.room.eventId, conn.user)
            : roleUnderScope(roles.get(conn.user.id) ?? null, conn.user.scope);
          if (!live.has(conn.user.sessionId) || conn.user.tokenExp <= now) conn.ws.close(CLOSE.sessionEnded, 'session ended');
          else if (!role) conn.ws.close(CLOSE.revoked, 'access revoked');
          else conn.role = role;
        }
        await this.documents.refresh(doc);
      } catch (error) {
        this.deps.logger.warn({ err: error }, 'collab housekeeping failed');
      }
    }
  }

  /** Shutdown: write every document back, tell its clients to reconnect, close. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.documents.close((doc) => {
      for (const ws of doc.room.connections.keys()) ws.close(CLOSE.shutdown, 'server restarting');
    });
    this.wss.close();
  }
}

/** A refused upgrade is an HTTP answer in the contract's error shape. */
function refuse(socket: Duplex, status: 400 | 401 | 404 | 503, _text: string): void {
  const answers = {
    400: ['VALIDATION_ERROR', 'The path must be /collab/{event_id} with a positive integer id'],
    401: ['UNAUTHORIZED', 'A valid access token is required (?token=, Authorization or the WebSocket protocol)'],
    404: ['NOT_FOUND', 'Event not found'],
    503: ['SERVICE_UNAVAILABLE', 'The document could not be opened; try again'],
  } as const;
  const [code, message] = answers[status];
  writeRawError(socket, code, message, status === 503 ? { 'Retry-After': '1' } : status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {});
}
