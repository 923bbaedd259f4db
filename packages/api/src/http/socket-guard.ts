import { WebSocket } from 'ws';
import type { AppDeps } from '../deps.ts';
import { claimedUserId } from '../services/auth/authenticate.ts';

/** Close codes the guard uses (RFC 6455: 1008 policy violation, 1013 try again later). */
const GUARD_CLOSE = { tooSlow: 1008, tooMany: 1013 } as const;

export interface SocketLimits {
  /** Open WebSockets (/trpc and /collab together) per user. */
  maxPerUser: number;
  /** Bytes queued for one socket before it counts as a slow consumer and is closed. */
  maxBufferedBytes: number;
}

/** A closed socket that does not finish its closing handshake in this time is cut. */
const TERMINATE_AFTER_MS = 5000;

/**
 * Bounds what WebSocket clients can cost the server: a number of open sockets
 * per user, and the bytes waiting to be written to one socket. A client that
 * stops reading would otherwise make the server queue every message for it
 * in memory, for as long as it stays connected.
 */
export class SocketGuard {
  private readonly byUser = new Map<number, Set<WebSocket>>();
  private watched = 0;
  /** Sockets closed so far for not reading their messages. */
  slowConsumersClosed = 0;

  constructor(readonly limits: SocketLimits) {}

  /** Sockets counted against users right now. */
  get openSockets(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  /** Sockets whose outbound buffer is watched right now. */
  get watchedSockets(): number {
    return this.watched;
  }

  /**
   * Counts a user's socket; refuses (closes) it when the user already has the
   * maximum open. Returns whether the socket was admitted.
   */
  admit(userId: number, ws: WebSocket): boolean {
    let set = this.byUser.get(userId);
    if (set?.has(ws)) return true;
    if ((set?.size ?? 0) >= this.limits.maxPerUser) {
      ws.close(GUARD_CLOSE.tooMany, `Too many connections: at most ${this.limits.maxPerUser} per user`);
      return false;
    }
    if (!set) this.byUser.set(userId, (set = new Set()));
    set.add(ws);
    ws.once('close', () => {
      set.delete(ws);
      if (set.size === 0 && this.byUser.get(userId) === set) this.byUser.delete(userId);
    });
    return true;
  }

  /**
   * Checks the socket's outbound buffer after every send: over the bound, the
   * socket is closed with a reason (queued behind the backlog, so a client that
   * resumes reading learns why) and cut shortly after if it does not answer.
   */
  watch(ws: WebSocket): void {
    const send = ws.send.bind(ws) as (...args: unknown[]) => void;
    this.watched += 1;
    ws.once('close', () => (this.watched -= 1));
    ws.send = ((...args: unknown[]) => {
      send(...args);
      if (ws.bufferedAmount > this.limits.maxBufferedBytes && ws.readyState === ws.OPEN) {
        this.slowConsumersClosed += 1;
        ws.close(GUARD_CLOSE.tooSlow, 'Too slow: messages are waiting unread; reconnect and resume');
        setTimeout(() => ws.terminate(), TERMINATE_AFTER_MS).unref();
      }
    }) as WebSocket['send'];
  }
}

/**
 * Wraps the tRPC WebSocket context factory: when a connection's context is
 * created (its token known from connectionParams or the upgrade's header),
 * the socket is counted against its user, and closed when over the limit.
 */
export function admitOnContext<Opts extends { res?: unknown }, Ctx extends { token: string | null }>(
  deps: Pick<AppDeps, 'sockets' | 'tokens' | 'sessions' | 'apiTokens'>,
  createContext: (opts: Opts) => Promise<Ctx>,
): (opts: Opts) => Promise<Ctx> {
  return async (opts) => {
    const ctx = await createContext(opts);
    if (deps.sockets && ctx.token && opts.res instanceof WebSocket) {
      const userId = await claimedUserId(deps, ctx.token);
      if (userId !== null) deps.sockets.admit(userId, opts.res);
    }
    return ctx;
  };
}
