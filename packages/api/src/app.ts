import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '@scheduler/db';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { Config } from './config.ts';
import type { AppDeps } from './deps.ts';
import { createHttpHandler } from './http/handler.ts';
import { createLogger, type Logger } from './logger.ts';
import { appRouter } from './routers/root.ts';
import { TokenService } from './services/auth/tokens.ts';

export interface App {
  server: Server;
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

/** Opens the database, migrates it, and serves HTTP and WebSocket traffic on one port. */
export async function startApp(config: Readonly<Config>, options: StartOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const database =
    options.database ??
    (await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize }));
  if (options.migrate ?? true) await migrateToLatest(database.db);

  const deps: AppDeps = {
    config,
    database,
    db: database.db,
    logger,
    tokens: new TokenService(config.jwt),
    loginLimiter: new RateLimiterMemory({ points: config.loginRateLimit, duration: 15 * 60 }),
  };

  const server = createServer(createHttpHandler(deps, appRouter));
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`;
  logger.info({ url, database: database.engine }, 'listening');

  let closing: Promise<void> | undefined;
  return {
    server,
    deps,
    url,
    close: () =>
      (closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        if (!options.database) await database.close();
      })()),
  };
}
