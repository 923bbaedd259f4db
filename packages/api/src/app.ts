import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '@scheduler/db';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { WebSocketServer } from 'ws';
import { CollabServer } from './collab/collab-server.ts';
import type { Config } from './config.ts';
import { createContextFactory } from './context.ts';
import type { AppDeps } from './deps.ts';
import { createEventStreamRoute } from './http/event-stream.ts';
import { hardenServer } from './http/client-error.ts';
import { createHttpHandler } from './http/handler.ts';
import { logUnexpectedTrpcError } from './http/request-context.ts';
import { withRequestPipeline } from './http/request-log.ts';
import { routeTemplates } from './http/route-template.ts';
import { admitOnContext, SocketGuard } from './http/socket-guard.ts';
import { createUpgradeRouter } from './http/upgrade.ts';
import { LiveHub } from './live/hub.ts';
import { startFeedRetention } from './live/retention.ts';
import { localChannel, postgresChannel, redisChannel, type WakeChannel } from './live/wake-channel.ts';
import { liveWireEncoder } from './live/wire.ts';
import { createLogger, type Logger } from './logger.ts';
import { appRouter } from './routers/root.ts';
import { changesAccess, forgetAccess } from './services/events/access.ts';
import { ApiTokenStore } from './services/auth/api-token-store.ts';
import { liveCredentials } from './services/auth/authenticate.ts';
import { configureDetailCache, forgetBodies } from './services/events/detail-cache.ts';
import { configureFeedNumbering } from './services/feed-numbering.ts';
import { configureListingCache, forgetListings } from './services/events/listing-cache.ts';
import { isStateChange } from './services/changes.ts';
import { SessionStore } from './services/auth/sessions.ts';
import { TokenService } from './services/auth/tokens.ts';
import { createRequestLimiter } from './services/rate-limit.ts';
import { startReminderScheduler } from './services/reminders/scheduler.ts';
import { WebhookWorker } from './webhooks/worker.ts';

export interface App {
  server: Server;
  collab: CollabServer;
  deps: AppDeps;
  /** Base URL once listening, e.g. http://127.0.0.1:3000 */
  url: string;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** An already-open database (tests share one); otherwise opened from config. */
  database?: DatabaseHandle;
  /** Run migrations at start-up (default true). */
  migrate?: boolean;
}

const FEED_TOPIC = 'changes';
/** The embedded database has no autovacuum: the feed is vacuumed after this many rows are numbered (a few ms each time). */
const PGLITE_FEED_VACUUM_ROWS = 1000;

/** Redis when configured, LISTEN/NOTIFY on PostgreSQL, in-process on the embedded database. */
async function openWakeChannel(config: Readonly<Config>, database: DatabaseHandle, logger: Logger): Promise<WakeChannel> {
  if (config.redisUrl) return redisChannel(config.redisUrl, logger);
  if (database.url) return postgresChannel(database.url, logger);
  return localChannel();
}

