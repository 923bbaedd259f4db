import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERROR_CODES, ERROR_STATUS, type TErrorBody, type TErrorCode } from '@scheduler/shared';
import { createOpenApiNodeHttpHandler } from 'trpc-to-openapi';
import { createContextFactory } from '../context.ts';
import type { AppDeps } from '../deps.ts';
import { AppError, toAppError } from '../errors.ts';
import type { AppRouter } from '../routers/root.ts';
import type { ProcedureMeta } from '../trpc.ts';
import { parseBody, readBody } from './body.ts';
import { assertPlainQueryKeys } from './query-keys.ts';
import { sendError, sendJson } from './respond.ts';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * The REST adapter: trpc-to-openapi routes `/api/...` to the procedures; this
 * layer adds what it cannot express: form bodies and query parameters on
 * writes, array bodies, If-Match, the contract's error shape and statuses
 * (201, 205, 304, 410, 429 with Retry-After).
 */
export function createRestHandler(deps: AppDeps, appRouter: AppRouter) {
  const createContext = createContextFactory(deps);
  const handler = createOpenApiNodeHttpHandler({
    router: appRouter,
    // Marks the call as REST, so procedures answer in the REST form (page links).
    createContext: async (opts: Parameters<typeof createContext>[0]) => ({ ...(await createContext(opts)), rest: { basePath: '/api' } }),
    responseMeta: ({ paths, errors, data }) => {
      if (errors.length > 0 || !paths?.[0]) return {};
      const meta = procedureMeta(appRouter, paths[0]);
      const headers: Record<string, string> = {};
      const version = (data[0] as { version?: unknown } | undefined)?.version;
      if (meta?.openapi?.method === 'GET' && typeof version === 'number') headers['ETag'] = `"${version}"`;
      return { status: meta?.status ?? 200, headers };
    },
    onError: ({ error, path }) => {
      const app = toAppError(error, error.code);
      if (app.code === 'INTERNAL_ERROR') deps.logger.error({ err: error.cause ?? error, path }, 'unhandled error');
    },
    maxBodySize: deps.config.maxBodyBytes,
  });

  return async (req: IncomingMessage & { body?: unknown }, res: ServerResponse, apiPath: string) => {
    try {
      const url = new URL(apiPath, 'http://localhost');
      assertPlainQueryKeys(url.searchParams);
      if (BODY_METHODS.has(req.method ?? '')) {
        const contentType = req.headers['content-type'];
        const raw = await readBody(req, deps.config.maxBodyBytes);
        const parsed = parseBody(raw, contentType);
        const isForm = contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded') ?? false;
        req.body = toInputObject(parsed, url, req, isForm);
        req.headers['content-type'] = 'application/json';
      }
      req.url = url.pathname + url.search;
      shapeResponse(req, res);
      await handler(req, res, () => sendError(res, new AppError('NOT_FOUND', `No route for ${req.method} /api${url.pathname}`)));
    } catch (error) {
      sendError(res, toAppError(error));
    }
  };
}

