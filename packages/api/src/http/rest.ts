import type { IncomingMessage, ServerResponse } from 'node:http';
import { TRPCError } from '@trpc/server';
import { createContextFactory } from '../context.ts';
import type { AppDeps } from '../deps.ts';
import { AppError, toAppError } from '../errors.ts';
import type { AppRouter } from '../routers/root.ts';
import type { ProcedureMeta } from '../trpc.ts';
import { parseBody, parseTextBody, readBody } from './body.ts';
import { assertPlainQueryKeys } from './query-keys.ts';
import { answerInMsgpack, prefersMsgpack } from './content.ts';
import { requestLogger } from './request-context.ts';
import { sendError, sendJson } from './respond.ts';
import { buildInput } from './rest-input.ts';
import { invokeProcedure } from './invoke-procedure.ts';
import { buildRouteTable, type RestRoute } from './rest-routes.ts';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * The REST adapter: `/api/...` is matched against a route table built once
 * from the procedures' OpenAPI meta, the path, query and body become one
 * input object, and the procedure is called directly with the same context
 * as tRPC's. It answers with the contract's statuses (201, 205, 304 with
 * ETag/If-None-Match, 405 with Allow) and writes every failure through
 * `sendError`, in JSON or, when asked for, MessagePack.
 */
export function createRestHandler(deps: AppDeps, appRouter: AppRouter) {
  const table = buildRouteTable(appRouter);
  const createContext = createContextFactory(deps);

  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (prefersMsgpack(req.headers.accept)) answerInMsgpack(res);
    const method = req.method ?? 'GET';
    const pathname = url.pathname.slice('/api'.length) || '/';
    let route: RestRoute | undefined;
    try {
      assertPlainQueryKeys(url.searchParams);
      const match = table.match(method, pathname);
      if (!match) throw new AppError('NOT_FOUND', `No route for ${method} /api${pathname}`);
      route = match.route;
      if (!route) {
        const allow = allowHeader(match.allowed);
        res.setHeader('Allow', allow);
        if (method === 'OPTIONS') return void res.writeHead(204).end();
        throw new AppError('METHOD_NOT_ALLOWED', `${method} is not allowed on /api${pathname}; it allows ${allow}`);
      }
      let body: unknown;
      let bodyIsForm = false;
      if (BODY_METHODS.has(method)) {
        const contentType = req.headers['content-type'];
        const raw = await readBody(req, deps.config.maxBodyBytes);
        const text = route.meta.textBody;
        if (text) body = { [text.field]: parseTextBody(raw, contentType, text.mediaType) };
        else body = parseBody(raw, contentType);
        bodyIsForm = !text && (contentType ?? '').split(';')[0]!.trim().toLowerCase() === 'application/x-www-form-urlencoded';
      }
      const ifMatch = req.headers['if-match'];
      const input = buildInput(route.fields, { params: match.params, search: url.searchParams, body, bodyIsForm, ifMatch });
      // Marked as REST, so procedures answer in the REST form (page links).
      const ctx = { ...(await createContext({ req, res })), rest: { basePath: '/api' } };
      const data: unknown = await invokeProcedure(route.procedure, {
        ctx,
        path: route.path,
        type: route.type,
        getRawInput: async () => input,
        signal: undefined,
        batchIndex: 0,
      });
      writeSuccess(req, res, route, data);
    } catch (error) {
      const app = toAppError(error, error instanceof TRPCError ? error.code : undefined);
      if (app.code === 'INTERNAL_ERROR')
        requestLogger(deps.logger, req).error(
          { err: error instanceof Error ? (error.cause ?? error) : error, path: route?.path },
          'unhandled error',
        );
      sendError(res, app);
    }
  };
}

const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** The methods a path answers, in the usual order; HEAD wherever GET is. */
function allowHeader(methods: string[]): string {
  const allowed = new Set(methods);
  if (allowed.has('GET')) allowed.add('HEAD');
  return METHOD_ORDER.filter((method) => allowed.has(method)).join(', ');
}

function writeSuccess(req: IncomingMessage, res: ServerResponse, route: RestRoute, data: unknown): void {
  const status = route.meta.status ?? 200;
  if (status === 205) return void res.writeHead(205, { 'Content-Length': '0' }).end();
  if (route.meta.textResponse) return writeText(res, route.meta.textResponse, data);
  const headers: Record<string, string> = {};
  const version = (data as { version?: unknown } | null)?.version;
  if (route.method === 'GET' && typeof version === 'number') {
    const etag = `"${version}"`;
    headers['ETag'] = etag;
    if (ifNoneMatch(req, etag)) return void res.writeHead(304, headers).end();
  }
  sendJson(res, status, data ?? null, headers);
}

/** A text answer (the calendar feed): its ETag and caching headers, and 304 when the procedure found it unchanged. */
function writeText(res: ServerResponse, format: NonNullable<ProcedureMeta['textResponse']>, data: unknown): void {
  const { etag, [format.field]: text } = data as Record<string, unknown>;
  const headers: Record<string, string> = { 'Cache-Control': format.cacheControl };
  if (typeof etag === 'string') headers['ETag'] = etag;
  if (typeof text !== 'string') return void res.writeHead(304, headers).end();
  res.writeHead(200, { ...headers, 'Content-Type': `${format.mediaType}; charset=utf-8`, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function ifNoneMatch(req: IncomingMessage, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (typeof header !== 'string') return false;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag || tag.trim() === '*');
}
