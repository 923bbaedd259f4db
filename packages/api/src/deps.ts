import type { Database, DatabaseHandle } from '@scheduler/db';
import type { Kysely } from 'kysely';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from './config.ts';
import type { LiveHub } from './live/hub.ts';
import type { SocketGuard } from './http/socket-guard.ts';
import type { WakeChannel } from './live/wake-channel.ts';
import type { Logger } from './logger.ts';
import type { ApiTokenStore } from './services/auth/api-token-store.ts';
import type { SessionStore } from './services/auth/sessions.ts';
import type { TokenService } from './services/auth/tokens.ts';
import type { CommitListener } from './services/write.ts';

/** Long-lived collaborators of the application, built once at start-up and passed in (never imported as singletons). */
export interface AppDeps {
  config: Readonly<Config>;
  database: DatabaseHandle;
  db: Kysely<Database>;
  logger: Logger;
  tokens: TokenService;
  /** Live sessions, cached; ended sessions are forgotten on every instance. */
  sessions: SessionStore;
  /** API tokens by hash, cached; revoked tokens are forgotten on every instance; use is written in batches. */
  apiTokens: ApiTokenStore;
  loginLimiter: RateLimiterAbstract;
  /** Told after each committed write (wakes live subscribers). */
  commits?: CommitListener | undefined;
  live: LiveHub;
  wake: WakeChannel;
  /** Bounds on WebSocket clients (connections per user, unread bytes per socket). */
  sockets?: SocketGuard | undefined;
}
