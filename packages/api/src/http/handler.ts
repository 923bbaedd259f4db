import type { IncomingMessage, ServerResponse } from 'node:http';
import { pingDatabase } from '@scheduler/db';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { createContextFactory } from '../context.ts';
import type { AppDeps } from '../deps.ts';
import { AppError, toAppError } from '../errors.ts';
import type { AppRouter } from '../routers/root.ts';
import { DOCS_HTML, readDocsAsset, readFavicon } from './docs-page.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { logUnexpectedTrpcError, requestLogger } from './request-context.ts';
import { sendError, sendJson } from './respond.ts';
import { createRestHandler } from './rest.ts';
import { createTrpcQueryPath, trpcResponseMeta } from './trpc-queries.ts';
import { createWebAppRoute } from './web-app.ts';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

/**
 * The HTTP entry point: `/api/*` (REST), `/trpc/*` (tRPC with batching and
 * SSE subscriptions), the docs, and the health probes. Extra routes (the REST
 * event stream) are mounted by prefix before `/api`.
 */
export function createHttpHandler(deps: AppDeps, appRouter: AppRouter, extraRoutes: Record<string, RouteHandler> = {}) {
  const rest = createRestHandler(deps, appRouter);
  const trpc = createHTTPHandler({
    router: appRouter,
    createContext: createContextFactory(deps),
    basePath: '/trpc/',
    maxBodySize: deps.config.maxBodyBytes,
    responseMeta: trpcResponseMeta,
    onError: ({ error, path, req }) => logUnexpectedTrpcError(deps.logger, req, error, path),
  });
  const trpcQueries = createTrpcQueryPath(deps, appRouter, trpc, trpcResponseMeta);
  let openApiText: string | undefined;
  const webApp = createWebAppRoute();

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return sendError(res, new AppError('VALIDATION_ERROR', 'Malformed request URL'));
    }
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    try {
      for (const [prefix, route] of Object.entries(extraRoutes)) {
        if (path === prefix) return await route(req, res, url);
      }
      if (path === '/api' || path.startsWith('/api/')) {
        return await rest(req, res, url);
      }
      if (path.startsWith('/trpc/') || path === '/trpc') return await trpcQueries(req, res, url);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return sendError(res, new AppError('NOT_FOUND', `No route for ${req.method} ${path}`));
      }
      if (webApp(req, res, url, path)) return;
      switch (path) {
        case '/':
          return sendJson(res, 200, { message: 'Event Scheduler API' });
        case '/healthz':
          return sendJson(res, 200, { status: 'ok' });
        case '/readyz': {
          const ready = await pingDatabase(deps.db);
          if (ready) return sendJson(res, 200, { status: 'ready' });
          return sendJson(
            res,
            503,
            { status: 'database unreachable', error: 'The database is unreachable', code: 'SERVICE_UNAVAILABLE' },
            { 'Retry-After': '2' },
          );
        }
        case '/openapi.json':
          openApiText ??= JSON.stringify(buildOpenApiDocument(appRouter, '/api'));
          res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
          return void res.end(openApiText);
        case '/docs':
          res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
          return void res.end(DOCS_HTML);
        case '/favicon.ico': {
          const icon = readFavicon();
          res.writeHead(200, { 'Content-Type': icon.type, 'Cache-Control': 'public, max-age=86400' });
          return void res.end(icon.body);
        }
      }
      if (path.startsWith('/docs/')) {
        const asset = readDocsAsset(path.slice('/docs/'.length));
        if (asset) {
          res.writeHead(200, { 'Content-Type': asset.type, 'Cache-Control': 'public, max-age=86400' });
          return void res.end(asset.body);
        }
      }
      return sendError(res, new AppError('NOT_FOUND', `No route for GET ${path}`));
    } catch (error) {
      const app = toAppError(error);
      if (app.code === 'INTERNAL_ERROR') requestLogger(deps.logger, req).error({ err: error }, 'unhandled error');
      return sendError(res, app);
    }
  };
}
