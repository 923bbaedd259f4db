import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AnyProcedure } from '@trpc/server';
import {
  getErrorShape,
  getHTTPStatusCode,
  getTRPCErrorFromUnknown,
  transformTRPCResponse,
  type TRPCError,
} from '@trpc/server/unstable-core-do-not-import';
import { createContextFactory } from '../context.ts';
import type { AppDeps } from '../deps.ts';
import { errorHeaders, toAppError } from '../errors.ts';
import type { AppRouter } from '../routers/root.ts';
import { invokeProcedure } from './invoke-procedure.ts';
import { logUnexpectedTrpcError } from './request-context.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/** A plain query answers at once; no procedure of ours watches the request's signal, so one unaborted signal serves them all. */
const NEVER_ABORTED = new AbortController().signal;

/**
 * tRPC's HTTP protocol for the common case, without building a Fetch Request
 * and Response per call: a GET of one query or a batch of queries
 * (`/trpc/a.b,c.d?batch=1&input=...`), answered with the same bytes, status
 * and headers as `createHTTPHandler` (same error shapes through the router's
 * formatter, 207 for a mixed batch). Anything else (mutations, subscriptions,
 * streaming batches, connection params, unknown paths, an input that is not
 * JSON) goes to the standard handler, which answers it as before.
 */
/** Headers for an answer, from its errors (the standard handler's `responseMeta`). */
type ResponseMeta = (opts: { errors: TRPCError[] }) => { headers?: Record<string, string> };

/** A 401 carries its Bearer challenge, a 429 its Retry-After (the first error of a batch decides). */
export const trpcResponseMeta: ResponseMeta = ({ errors }) =>
  errors[0] ? { headers: errorHeaders(toAppError(errors[0], errors[0].code)) } : {};

export function createTrpcQueryPath(
  deps: AppDeps,
  appRouter: AppRouter,
  standard: Handler,
  responseMeta: ResponseMeta,
): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  const config = appRouter._def._config;
  const procedures = appRouter._def.procedures as unknown as Record<string, AnyProcedure | undefined>;
  const createContext = createContextFactory(deps);

  return async (req, res, url) => {
    const calls = plainQueries(req, url, procedures);
    if (!calls) return standard(req, res);
    const { isBatchCall, paths, inputs } = calls;
    const ctx = await createContext({
      req,
      res,
      info: { isBatchCall, accept: null, calls: [], type: 'query', connectionParams: null, signal: NEVER_ABORTED, url },
    });
    const results = await Promise.all(
      paths.map(async (path, index): Promise<[TRPCError, undefined] | [undefined, unknown]> => {
        try {
          const data: unknown = await invokeProcedure(procedures[path]!, {
            path,
            getRawInput: async () => inputs[index],
            ctx,
            type: 'query',
            signal: undefined,
            batchIndex: index,
          });
          return [undefined, data];
        } catch (cause) {
          const error = getTRPCErrorFromUnknown(cause);
          logUnexpectedTrpcError(deps.logger, req, error, path);
          return [error, undefined];
        }
      }),
    );
    const json = results.map(([error, data], index) =>
      error
        ? { error: getErrorShape({ config, ctx, error, input: inputs[index], path: paths[index]!, type: 'query' }) }
        : { result: { data } },
    );
    const errors = results.map(([error]) => error);
    const untransformed = isBatchCall ? json : json[0]!;
    const status = getHTTPStatusCode(untransformed, errors);
    const body = JSON.stringify(transformTRPCResponse(config, untransformed as never));
    const meta = responseMeta({ errors: errors.filter((error): error is TRPCError => error !== undefined) });
    res.writeHead(status, {
      vary: 'trpc-accept, accept',
      'content-type': 'application/json',
      ...meta.headers,
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  };
}

interface PlainQueries {
  isBatchCall: boolean;
  paths: string[];
  inputs: unknown[];
}

/** The calls of a plain GET of queries, or undefined when the standard handler should answer. */
function plainQueries(req: IncomingMessage, url: URL, procedures: Record<string, AnyProcedure | undefined>): PlainQueries | undefined {
  if (req.method !== 'GET' || req.headers['trpc-accept'] !== undefined || url.searchParams.has('connectionParams')) return undefined;
  let pathText: string;
  try {
    pathText = decodeURIComponent(url.pathname.slice('/trpc/'.length));
  } catch {
    return undefined;
  }
  const isBatchCall = url.searchParams.get('batch') === '1';
  const paths = isBatchCall ? pathText.split(',') : [pathText];
  for (const path of paths) {
    // Own properties only: a path such as "constructor" is the standard handler's 404.
    if (!Object.hasOwn(procedures, path) || procedures[path]?._def.type !== 'query') return undefined;
  }
  const text = url.searchParams.get('input');
  let parsed: unknown;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      return undefined;
    }
  }
  if (!isBatchCall) return { isBatchCall, paths, inputs: [parsed] };
  if (parsed === undefined) return { isBatchCall, paths, inputs: paths.map(() => undefined) };
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const record = parsed as Record<string, unknown>;
  return { isBatchCall, paths, inputs: paths.map((_, index) => (Object.hasOwn(record, index) ? record[index] : undefined)) };
}
