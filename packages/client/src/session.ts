import type { AppRouter } from '@scheduler/api';
import {
  ERROR_CODES,
  ERROR_TRPC_CODE,
  errorCodeOfStatus,
  type TAuthResult,
  type TErrorBody,
  type TErrorCode,
  type TTokenPair,
  type TUser,
} from '@scheduler/shared';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';
import { TRPCClientError } from '@trpc/client';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';

export interface Credentials {
  username: string;
  password: string;
}

export type TokenPair = TTokenPair;
export type SchedulerClientError = TRPCClientError<AppRouter>;

/** True when a call failed because the server did not accept the token (or the credentials). */
export function isUnauthorized(error: unknown): boolean {
  if (!(error instanceof TRPCClientError)) return false;
  const data = error.data as { appCode?: unknown; code?: unknown } | null | undefined;
  return data?.appCode === 'UNAUTHORIZED' || data?.code === 'UNAUTHORIZED';
}

/** The `exp` and `iat` claims of a JWT, read without verifying it (only to schedule refreshes). */
export function jwtTimes(token: string | undefined): { exp?: number; iat?: number } {
  const payload = token?.split('.')[1];
  if (!payload) return {};
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '='))) as Record<string, unknown>;
    return {
      ...(typeof claims['exp'] === 'number' ? { exp: claims['exp'] } : {}),
      ...(typeof claims['iat'] === 'number' ? { iat: claims['iat'] } : {}),
    };
  } catch {
    return {};
  }
}

const isErrorCode = (value: unknown): value is TErrorCode => (ERROR_CODES as readonly unknown[]).includes(value);

/**
 * A REST error answer (`{error, code, details?}`) as the same `TRPCClientError`
 * the tRPC procedure would have thrown, so callers handle one error type.
 */
function errorFromRest(path: string, response: Response, body: unknown): SchedulerClientError {
  const rest = (typeof body === 'object' && body !== null ? body : {}) as Partial<TErrorBody>;
  const appCode: TErrorCode = isErrorCode(rest.code) ? rest.code : errorCodeOfStatus(response.status);
  const code: TRPC_ERROR_CODE_KEY = ERROR_TRPC_CODE[appCode];
  const retryAfter = Number(response.headers.get('retry-after'));
  const message = typeof rest.error === 'string' ? rest.error : `HTTP ${response.status}`;
  const data = {
    code,
    httpStatus: response.status,
    path,
    appCode,
    ...(rest.details ? { details: rest.details } : {}),
    ...(rest.conflicts ? { conflicts: rest.conflicts } : {}),
    ...(retryAfter > 0 ? { retryAfter } : {}),
  };
  return new TRPCClientError<AppRouter>(message, {
    result: { error: { code: TRPC_ERROR_CODES_BY_KEY[code], message, data } },
  });
}

/**
 * The tokens of one signed-in user: logs in and rotates the refresh token over
 * REST (`/api/auth/login`, `/api/auth/refresh`), one refresh at a time.
 */
export class Session {
  access: string | undefined;
  refresh: string | undefined;
  /** The access token the current WebSocket connection was opened with. */
  connectionToken: string | undefined;
  private refreshing: Promise<TokenPair> | undefined;

  constructor(
    private readonly baseUrl: string,
    tokens: { access?: string | undefined; refresh?: string | undefined },
    private readonly onTokens?: ((tokens: TokenPair) => void) | undefined,
    private readonly onEnded?: (() => void) | undefined,
  ) {
    this.access = tokens.access || undefined;
    this.refresh = tokens.refresh || undefined;
  }

  /** Keeps a token pair obtained elsewhere (e.g. from `auth.register`). */
  adopt(pair: TokenPair): void {
    this.store(pair);
  }

  /** Forgets both tokens (after signing out, or when the session has ended). */
  clear(): void {
    this.access = undefined;
    this.refresh = undefined;
  }

  private store(pair: TokenPair): void {
    this.access = pair.access;
    this.refresh = pair.refresh;
    this.onTokens?.({ access: pair.access, refresh: pair.refresh });
  }

  private async post<T>(path: string, body: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}/api${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
      });
    } catch (cause) {
      // fetch says only "fetch failed"; name the server and the reason (ECONNREFUSED, ENOTFOUND, …).
      const reason =
        (cause as { cause?: { code?: string } } | undefined)?.cause?.code ?? (cause instanceof Error ? cause.message : String(cause));
      throw TRPCClientError.from<AppRouter>(new Error(`Cannot reach the Event Scheduler API at ${this.baseUrl} (${reason})`, { cause }));
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) throw errorFromRest(path.slice(1).replace('/', '.'), response, parsed);
    return parsed as T;
  }

  /** POST /api/auth/login (the JSON form); keeps the token pair. */
  async login(credentials: Credentials): Promise<TUser> {
    const result = await this.post<TAuthResult>('/auth/login', {
      username: credentials.username,
      password: credentials.password,
    });
    this.store(result);
    return result.user;
  }

  /**
   * POST /api/auth/refresh with the current refresh token and keeps the
   * rotated pair. Concurrent callers share one request: a refresh token is
   * good for one use, and presenting a spent one ends the whole session.
   */
  refreshTokens(): Promise<TokenPair> {
    if (this.refreshing) return this.refreshing;
    const refresh = this.refresh;
    if (!refresh) return Promise.reject(new Error('No refresh token: log in first'));
    this.refreshing = this.post<TokenPair>('/auth/refresh', { refresh })
      .then(
        (pair) => {
          this.store(pair);
          return pair;
        },
        (error: unknown) => {
          // A refused refresh token will never work again; keep it for network failures only.
          if (isUnauthorized(error) && this.refresh === refresh) {
            this.clear();
            this.onEnded?.();
          }
          throw error;
        },
      )
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** True when the access token has expired or is about to (a quarter of its life, at most 30 s, before). */
  expiresSoon(now = Date.now() / 1000): boolean {
    const { exp, iat } = jwtTimes(this.access);
    if (exp === undefined) return false;
    const margin = iat !== undefined ? Math.min(30, (exp - iat) / 4) : 30;
    return exp - margin <= now;
  }

  /**
   * The token for a new WebSocket connection. The server reads it once per
   * connection and ends the connection's subscriptions when it expires, so
   * an expired token is refreshed first rather than sent.
   */
  async tokenForConnection(): Promise<string | undefined> {
    this.connectionToken = await this.freshAccess();
    return this.connectionToken;
  }

  /** The access token, refreshed first when it has expired or is about to. */
  async freshAccess(): Promise<string | undefined> {
    if (this.refresh && (!this.access || this.expiresSoon())) {
      await this.refreshTokens().catch(() => undefined);
    }
    return this.access;
  }
}
