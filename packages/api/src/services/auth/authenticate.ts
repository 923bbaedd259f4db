import type { TUser } from '@scheduler/shared';
import { AppError } from '../../errors.ts';
import type { TokenScope } from '../events/access.ts';
import { isApiToken, type ApiTokenStore } from './api-token-store.ts';
import type { SessionStore } from './sessions.ts';
import type { TokenProblem, TokenService } from './tokens.ts';

export interface AuthenticatedUser extends TUser {
  /** The credential whose end ends long-lived connections: a session id, or `api-token:<id>` (see `liveCredentials`). */
  sessionId: string;
  /** Access-token expiry, seconds since the epoch (long-lived connections end then; Infinity for an API token that never expires). */
  tokenExp: number;
  /** Set when the request came with an API token: what the token narrows the user to. */
  scope?: TokenScope | undefined;
}

export interface AuthenticateDeps {
  tokens: TokenService;
  sessions: SessionStore;
  apiTokens: ApiTokenStore;
}

const API_TOKEN_CREDENTIAL = 'api-token:';

const API_TOKEN_PROBLEMS = {
  revoked: 'The API token has been revoked',
  expired: 'The API token has expired; create a new one',
  unknown: 'The API token is not valid',
} as const;

const ACCESS_PROBLEMS: Record<TokenProblem, string> = {
  expired: 'The access token has expired; get a new one from /api/auth/refresh with your refresh token',
  malformed: 'The access token is malformed: expected `Authorization: Bearer <token>` with the access token from login',
  invalid: 'The access token is not valid (bad signature, issuer or claims); sign in again',
  wrong_type: 'A refresh token was sent where an access token is expected; send the access token',
};
const SESSION_ENDED = 'The session of this token has ended (logged out or revoked); sign in again';
const SESSION_EXPIRED = 'The session of this token has expired; sign in again';
const SESSION_UNKNOWN = 'The session of this token does not exist; sign in again';
const MISSING_TOKEN = 'Authentication credentials were not provided: send `Authorization: Bearer <access token>`';

/**
 * RFC 6750 challenge: `error="invalid_token"` with a description when a token
 * was sent, a bare challenge when none was.
 */
function bearerChallenge(description?: string): string {
  if (description === undefined) return 'Bearer realm="api"';
  // error_description allows printable ASCII except `"` and `\`.
  const safe = description.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '');
  return `Bearer realm="api", error="invalid_token", error_description="${safe}"`;
}

/** A 401 that says what is wrong with the token, with its `WWW-Authenticate` challenge. */
export function tokenRefused(message: string): AppError {
  return new AppError('UNAUTHORIZED', message, { wwwAuthenticate: bearerChallenge(message) });
}

const missingToken = (): AppError => new AppError('UNAUTHORIZED', MISSING_TOKEN, { wwwAuthenticate: bearerChallenge() });

export type AuthOutcome = { ok: true; user: AuthenticatedUser } | { ok: false; error: AppError };

/**
 * Resolves an access token to its user while its session is live (not
 * revoked, not expired). Claims and sessions come from memory when cached,
 * so this usually costs no SQL.
 */
export async function authenticate(deps: AuthenticateDeps, token: string | null | undefined): Promise<AuthOutcome> {
  if (!token) return { ok: false, error: missingToken() };
  if (isApiToken(token)) return authenticateApiToken(deps, token);
  const checked = await deps.tokens.check(token, 'access');
  if (!checked.ok) return { ok: false, error: tokenRefused(ACCESS_PROBLEMS[checked.problem]) };
  const { claims } = checked;
  const session = await deps.sessions.state(claims.sessionId, claims.userId);
  if (!session.live) {
    const message = session.reason === 'ended' ? SESSION_ENDED : session.reason === 'expired' ? SESSION_EXPIRED : SESSION_UNKNOWN;
    return { ok: false, error: tokenRefused(message) };
  }
  return { ok: true, user: { ...session.user, sessionId: claims.sessionId, tokenExp: claims.exp } };
}

/** An API token (recognised by its prefix) resolves to its user, narrowed by its scope, while not revoked or expired. */
async function authenticateApiToken(deps: AuthenticateDeps, token: string): Promise<AuthOutcome> {
  const state = await deps.apiTokens.state(token);
  if (!state.live) return { ok: false, error: tokenRefused(API_TOKEN_PROBLEMS[state.reason]) };
  return {
    ok: true,
    user: {
      ...state.user,
      sessionId: `${API_TOKEN_CREDENTIAL}${state.id}`,
      tokenExp: state.expiresAt ? state.expiresAt.getTime() / 1000 : Number.POSITIVE_INFINITY,
      scope: state.scope,
    },
  };
}

/** Which of these credentials (`AuthenticatedUser.sessionId`s) are live now, read from the database. */
export async function liveCredentials(deps: Pick<AuthenticateDeps, 'sessions' | 'apiTokens'>, credentials: string[]): Promise<Set<string>> {
  const sessionIds = credentials.filter((c) => !c.startsWith(API_TOKEN_CREDENTIAL));
  const tokenIds = credentials.filter((c) => c.startsWith(API_TOKEN_CREDENTIAL)).map((c) => Number(c.slice(API_TOKEN_CREDENTIAL.length)));
  const [sessions, tokens] = await Promise.all([deps.sessions.liveAmong(sessionIds), deps.apiTokens.liveAmong(tokenIds)]);
  return new Set([...sessions, ...[...tokens].map((id) => `${API_TOKEN_CREDENTIAL}${id}`)]);
}

/** The user id a bearer token claims, for rate limits and connection bounds (no session check; API tokens from the cache or one read). */
export async function claimedUserId(deps: AuthenticateDeps, token: string): Promise<number | null> {
  if (!isApiToken(token)) return (await deps.tokens.verify(token, 'access'))?.userId ?? null;
  const state = await deps.apiTokens.state(token);
  return state.live ? state.user.id : null;
}

/** The user of a token, or null (for callers that answer every refusal alike, such as socket upgrades). */
export async function authenticatedUser(deps: AuthenticateDeps, token: string | null | undefined): Promise<AuthenticatedUser | null> {
  const outcome = await authenticate(deps, token);
  return outcome.ok ? outcome.user : null;
}
