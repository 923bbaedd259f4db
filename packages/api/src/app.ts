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
import { createHttpHandler } from './http/handler.ts';
import { LiveHub } from './live/hub.ts';
import { localChannel, postgresChannel, redisChannel, type WakeChannel } from './live/wake-channel.ts';
import { liveWireEncoder } from './live/wire.ts';
import { createLogger, type Logger } from './logger.ts';
import { appRouter } from './routers/root.ts';
import { changesAccess, forgetAccess } from './services/events/access.ts';
import { SessionStore } from './services/auth/sessions.ts';
import { TokenService } from './services/auth/tokens.ts';

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

export const FEED_TOPIC = 'changes';

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
    (await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize }));
  if (options.migrate ?? true) await migrateToLatest(database.db);

  const wake = await openWakeChannel(config, database, logger);
  const sessions = new SessionStore(database.db, wake);
  const live = new LiveHub(database.db, logger, (sessionIds) => sessions.liveAmong(sessionIds));
  // Every instance reads the feed: cached roles of events whose access changed are dropped.
  live.onFeed((rows) => forgetAccess(database.db, rows.filter((r) => changesAccess(r.type)).map((r) => r.event_id)));
  await live.start();
  wake.subscribe(FEED_TOPIC, () => live.wake());

  // With Redis, every instance counts failed logins in one place.
  const limiterRedis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 2 }) : undefined;
  limiterRedis?.on('error', (error) => logger.warn({ err: error }, 'redis error'));
  const loginLimit = { points: config.loginRateLimit, duration: 15 * 60, keyPrefix: 'login_fail' };
  const loginLimiter: RateLimiterAbstract = limiterRedis
    ? new RateLimiterRedis({ ...loginLimit, storeClient: limiterRedis, insuranceLimiter: new RateLimiterMemory(loginLimit) })
    : new RateLimiterMemory(loginLimit);

  const deps: AppDeps = {
    config,
    database,
    db: database.db,
    logger,
    tokens: new TokenService(config.jwt),
    sessions,
    loginLimiter,
    live,
    wake,
    commits: {
      committed: () => {
        live.wake();
        if (wake.kind !== 'local') wake.publish(FEED_TOPIC);
      },
    },
  };

  const server = createServer(
    createHttpHandler(deps, appRouter, { '/api/events/stream': createEventStreamRoute(deps) }),
  );
  server.requestTimeout = 60_000;

  const trpcWss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const trpcWs = applyWSSHandler({
    wss: trpcWss,
    router: appRouter,
    createContext: createContextFactory(deps),
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 5_000 },
    experimental_encoder: liveWireEncoder,
  });
  const collab = new CollabServer(deps);
  // One port: WebSocket upgrades are routed by path.
  server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/trpc' || path.startsWith('/trpc/')) {
      trpcWss.handleUpgrade(req, socket, head, (ws) => trpcWss.emit('connection', ws, req));
    } else if (path.startsWith('/collab/')) {
      collab.handleUpgrade(req, socket, head).catch((error: unknown) => {
        logger.error({ err: error }, 'collab upgrade failed');
        socket.destroy();
      });
    } else {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`;
  logger.info({ url, database: database.engine, fanout: wake.kind }, 'listening');

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
        await live.stop();
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