/** Body fields win over query parameters; array bodies are seed 001's batch form. */
function toInputObject(parsed: unknown, url: URL, req: IncomingMessage, isForm: boolean): Record<string, unknown> {
  const isBatch = /^\/events\/batch\/?$/.test(url.pathname);
  if (parsed === null || typeof parsed !== 'object' || (Array.isArray(parsed) && !isBatch)) {
    throw new AppError('VALIDATION_ERROR', `The body must be a JSON object${isBatch ? ' or array' : ''}`, {
      details: [{ path: '(body)', message: `must be a JSON object${isBatch ? ' or array' : ''}` }],
    });
  }
  const body: Record<string, unknown> = Array.isArray(parsed) ? { events: parsed } : { ...(parsed as Record<string, unknown>) };
  for (const [key, value] of url.searchParams) if (!(key in body)) body[key] = value;
  if (isForm && body['grant_type'] === undefined) body['grant_type'] = 'password';
  const ifMatch = req.headers['if-match'];
  if (typeof ifMatch === 'string' && body['version'] === undefined && ifMatch.trim() !== '*') {
    const version = Number(ifMatch.replace(/^W\//, '').replace(/"/g, '').trim());
    // An unparseable If-Match can never match a version.
    body['version'] = Number.isInteger(version) && version > 0 ? version : 0;
  }
  return body;
}

function procedureMeta(appRouter: AppRouter, path: string): ProcedureMeta | undefined {
  const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { meta?: ProcedureMeta } }>;
  return procedures[path]?._def.meta;
}

/**
 * Rewrites what trpc-to-openapi writes: its error body becomes the contract's
 * `{error, code, details?}`, 205 answers carry no body, and a GET whose ETag
 * matches If-None-Match answers 304.
 */
function shapeResponse(req: IncomingMessage, res: ServerResponse): void {
  const end = res.end.bind(res) as (chunk?: unknown) => ServerResponse;
  res.end = ((chunk?: unknown) => {
    if (res.headersSent) return end(chunk);
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    if (res.statusCode >= 400 && typeof chunk === 'string') {
      const { status, body, retryAfter, wwwAuthenticate } = contractError(chunk);
      res.statusCode = status;
      if (retryAfter) res.setHeader('Retry-After', String(retryAfter));
      if (wwwAuthenticate) res.setHeader('WWW-Authenticate', wwwAuthenticate);
      return end(JSON.stringify(body));
    }
    if (res.statusCode === 205) {
      res.removeHeader('Content-Type');
      res.setHeader('Content-Length', '0');
      return end();
    }
    const etag = res.getHeader('ETag');
    if (req.method === 'GET' && typeof etag === 'string' && ifNoneMatch(req, etag)) {
      res.statusCode = 304;
      res.removeHeader('Content-Type');
      return end();
    }
    return end(chunk);
  }) as typeof res.end;
}

function ifNoneMatch(req: IncomingMessage, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (typeof header !== 'string') return false;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag || tag.trim() === '*');
}

interface TrpcOpenApiErrorBody {
  message?: string;
  code?: string;
  data?: { appCode?: string; details?: TErrorBody['details']; conflicts?: TErrorBody['conflicts']; retryAfter?: number; errors?: unknown[]; wwwAuthenticate?: string };
}

function contractError(raw: string): { status: number; body: TErrorBody; retryAfter?: number; wwwAuthenticate?: string } {
  let parsed: TrpcOpenApiErrorBody = {};
  try {
    parsed = JSON.parse(raw) as TrpcOpenApiErrorBody;
  } catch {
    // fall through to a generic internal error
  }
  const appCode = parsed.data?.appCode;
  const code: TErrorCode = (ERROR_CODES as readonly string[]).includes(appCode ?? '')
    ? (appCode as TErrorCode)
    : fromTrpcCode(parsed.code);
  const first = parsed.data?.details?.[0];
  // trpc-to-openapi replaces the message of input errors with a generic one; name the first problem instead.
  const message = parsed.message === 'Input validation failed' && first ? `${first.path}: ${first.message}` : parsed.message;
  const body: TErrorBody = { error: message ?? 'Internal server error', code };
  if (code === 'INTERNAL_ERROR') body.error = 'Internal server error';
  if (parsed.data?.details) body.details = parsed.data.details;
  if (parsed.data?.conflicts) body.conflicts = parsed.data.conflicts;
  if (parsed.data?.errors) Object.assign(body, { created_events: [], errors: parsed.data.errors });
  const retryAfter = parsed.data?.retryAfter;
  const wwwAuthenticate = parsed.data?.wwwAuthenticate ?? (code === 'UNAUTHORIZED' ? 'Bearer realm="api"' : undefined);
  return { status: ERROR_STATUS[code], body, ...(retryAfter ? { retryAfter } : {}), ...(wwwAuthenticate ? { wwwAuthenticate } : {}) };
}

/** Errors raised by trpc-to-openapi itself (before any procedure ran). */
function fromTrpcCode(code: string | undefined): TErrorCode {
  switch (code) {
    case 'NOT_FOUND':
      return 'NOT_FOUND';
    case 'PAYLOAD_TOO_LARGE':
      return 'PAYLOAD_TOO_LARGE';
    case 'UNSUPPORTED_MEDIA_TYPE':
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 'BAD_REQUEST':
    case 'PARSE_ERROR':
      return 'VALIDATION_ERROR';
    case 'UNAUTHORIZED':
      return 'UNAUTHORIZED';
    default:
      return 'INTERNAL_ERROR';
  }
}

export { sendJson };
