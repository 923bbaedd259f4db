import { ConfigError, createLogger, loadConfig, startApp, type App, type Config } from '@scheduler/api';
import { lockDataDir } from './data-dir-lock.ts';
import { checkPortFree } from './port-check.ts';
import { describeStartupError } from './startup-errors.ts';

/** Process entry: validated config, one HTTP + WebSocket server, graceful shutdown. */
async function main(): Promise<void> {
  let config: Readonly<Config>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  let app: App;
  try {
    // One process per embedded data directory: a second PGlite on the same files would corrupt them.
    if (!config.databaseUrl && config.dataDir) lockDataDir(config.dataDir);
    await checkPortFree(config.port, config.host);
    app = await startApp(config, { logger });
  } catch (error) {
    const line = describeStartupError(error, config);
    if (line === null) throw error;
    console.error(`Cannot start: ${line}`);
    process.exit(1);
  }
  logger.info(`Event Scheduler API on ${app.url} (docs: ${app.url}/docs)`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await app.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
