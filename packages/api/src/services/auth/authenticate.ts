import type { TUser } from '@scheduler/shared';
import { AppError } from '../../errors.ts';
import type { SessionStore } from './sessions.ts';
import type { TokenProblem, TokenService } from './tokens.ts';

export interface AuthenticatedUser extends TUser {
  sessionId: string;
  /** Access-token expiry, seconds since the epoch (long-lived connections end then). */
  tokenExp: number;
}

export interface AuthenticateDeps {
  tokens: TokenService;
  sessions: SessionStore;
}

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

/** The user of a token, or null (for callers that answer every refusal alike, such as socket upgrades). */
export async function authenticatedUser(deps: AuthenticateDeps, token: string | null | undefined): Promise<AuthenticatedUser | null> {
  const outcome = await authenticate(deps, token);
  return outcome.ok ? outcome.user : null;
}
