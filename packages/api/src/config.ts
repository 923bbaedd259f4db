import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseTrustProxy } from './http/client-address.ts';

const duration = z
  .string()
  .regex(/^\d+\s*[smhd]$/, 'must look like 900s, 15m, 12h or 7d')
  .transform((value) => {
    const amount = Number.parseInt(value, 10);
    const unit = value.trim().slice(-1) as 's' | 'm' | 'h' | 'd';
    return amount * { s: 1, m: 60, h: 3600, d: 86400 }[unit];
  });

const ZEnv = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  DATA_DIR: z.string().min(1).default('./data'),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  JWT_ISSUER: z.string().min(1).default('event-scheduler'),
  JWT_AUDIENCE: z.string().min(1).default('event-scheduler-api'),
  ACCESS_TOKEN_TTL: duration.default(15 * 60),
  REFRESH_TOKEN_TTL: duration.default(7 * 86400),
  // Where clients reach the API (scheme, host and any path prefix), for absolute URLs such as the calendar feed's.
  PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
    .transform((value) => value.replace(/\/+$/, ''))
    .optional()
    .or(z.literal('').transform(() => undefined)),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(100 * 1024 * 1024)
    .default(10 * 1024 * 1024),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  LOGIN_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
  COLLAB_WRITEBACK_MS: z.coerce.number().int().min(50).max(60_000).default(2000),
  API_TOKEN_USAGE_FLUSH_MS: z.coerce.number().int().min(50).max(600_000).default(30_000),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  DATABASE_ACQUIRE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(500).max(600_000).default(20_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(65_000),
  RATE_LIMIT_REQUESTS: z.coerce.number().int().min(1).default(6000),
  LISTING_CACHE_ROWS: z.coerce.number().int().min(0).max(10_000_000).default(20_000),
  EVENT_CACHE_ROWS: z.coerce.number().int().min(0).max(10_000_000).default(50_000),
  RATE_LIMIT_WINDOW: duration.default(60),
  WS_MAX_CONNECTIONS_PER_USER: z.coerce.number().int().min(1).max(100_000).default(50),
  WS_MAX_MESSAGE_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(100 * 1024 * 1024)
    .default(1024 * 1024),
  WS_MAX_BUFFERED_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024 * 1024)
    .default(8 * 1024 * 1024),
  // At least an hour: live subscribers and instances reading the feed must be long past what is pruned.
  FEED_RETENTION: duration.pipe(z.number().min(3600, 'must be at least 1h')).default(30 * 86400),
  FEED_PRUNE_INTERVAL: duration.default(3600),
  REMINDER_MAX_SLEEP_MS: z.coerce.number().int().min(50).max(3_600_000).default(30_000),
  WEBHOOK_ALLOW_PRIVATE: z.enum(['true', 'false']).default('false'),
  WEBHOOK_RETRY_MS: z.coerce.number().int().min(10).max(3_600_000).default(5000),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  WEBHOOK_DISABLE_AFTER: duration.default(3 * 86400),
  WEBHOOK_POLL_MS: z.coerce.number().int().min(50).max(600_000).default(1000),
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((value, ctx) => {
      try {
        return parseTrustProxy(value);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be true, false, a number of hops, or proxy addresses/CIDRs separated by commas' });
        return z.NEVER;
      }
    }),
});

/** The application's settings, read from the schema's output so the two cannot drift. */
export type Config = ReturnType<typeof toConfig>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads and validates the environment once at start-up. In production a
 * missing JWT_SECRET is an error; in development a secret is generated and
 * kept in the data folder so tokens survive restarts.
 */
export function loadConfig(env: Record<string, string | undefined>): Readonly<Config> {
  const parsed = ZEnv.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const dataDir = e.DATA_DIR === ':memory:' ? undefined : path.resolve(e.DATA_DIR);
  let secret = e.JWT_SECRET;
  if (!secret) {
    if (e.NODE_ENV === 'production') {
      throw new ConfigError('Invalid configuration:\n  JWT_SECRET: is required when NODE_ENV=production');
    }
    secret = dataDir ? readOrCreateSecret(dataDir) : randomBytes(32).toString('base64url');
  }
  return Object.freeze(toConfig(e, dataDir, secret));
}

/** Maps the validated environment onto the settings the application reads. */
function toConfig(e: z.output<typeof ZEnv>, dataDir: string | undefined, secret: string) {
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    /** postgres://... or undefined for the embedded database. */
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    /** Embedded database directory; undefined keeps it in memory. */
    dataDir,
    jwt: {
      secret: new TextEncoder().encode(secret),
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      accessTtl: e.ACCESS_TOKEN_TTL,
      refreshTtl: e.REFRESH_TOKEN_TTL,
    },
    /** Scheme, host and path prefix clients use (no trailing slash); absent: taken from each request. */
    publicUrl: e.PUBLIC_URL,
    logLevel: e.LOG_LEVEL,
    maxBodyBytes: e.MAX_BODY_BYTES,
    redisUrl: e.REDIS_URL,
    loginRateLimit: e.LOGIN_RATE_LIMIT,
    collabWritebackMs: e.COLLAB_WRITEBACK_MS,
    /** How often API tokens' `last_used_at` is written (uses are noted in memory in between). */
    apiTokenUsageFlushMs: e.API_TOKEN_USAGE_FLUSH_MS,
    /** Proxies whose X-Forwarded-For entries are believed (see http/client-address.ts). */
    trustProxy: e.TRUST_PROXY,
    /** PostgreSQL only: statement_timeout and the wait for a pooled connection. */
    database: { statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS, acquireTimeoutMs: e.DATABASE_ACQUIRE_TIMEOUT_MS },
    http: {
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    },
    /** Events the listing-page cache may hold (0: no cache). */
    listingCacheRows: e.LISTING_CACHE_ROWS,
    eventCacheRows: e.EVENT_CACHE_ROWS,
    /** Requests per user (or address, without a token) per window. */
    rateLimit: { requests: e.RATE_LIMIT_REQUESTS, windowSeconds: e.RATE_LIMIT_WINDOW },
    websocket: {
      maxConnectionsPerUser: e.WS_MAX_CONNECTIONS_PER_USER,
      maxMessageBytes: e.WS_MAX_MESSAGE_BYTES,
      maxBufferedBytes: e.WS_MAX_BUFFERED_BYTES,
    },
    /** Change-feed rows older than this are pruned, checked every interval (seconds). */
    feedRetention: { maxAgeSeconds: e.FEED_RETENTION, intervalSeconds: e.FEED_PRUNE_INTERVAL },
    /** The reminder scheduler looks at the due-time table at least this often, woken sooner by changes. */
    reminders: { maxSleepMs: e.REMINDER_MAX_SLEEP_MS },
    webhooks: {
      /** Deliver to loopback, private, link-local and unique-local addresses too. */
      allowPrivate: e.WEBHOOK_ALLOW_PRIVATE === 'true',
      /** The first retry's delay; each further one doubles it. */
      retryMs: e.WEBHOOK_RETRY_MS,
      /** A receiver must answer within this. */
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      /** A hook failing without a success for this long (seconds) is switched off. */
      disableAfterSeconds: e.WEBHOOK_DISABLE_AFTER,
      /** The outbox is read at least this often, whatever the wake-ups. */
      pollMs: e.WEBHOOK_POLL_MS,
    },
  };
}

function readOrCreateSecret(dataDir: string): string {
  const file = path.join(dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}
