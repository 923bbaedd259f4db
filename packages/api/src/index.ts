export { startApp, type App, type StartOptions } from './app.ts';
export { loadConfig, ConfigError, type Config } from './config.ts';
export { createLogger } from './logger.ts';
export { appRouter, type AppRouter } from './routers/root.ts';
export { buildOpenApiDocument } from './http/openapi.ts';
// Named so that the typed client's declarations can refer to them.
export type { Context } from './context.ts';
export type { ErrorStatus, ProcedureMeta } from './trpc.ts';
