import type { AppRouter } from '@scheduler/api';
import type { TInvitation, TLiveMessage, TRegisterInput, TRsvpStatus, TUser } from '@scheduler/shared';
import { createTRPCClient, createWSClient, httpBatchLink, splitLink, TRPCClientError, wsLink, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import { authLink } from './auth-link.ts';
import { Session, type Credentials, type TokenPair } from './session.ts';

/** A WebSocket class: the browser's, or `WebSocket` from the `ws` package on Node. */
export type WebSocketClass = new (url: string, protocols?: string | string[]) => unknown;

export interface ClientOptions {
  /** The server, e.g. `http://localhost:3000` (tRPC is served under `/trpc`). */
  url: string;
  /** An access token you already have… */
  token?: string | undefined;
  /** …and its refresh token, so an expired access token can be replaced. */
  refreshToken?: string | undefined;
  /** For `login()`. */
  credentials?: Credentials | undefined;
  /** Needed on Node (`import { WebSocket } from 'ws'`); browsers have one. */
  WebSocket?: WebSocketClass | undefined;
  /** Told about every new token pair (login and each refresh), e.g. to keep it for the next run. */
  onTokens?: ((tokens: TokenPair) => void) | undefined;
  /** The refresh token was refused (expired, revoked, or used twice): the user must sign in again. */
  onSessionEnded?: (() => void) | undefined;
}

export type LiveMessage = TLiveMessage;
/** An invitation as `invitations.*` answer it and `invitation.*` live messages carry it. */
export type Invitation = TInvitation;
/** A participant's answer to an event (`rsvp` in participants). */
export type RsvpStatus = TRsvpStatus;

export interface FollowOptions {
  /** Only this event's changes; all events I can read when omitted. */
  eventId?: number | undefined;
  /** Resume after this message id (one `onMessage` was given), e.g. kept from an earlier run. */
  lastEventId?: string | undefined;
  /** Each change, in order, with its id in the change feed. */
  onMessage: (message: LiveMessage, id: string) => void;
  /** The subscription ended with an error (access lost, session ended, bad input). Logged when omitted. */
  onError?: ((error: unknown) => void) | undefined;
  /** The server has started (or, after a reconnect, restarted) sending changes. */
  onStarted?: (() => void) | undefined;
}

/**
 * A typed client for the Event Scheduler API.
 *
 * - `trpc`: every procedure, typed from the server's router. Queries and
 *   mutations go over HTTP (calls made in the same tick share one request),
 *   subscriptions over one WebSocket, opened when first needed and reopened
 *   when it drops.
 * - The access token travels as `Authorization: Bearer` on HTTP and as
 *   `connectionParams.token` on the WebSocket. When the server answers
 *   UNAUTHORIZED and a refresh token is known, the token pair is refreshed
 *   once (concurrent calls share the refresh) and the call is made again.
 */
export function createClient(options: ClientOptions) {
  const base = options.url.replace(/\/+$/, '');
  const session = new Session(base, { access: options.token, refresh: options.refreshToken }, options.onTokens, options.onSessionEnded);

  // Node 20 has no global WebSocket: without one (and none given) HTTP calls still work and
  // subscriptions fail with a message saying what to pass, instead of createClient throwing.
  const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketClass }).WebSocket;
  const wsClient = WebSocketImpl
    ? createWSClient({
        url: `${base.replace(/^http/i, 'ws')}/trpc`,
        lazy: { enabled: true, closeMs: 10_000 },
        keepAlive: { enabled: true, intervalMs: 20_000, pongTimeoutMs: 5_000 },
        connectionParams: async () => {
          const token = await session.tokenForConnection();
          return token ? { token } : {};
        },
        WebSocket: WebSocketImpl as unknown as typeof globalThis.WebSocket,
      })
    : undefined;

  /** Closes the current socket, so the next subscription opens one with the current token. */
  const reconnectSocket = async (): Promise<void> => {
    const connection = wsClient?.connection;
    if (!connection || connection.state === 'closed') return;
    const socket = connection.ws;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2_000);
      socket.addEventListener('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.close(1000, 'New access token');
    });
  };

  const trpc = createTRPCClient<AppRouter>({
    links: [
      authLink({ session, reconnectSocket }),
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: wsClient ? wsLink<AppRouter>({ client: wsClient }) : noWebSocketLink,
        false: httpBatchLink<AppRouter>({
          url: `${base}/trpc`,
          maxURLLength: 8_000,
          headers: () => (session.access ? { authorization: `Bearer ${session.access}` } : {}),
        }),
      }),
    ],
  });

  /** Signs in (POST /api/auth/login) with the credentials given at creation, or these. */
  async function login(credentials: Credentials | undefined = options.credentials): Promise<TUser> {
    if (!credentials) throw new Error('createClient was given no credentials to log in with');
    return session.login(credentials);
  }

  /**
   * Follows live changes to my events (or one event). It starts from the
   * feed's current position (or `lastEventId`), and tRPC resumes after the
   * last position seen when the WebSocket reconnects, as the refresh link
   * does after replacing an expired access token: no change is missed or
   * repeated, even one made while reconnecting before the first message
   * arrived. Returns a function that stops following.
   */
  function followChanges(follow: FollowOptions): () => void {
    const onError = follow.onError ?? ((e: unknown) => console.error('followChanges:', e));
    let stopped = false;
    let subscription: { unsubscribe(): void } | undefined;
    const start = async () => {
      const lastEventId = follow.lastEventId ?? (await trpc.live.cursor.query()).cursor;
      if (stopped) return;
      const input = { ...(follow.eventId !== undefined ? { event_id: follow.eventId } : {}), lastEventId };
      subscription = trpc.live.onChange.subscribe(input, {
        onData: ({ id, data }) => follow.onMessage(data, id),
        onStarted: () => follow.onStarted?.(),
        onError,
      });
    };
    start().catch(onError);
    return () => {
      stopped = true;
      subscription?.unsubscribe();
    };
  }

  /** Creates an account (`auth.register`) and keeps its token pair: the new user is signed in. */
  async function register(input: TRegisterInput): Promise<TUser> {
    const result = await trpc.auth.register.mutate(input);
    session.adopt(result);
    return result.user;
  }

  /** Ends the session on the server (`auth.logout`) and forgets the tokens; `close()` ends subscriptions. */
  async function logout(): Promise<void> {
    const refresh = session.refresh;
    session.clear();
    if (refresh) await trpc.auth.logout.mutate({ refresh });
  }

  return {
    trpc,
    login,
    register,
    logout,
    /**
     * An access token good for a new connection of your own (e.g. the collaboration WebSocket):
     * the current one, or a fresh one when it has expired or is about to.
     */
    freshToken: (): Promise<string | undefined> => session.freshAccess(),
    /** Rotates the token pair now (POST /api/auth/refresh); it happens by itself when a call needs it. */
    refresh: () => session.refreshTokens(),
    followChanges,
    /** The current access and refresh tokens. */
    get tokens(): { access: string | undefined; refresh: string | undefined } {
      return { access: session.access, refresh: session.refresh };
    },
    /** Closes the WebSocket (ending subscriptions); HTTP calls keep working. */
    close: async (): Promise<void> => wsClient?.close(),
  };
}

export type SchedulerClient = ReturnType<typeof createClient>;

/** Subscriptions without a WebSocket class: fail at once, saying what is missing. */
const noWebSocketLink: TRPCLink<AppRouter> = () => () =>
  observable((observer) => {
    observer.error(
      TRPCClientError.from<AppRouter>(
        new Error(
          "Live changes need a WebSocket: pass createClient({ WebSocket }) with WebSocket from the 'ws' package (Node 20 has none built in)",
        ),
      ),
    );
  });
