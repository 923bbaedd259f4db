import { randomUUID } from 'node:crypto';
import type { Database, UserRow } from '@scheduler/db';
import type { TAuthResult, TLoginInput, TRegisterInput, TTokenPair, TUser } from '@scheduler/shared';
import { sql, type Kysely } from 'kysely';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppError, unauthorized } from '../../errors.ts';
import { audit, type RequestMeta } from '../audit.ts';
import { isUniqueViolation } from '../db-errors.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { isLive } from './sessions.ts';
import { tokenRefused } from './authenticate.ts';
import type { SessionStore } from './sessions.ts';
import type { TokenProblem, TokenService } from './tokens.ts';

export interface AuthDeps {
  db: Kysely<Database>;
  tokens: TokenService;
  sessions: SessionStore;
  loginLimiter: RateLimiterAbstract;
  refreshTtlSeconds: number;
}

const BAD_CREDENTIALS = 'No active account found with the given credentials';
const BAD_REFRESH = 'The refresh token is not valid for an active session (logged out, revoked or already used); sign in again';
const REFRESH_PROBLEMS: Record<TokenProblem, string> = {
  expired: 'The refresh token has expired; sign in again',
  malformed: 'The refresh token is malformed: send the `refresh` token from login or the last refresh',
  invalid: 'The refresh token is not valid (bad signature, issuer or claims); sign in again',
  wrong_type: 'An access token was sent where a refresh token is expected; send the `refresh` token',
};

async function refreshClaims(deps: AuthDeps, token: string) {
  const checked = await deps.tokens.check(token, 'refresh');
  if (!checked.ok) throw tokenRefused(REFRESH_PROBLEMS[checked.problem]);
  return checked.claims;
}

export function toUser(row: Pick<UserRow, 'id' | 'username' | 'email'>): TUser {
  return { id: row.id, username: row.username, email: row.email };
}

export async function register(deps: AuthDeps, input: TRegisterInput, meta: RequestMeta): Promise<TAuthResult> {
  const passwordHash = await hashPassword(input.password);
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const taken = await trx
        .selectFrom('users')
        .select(['username', 'email'])
        .where((eb) =>
          eb.or([eb(sql`lower(username)`, '=', input.username.toLowerCase()), eb(sql`lower(email)`, '=', input.email.toLowerCase())]),
        )
        .executeTakeFirst();
      if (taken) throw duplicateUser(taken.username.toLowerCase() === input.username.toLowerCase());
      const user = await trx
        .insertInto('users')
        .values({ username: input.username, email: input.email, password_hash: passwordHash })
        .returning(['id', 'username', 'email'])
        .executeTakeFirstOrThrow();
      const tokens = await startSession(deps, trx, user.id);
      await audit(trx, meta, { userId: user.id, action: 'register', targetType: 'user', targetId: user.id });
      return { ...tokens, user: toUser(user) };
    });
  } catch (error) {
    // Two registrations racing for one name: the unique index decides.
    if (isUniqueViolation(error)) throw duplicateUser(String((error as Error).message).includes('username'));
    throw error;
  }
}

function duplicateUser(byUsername: boolean): AppError {
  const field = byUsername ? 'username' : 'email';
  const message = byUsername ? 'A user with that username already exists.' : 'A user with that email already exists.';
  return new AppError('CONFLICT', message, { details: [{ path: field, message }] });
}

export async function login(deps: AuthDeps, input: Pick<TLoginInput, 'username' | 'password'>, meta: RequestMeta): Promise<TAuthResult> {
  const limiterKey = `${meta.ip ?? '-'}:${input.username.toLowerCase()}`;
  await takeLoginAttempt(deps.loginLimiter, limiterKey);
  const name = input.username.toLowerCase();
  const user = await deps.db
    .selectFrom('users')
    .selectAll()
    .where((eb) => eb.or([eb(sql`lower(username)`, '=', name), eb(sql`lower(email)`, '=', name)]))
    .orderBy(sql`lower(username) = ${name}`, 'desc')
    .executeTakeFirst();
  const valid = await verifyPassword(user?.password_hash, input.password);
  if (!user || !valid) {
    await audit(deps.db, meta, {
      userId: user?.id ?? null,
      action: 'login_failed',
      targetType: 'user',
      targetId: user?.id,
    });
    throw unauthorized(BAD_CREDENTIALS);
  }
  // A success gives back every attempt: only failures in a row count.
  await deps.loginLimiter.delete(limiterKey).catch(() => undefined);
  return deps.db.transaction().execute(async (trx) => {
    const tokens = await startSession(deps, trx, user.id);
    await audit(trx, meta, { userId: user.id, action: 'login', targetType: 'user', targetId: user.id });
    return { ...tokens, user: toUser(user) };
  });
}

