import { prepareStatement, type Database } from '@scheduler/db';
import type { TUser } from '@scheduler/shared';
import { CompiledQuery, sql, type Kysely } from 'kysely';
import type { WakeChannel } from '../../live/wake-channel.ts';

/** Wake-up topic carrying the id of a session that ended ('' = forget every cached session). */
const SESSION_TOPIC = 'sessions';

/**
 * The one rule for "is this session still live": not revoked and not past its
 * expiry. Every check (requests, live subscriptions, collaboration sockets)
 * goes through this module.
 */
export function isLive(session: { revokedAt: Date | null; expiresAt: Date }, now = Date.now()): boolean {
  return session.revokedAt === null && session.expiresAt.getTime() > now;
}

interface CachedSession {
  user: TUser;
  revokedAt: Date | null;
  expiresAt: Date;
  loadedAt: number;
}

type SessionState = { live: true; user: TUser } | { live: false; reason: 'ended' | 'expired' | 'unknown' };

/** A cached session is re-read after this long even if no wake-up said it ended (a lost notification). */
const MAX_AGE_MS = 10_000;
const CACHE_LIMIT = 50_000;

// Compiled once: the same tree would otherwise be rebuilt and compiled on every cache miss.
const SESSION_SQL =
  'select u.id, u.username, u.email, s.user_id, s.revoked_at, s.expires_at from auth_sessions s join users u on u.id = s.user_id where s.id = $1';
prepareStatement(SESSION_SQL);
const sessionQuery = (sessionId: string) => CompiledQuery.raw(SESSION_SQL, [sessionId]);

/**
 * Live sessions, cached in memory so an authenticated request costs no SQL.
 * A session that ends (logout, refresh-token reuse) is forgotten here at once
 * and on every other instance through the wake-up channel; expiry is checked
 * on every use.
 */
export class SessionStore {
  private readonly cache = new Map<string, CachedSession>();
  private readonly loading = new Map<string, Promise<CachedSession | null>>();
  /** Bumped by every invalidation: a load that started before one must not fill the cache. */
  private generation = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly wake: WakeChannel,
  ) {
    wake.subscribe(SESSION_TOPIC, (sessionId) => this.forget(sessionId || null));
  }

  /** The session's user while it is live and belongs to `userId`. */
  async state(sessionId: string, userId: number): Promise<SessionState> {
    const session = await this.load(sessionId);
    if (!session || session.user.id !== userId) return { live: false, reason: 'unknown' };
    if (session.revokedAt !== null) return { live: false, reason: 'ended' };
    if (!isLive(session)) return { live: false, reason: 'expired' };
    return { live: true, user: session.user };
  }

  /** Which of these sessions are live now, read from the database (for long-lived connections' periodic check). */
  async liveAmong(sessionIds: string[]): Promise<Set<string>> {
    if (sessionIds.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('auth_sessions')
      .select(['id', 'revoked_at', 'expires_at'])
      // One array parameter, not one per id: thousands of subscribers are checked every second.
      .where('id', '=', sql<string>`any(${sql.val(sessionIds)}::uuid[])`)
      .execute();
    const now = Date.now();
    return new Set(rows.filter((r) => isLive({ revokedAt: r.revoked_at, expiresAt: r.expires_at }, now)).map((r) => r.id));
  }

  /** A session was revoked and the revocation committed: forget it here and tell every instance. */
  ended(sessionId: string): void {
    this.forget(sessionId);
    if (this.wake.kind !== 'local') this.wake.publish(SESSION_TOPIC, sessionId);
  }

  private forget(sessionId: string | null): void {
    this.generation += 1;
    // Loads in flight may have read the row before the change: later callers start a fresh one.
    if (sessionId === null) {
      this.cache.clear();
      this.loading.clear();
    } else {
      this.cache.delete(sessionId);
      this.loading.delete(sessionId);
    }
  }

  private load(sessionId: string): Promise<CachedSession | null> {
    const cached = this.cache.get(sessionId);
    if (cached && Date.now() - cached.loadedAt < MAX_AGE_MS) return Promise.resolve(cached);
    let pending: Promise<CachedSession | null> | undefined = this.loading.get(sessionId);
    if (!pending) {
      const generation = this.generation;
      pending = this.read(sessionId)
        .then((session) => {
          if (session && generation === this.generation) {
            if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
            this.cache.set(sessionId, session);
          }
          return session;
        })
        .finally(() => {
          if (this.loading.get(sessionId) === pending) this.loading.delete(sessionId);
        });
      this.loading.set(sessionId, pending);
    }
    return pending;
  }

  private async read(sessionId: string): Promise<CachedSession | null> {
    const { rows } = await this.db.executeQuery<{
      id: number;
      username: string;
      email: string;
      revoked_at: Date | null;
      expires_at: Date;
    }>(sessionQuery(sessionId));
    const row = rows[0];
    if (!row) return null;
    return {
      user: { id: row.id, username: row.username, email: row.email },
      revokedAt: row.revoked_at,
      expiresAt: row.expires_at,
      loadedAt: Date.now(),
    };
  }
}
