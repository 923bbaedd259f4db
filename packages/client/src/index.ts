import {
  createTRPCClient,
  createWSClient,
  httpBatchLink,
  httpLink,
  splitLink,
  TRPCClientError,
  wsLink,
  type TRPCLink,
} from '@trpc/client';
import { observable } from '@trpc/server/observable';
import type { AppRouter } from '@scheduler/api';
import type { TLiveMessage } from '@scheduler/shared';

export type { AppRouter };
export type { TLiveMessage as LiveMessage };

export interface Tokens {
  access: string;
  refresh?: string | undefined;
}

export interface ClientOptions {
  /** Server base URL, e.g. http://localhost:3000 */
  url: string;
  /** An access token (and optionally its refresh token) you already have. */
  token?: string | undefined;
  refreshToken?: string | undefined;
  /** Or credentials for `login()`. */
  credentials?: { username: string; password: string } | undefined;
  /** WebSocket implementation for Node (`ws`); browsers use the global one. */
  WebSocket?: unknown;
  /** Told whenever tokens change (login, refresh), e.g. to persist them. */
  onTokens?: ((tokens: Required<Tokens>) => void) | undefined;
}

/** True when a tRPC error is the server's UNAUTHORIZED. */
export function isUnauthorized(error: unknown): boolean {
  if (!(error instanceof TRPCClientError)) return false;
  const data = error.data as { appCode?: string; code?: string } | undefined;
  return data?.appCode === 'UNAUTHORIZED' || data?.code === 'UNAUTHORIZED';
}

/**
 * A typed client for the Event Scheduler API: queries and mutations batched
 * over HTTP, subscriptions over one WebSocket, and access tokens refreshed
 * automatically (once, shared by concurrent calls) when they expire.
 */
export function createClient(options: ClientOptions) {
  const base = options.url.replace(/\/+$/, '');
  const tokens: Tokens = { access: options.token ?? '', refresh: options.refreshToken };

  // Auth calls go around the refresh link (a failing refresh must not trigger another).
  const authClient = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${base}/trpc` })] });

  const setTokens = (access: string, refresh: string) => {
    tokens.access = access;
    tokens.refresh = refresh;
    options.onTokens?.({ access, refresh });
  };

  let refreshing: Promise<void> | undefined;
  /** Rotates the refresh token; concurrent callers share one request. */
  const refresh = (): Promise<void> => {
    if (!tokens.refresh) return Promise.reject(new Error('No refresh token; log in again'));
    refreshing ??= authClient.auth.refresh
      .mutate({ refresh: tokens.refresh })
      .then((pair) => setTokens(pair.access, pair.refresh))
      .finally(() => (refreshing = undefined));
    return refreshing;
  };

  const refreshLink: TRPCLink<AppRouter> = () => ({ next, op }) =>
    observable((observer) => {
      let retried = false;
      let current = next(op).subscribe({ next: (v) => observer.next(v), error: onError, complete: () => observer.complete() });
      function onError(error: TRPCClientError<AppRouter>) {
        if (retried || op.type === 'subscription' || !isUnauthorized(error) || !tokens.refresh) return observer.error(error);
        retried = true;
        refresh().then(
          () => {
            current = next(op).subscribe({ next: (v) => observer.next(v), error: (e) => observer.error(e), complete: () => observer.complete() });
          },
          () => observer.error(error),
        );
      }
      return () => current.unsubscribe();
    });

  const wsClient = createWSClient({
    url: `${base.replace(/^http/, 'ws')}/trpc`,
    lazy: { enabled: true, closeMs: 10_000 },
    connectionParams: async () => ({ token: tokens.access }),
    ...(options.WebSocket ? { WebSocket: options.WebSocket as never } : {}),
  });

  const trpc = createTRPCClient<AppRouter>({
    links: [
      refreshLink,
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: wsLink({ client: wsClient }),
        false: httpBatchLink({ url: `${base}/trpc`, headers: () => (tokens.access ? { authorization: `Bearer ${tokens.access}` } : {}) }),
      }),
    ],
  });

  /** Signs in with the credentials given at creation (or these). */
  async function login(credentials = options.credentials) {
    if (!credentials) throw new Error('No credentials to log in with');
    const result = await authClient.auth.login.mutate(credentials);
    if (!('access' in result)) throw new Error('Unexpected OAuth2 answer to a JSON login');
    setTokens(result.access, result.refresh);
    return result.user;
  }

  /**
   * Follows live changes (all of mine, or one event's). Resumes after the
   * last message seen when the connection drops, and refreshes the access
   * token once if the server ends the subscription for an expired token.
   * Returns a function that stops following.
   */
  function followChanges(args: {
    eventId?: number;
    onMessage: (message: TLiveMessage, id: string) => void;
    onError?: (error: unknown) => void;
  }): () => void {
    let lastEventId: string | undefined;
    let stopped = false;
    let subscription: { unsubscribe(): void } | undefined;
    const start = () => {
      subscription = trpc.live.onChange.subscribe(
        { ...(args.eventId !== undefined ? { event_id: args.eventId } : {}), ...(lastEventId ? { lastEventId } : {}) },
        {
          onData: (envelope) => {
            lastEventId = envelope.id;
            args.onMessage(envelope.data, envelope.id);
          },
          onError: (error) => {
            if (!stopped && isUnauthorized(error) && tokens.refresh) {
              refresh().then(() => !stopped && start(), (e: unknown) => args.onError?.(e));
            } else {
              args.onError?.(error);
            }
          },
        },
      );
    };
    start();
    return () => {
      stopped = true;
      subscription?.unsubscribe();
    };
  }

  return {
    trpc,
    login,
    refresh,
    followChanges,
    /** The current tokens (after logins and refreshes). */
    get tokens(): Readonly<Tokens> {
      return tokens;
    },
    close: () => wsClient.close(),
  };
}

export type SchedulerClient = ReturnType<typeof createClient>;