/**
 * Takes one attempt from the allowance before the password is checked, so the
 * limit holds however many attempts arrive at once (checking first and
 * counting after lets every concurrent attempt through the check).
 */
async function takeLoginAttempt(limiter: RateLimiterAbstract, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (rejection) {
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    throw new AppError('RATE_LIMITED', 'Too many failed login attempts; try again later', {
      retryAfter: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)),
    });
  }
}

async function startSession(deps: AuthDeps, db: Kysely<Database>, userId: number): Promise<TTokenPair> {
  const sessionId = randomUUID();
  const refreshJti = randomUUID();
  await db
    .insertInto('auth_sessions')
    .values({
      id: sessionId,
      user_id: userId,
      refresh_jti: refreshJti,
      expires_at: new Date(Date.now() + deps.refreshTtlSeconds * 1000),
    })
    .execute();
  return {
    access: await deps.tokens.sign('access', userId, sessionId),
    refresh: await deps.tokens.sign('refresh', userId, sessionId, refreshJti),
  };
}

/**
 * Rotates a refresh token. Presenting a token that was already rotated away
 * means it leaked: the whole session is revoked.
 */
export async function refresh(deps: AuthDeps, token: string, meta: RequestMeta): Promise<TTokenPair> {
  const claims = await refreshClaims(deps, token);
  let reused = false;
  const outcome = await deps.db.transaction().execute(async (trx) => {
    const session = await trx.selectFrom('auth_sessions').selectAll().where('id', '=', claims.sessionId).forUpdate().executeTakeFirst();
    if (!session || !isLive({ revokedAt: session.revoked_at, expiresAt: session.expires_at }) || session.user_id !== claims.userId) {
      return null;
    }
    if (session.refresh_jti !== claims.jti) {
      reused = true;
      await trx
        .updateTable('auth_sessions')
        .set({ revoked_at: new Date(), revoked_reason: 'refresh token reuse' })
        .where('id', '=', session.id)
        .execute();
      return null;
    }
    const nextJti = randomUUID();
    await trx.updateTable('auth_sessions').set({ refresh_jti: nextJti }).where('id', '=', session.id).execute();
    await audit(trx, meta, { userId: session.user_id, action: 'refresh', targetType: 'session', targetId: session.id });
    return {
      access: await deps.tokens.sign('access', session.user_id, session.id),
      refresh: await deps.tokens.sign('refresh', session.user_id, session.id, nextJti),
    };
  });
  // Reuse of a spent refresh token revoked the session: its access tokens stop everywhere now.
  if (reused) deps.sessions.ended(claims.sessionId);
  if (!outcome) throw tokenRefused(BAD_REFRESH);
  return outcome;
}

/** Ends the session of a refresh token: its refresh and access tokens stop working at once. */
export async function logout(deps: AuthDeps, token: string, meta: RequestMeta): Promise<{ sessionId: string }> {
  const claims = await refreshClaims(deps, token);
  await deps.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('auth_sessions')
      .set({ revoked_at: new Date(), revoked_reason: 'logout' })
      .where('id', '=', claims.sessionId)
      .where('revoked_at', 'is', null)
      .execute();
    await audit(trx, meta, { userId: claims.userId, action: 'logout', targetType: 'session', targetId: claims.sessionId });
  });
  deps.sessions.ended(claims.sessionId);
  return { sessionId: claims.sessionId };
}
