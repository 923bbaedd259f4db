export { startApp, type App, type StartOptions } from './app.ts';
export { loadConfig, ConfigError, type Config } from './config.ts';
export { createLogger } from './logger.ts';
export { appRouter, type AppRouter } from './routers/root.ts';
export { buildOpenApiDocument } from './http/openapi.ts';
