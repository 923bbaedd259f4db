import { createHash } from 'node:crypto';
import type { Database } from '@scheduler/db';
import type { TUser } from '@scheduler/shared';
import { sql, type Kysely } from 'kysely';
import type { WakeChannel } from '../../live/wake-channel.ts';
import type { Logger } from '../../logger.ts';
import type { TokenScope } from '../events/access.ts';

/**
 * API tokens start with this, so authentication tells one from a JWT without
 * trying both, and secret scanners can recognise a leaked one.
 */
export const API_TOKEN_PREFIX = 'evt_';
/** The prefix and 32 random bytes in base64url. */
const API_TOKEN_FORMAT = /^evt_[A-Za-z0-9_-]{43}$/;

export const isApiToken = (token: string): boolean => token.startsWith(API_TOKEN_PREFIX);

/**
 * SHA-256, hex. A token is 32 random bytes, so no guessing or precomputation
 * can find it from its hash: a slow password hash (argon2) would add nothing
 * but cost on every cache miss, and a fast, deterministic hash lets the
 * token be found by an indexed equality.
 */
export const hashApiToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** Wake-up topic carrying the id of a revoked token ('' = forget every cached token). */
const TOKEN_TOPIC = 'api_tokens';
/** A cached token is re-read after this long even if no wake-up said it was revoked (a lost notification). */
const MAX_AGE_MS = 10_000;
const CACHE_LIMIT = 10_000;

interface CachedToken {
  id: number;
  user: TUser;
  scope: TokenScope;
  expiresAt: Date | null;
  revokedAt: Date | null;
  loadedAt: number;
}

export type ApiTokenState =
  | { live: true; id: number; user: TUser; scope: TokenScope; expiresAt: Date | null }
  | { live: false; reason: 'revoked' | 'expired' | 'unknown' };

const isLive = (token: { revokedAt: Date | null; expiresAt: Date | null }, now = Date.now()) =>
  token.revokedAt === null && (token.expiresAt === null || token.expiresAt.getTime() > now);

/**
 * API tokens by hash, cached in memory like sessions (services/auth/sessions.ts):
 * a revoked token is forgotten here at once and on every other instance
 * through the wake-up channel; expiry is checked on every use. Use is noted
 * in memory and written to `last_used_at` in batches, never once per request.
 */
export class ApiTokenStore {
  private readonly cache = new Map<string, CachedToken>();
  private readonly loading = new Map<string, Promise<CachedToken | null>>();
  private generation = 0;
  /** Token id → when it was last used here and not yet written. */
  private used = new Map<number, Date>();
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly wake: WakeChannel,
    private readonly options: { usageFlushMs: number; logger: Logger },
  ) {
    wake.subscribe(TOKEN_TOPIC, (id) => this.forget(id ? Number(id) : null));
  }

  /** Writes usage every `usageFlushMs`. */
  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.options.usageFlushMs);
    this.timer.unref();
  }

  /** Stops the timer and writes what is left (shutdown). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** The token's user and scope while it is live; notes the use. */
  async state(token: string): Promise<ApiTokenState> {
    if (!API_TOKEN_FORMAT.test(token)) return { live: false, reason: 'unknown' };
    const found = await this.load(hashApiToken(token));
    if (!found) return { live: false, reason: 'unknown' };
    if (found.revokedAt !== null) return { live: false, reason: 'revoked' };
    if (!isLive(found)) return { live: false, reason: 'expired' };
    this.used.set(found.id, new Date());
    return { live: true, id: found.id, user: found.user, scope: found.scope, expiresAt: found.expiresAt };
  }

  /** Which of these tokens are live now, read from the database (long-lived connections' periodic check). */
  async liveAmong(ids: number[]): Promise<Set<number>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('api_tokens')
      .select(['id', 'revoked_at', 'expires_at'])
      .where('id', '=', sql<number>`any(${sql.val(ids)}::int[])`)
      .execute();
    const now = Date.now();
    return new Set(rows.filter((r) => isLive({ revokedAt: r.revoked_at, expiresAt: r.expires_at }, now)).map((r) => r.id));
  }

  /** A token was revoked and the revocation committed: forget it here and tell every instance. */
  revoked(id: number): void {
    this.forget(id);
    if (this.wake.kind !== 'local') this.wake.publish(TOKEN_TOPIC, String(id));
  }

  /** When this instance saw the token used last, if not written yet (listings show the newest). */
  unwrittenUse(id: number): Date | undefined {
    return this.used.get(id);
  }

  /** Writes the uses noted since the last flush in one statement; a failure keeps them for the next one. */
  flush(): Promise<void> {
    this.flushing ??= this.writeUsage().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async writeUsage(): Promise<void> {
    if (this.used.size === 0) return;
    const batch = this.used;
    this.used = new Map();
    const ids = [...batch.keys()];
    const times = [...batch.values()].map((at) => at.toISOString());
    try {
      // Several instances write the same token: the latest use wins.
      await sql`update api_tokens t set last_used_at = u.at
        from (select unnest(${sql.val(ids)}::int[]) as id, unnest(${sql.val(times)}::timestamptz[]) as at) u
        where t.id = u.id and (t.last_used_at is null or t.last_used_at < u.at)`.execute(this.db);
    } catch (error) {
      for (const [id, at] of batch) if (!this.used.has(id)) this.used.set(id, at);
      this.options.logger.warn({ err: error }, 'could not record API token use');
    }
  }

  private forget(id: number | null): void {
    this.generation += 1;
    if (id === null || !Number.isSafeInteger(id)) {
      this.cache.clear();
      this.loading.clear();
      return;
    }
    for (const [hash, cached] of this.cache) if (cached.id === id) this.cache.delete(hash);
    // A load in flight may have read the row before the revocation: later callers start a fresh one.
    this.loading.clear();
  }

  private load(hash: string): Promise<CachedToken | null> {
    const cached = this.cache.get(hash);
    if (cached && Date.now() - cached.loadedAt < MAX_AGE_MS) return Promise.resolve(cached);
    let pending = this.loading.get(hash);
    if (!pending) {
      const generation = this.generation;
      const started: Promise<CachedToken | null> = this.read(hash)
        .then((found) => {
          if (found && generation === this.generation) {
            if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
            this.cache.set(hash, found);
          }
          return found;
        })
        .finally(() => {
          if (this.loading.get(hash) === started) this.loading.delete(hash);
        });
      this.loading.set(hash, (pending = started));
    }
    return pending;
  }

  private async read(hash: string): Promise<CachedToken | null> {
    const row = await this.db
      .selectFrom('api_tokens as t')
      .innerJoin('users as u', 'u.id', 't.user_id')
      .select(['t.id', 't.access', 't.tags', 't.event_ids', 't.expires_at', 't.revoked_at', 'u.id as user_id', 'u.username', 'u.email'])
      .where('t.token_hash', '=', hash)
      .executeTakeFirst();
    if (!row) return null;
    return {
      id: row.id,
      user: { id: row.user_id, username: row.username, email: row.email },
      scope: { access: row.access, tags: row.tags, eventIds: row.event_ids },
      expiresAt: row.expires_at,
      revokedAt: row.revoked_at,
      loadedAt: Date.now(),
    };
  }
}