/** Opens the database, migrates it, and serves HTTP and WebSocket traffic on one port. */
export async function startApp(config: Readonly<Config>, options: StartOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const database =
    options.database ??
    (await openDatabase({
      url: config.databaseUrl,
      dataDir: config.dataDir,
      poolSize: config.databasePoolSize,
      ...config.database,
    }));
  if (options.migrate ?? true) await migrateToLatest(database.db);

  const wake = await openWakeChannel(config, database, logger);
  const sessions = new SessionStore(database.db, wake);
  const apiTokens = new ApiTokenStore(database.db, wake, { usageFlushMs: config.apiTokenUsageFlushMs, logger });
  apiTokens.start();
  const live = new LiveHub(database.db, logger, (credentials) => liveCredentials({ sessions, apiTokens }, credentials));
  // Every instance reads the feed: cached roles of events whose access changed are dropped.
  configureListingCache(database.db, config.listingCacheRows);
  configureDetailCache(database.db, config.eventCacheRows);
  if (database.engine === 'pglite') configureFeedNumbering(database.db, { vacuumEvery: PGLITE_FEED_VACUUM_ROWS });
  live.onFeed((rows) => {
    forgetAccess(
      database.db,
      rows.flatMap((r) => (changesAccess(r.type) && r.event_id !== null ? [r.event_id] : [])),
    );
    forgetBodies(
      database.db,
      rows.flatMap((r) => (r.event_id !== null ? [r.event_id] : [])),
    );
    if (rows.some(isStateChange)) forgetListings(database.db);
  });
  await live.start();
  // A commit here already woke this instance's readers: its own notice coming back is skipped.
  const instanceId = randomUUID();
  const fromElsewhere = (listener: () => void) => (payload: string) => {
    if (payload !== instanceId) listener();
  };
  wake.subscribe(
    FEED_TOPIC,
    fromElsewhere(() => live.wake()),
  );
  const retention = startFeedRetention(database.db, logger, config.feedRetention);

  // With Redis, every instance counts failed logins in one place.
  // No offline queue: while Redis is away, the limiters' in-memory insurance answers at once.
  const limiterRedis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: false }) : undefined;
  limiterRedis?.on('error', (error) => logger.warn({ err: error }, 'redis error'));
  const loginLimit = { points: config.loginRateLimit, duration: 15 * 60, keyPrefix: 'login_fail' };
  const loginLimiter: RateLimiterAbstract = limiterRedis
    ? new RateLimiterRedis({ ...loginLimit, storeClient: limiterRedis, insuranceLimiter: new RateLimiterMemory(loginLimit) })
    : new RateLimiterMemory(loginLimit);

  // Webhooks: every instance sends; the outbox's claims keep a message from going out twice.
  // What the worker writes itself (a hook switched off) is announced like any other commit.
  const webhooks = new WebhookWorker(database.db, logger, config.webhooks, { committed: () => deps.commits?.committed() });
  const deps: AppDeps = {
    config,
    database,
    db: database.db,
    logger,
    tokens: new TokenService(config.jwt),
    sessions,
    apiTokens,
    loginLimiter,
    live,
    wake,
    sockets: new SocketGuard({ maxPerUser: config.websocket.maxConnectionsPerUser, maxBufferedBytes: config.websocket.maxBufferedBytes }),
    commits: {
      committed: () => {
        live.wake();
        webhooks.wake();
        if (wake.kind !== 'local') wake.publish(FEED_TOPIC, instanceId);
      },
    },
  };

  wake.subscribe(
    FEED_TOPIC,
    fromElsewhere(() => webhooks.wake()),
  );
  webhooks.start();

  const handler = createHttpHandler(deps, appRouter, { '/api/events/stream': createEventStreamRoute(deps) });
  const requestLimiter = createRequestLimiter(
    { points: config.rateLimit.requests, windowSeconds: config.rateLimit.windowSeconds },
    limiterRedis,
  );
  const server = createServer(
    // Timeouts are checked this often (Node's default, 30 s, would let a short headers timeout run long).
    { connectionsCheckingInterval: Math.min(30_000, Math.max(250, Math.floor(config.http.headersTimeoutMs / 4))) },
    withRequestPipeline(deps, handler, { limiter: requestLimiter, route: routeTemplates(appRouter) }),
  );
  hardenServer(server, config.http, logger);

  const trpcWss = new WebSocketServer({ noServer: true, maxPayload: config.websocket.maxMessageBytes });
  trpcWss.on('connection', (ws) => deps.sockets?.watch(ws));
  const trpcWs = applyWSSHandler({
    wss: trpcWss,
    router: appRouter,
    createContext: admitOnContext(deps, createContextFactory(deps)),
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 5_000 },
    experimental_encoder: liveWireEncoder,
    // `req` is the upgrade request: lines about a socket carry the id it was opened with.
    onError: ({ error, path, req }) => logUnexpectedTrpcError(logger, req, error, path),
  });
  const collab = new CollabServer(deps);
  server.on('upgrade', createUpgradeRouter(deps, trpcWss, collab));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`;
  logger.info({ url, database: database.engine, fanout: wake.kind }, 'listening');

  const reminders = startReminderScheduler(deps, config.reminders);
  // Every content change, on any instance, reaches every hub: the due-time table may have changed.
  live.onFeed((rows) => {
    if (rows.some((r) => r.type.startsWith('event.') && r.type !== 'event.reminder')) reminders.wake();
  });

  let closing: Promise<void> | undefined;
  return {
    server,
    collab,
    deps,
    url,
    close: () =>
      (closing ??= (async () => {
        // Tell WebSocket clients to reconnect elsewhere, then stop.
        trpcWs.broadcastReconnectNotification();
        await collab.close();
        // The feed stops (and its running read ends) before the pool it reads from closes.
        await reminders.stop();
        await live.stop();
        await webhooks.stop();
        await retention.stop();
        await apiTokens.stop();
        for (const client of trpcWss.clients) client.terminate();
        trpcWss.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await wake.close();
        limiterRedis?.disconnect();
        if (!options.database) await database.close();
      })()),
  };
}
