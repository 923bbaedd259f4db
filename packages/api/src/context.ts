import type { IncomingMessage } from 'node:http';
import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import { WebSocket } from 'ws';
import type { Database } from '@scheduler/db';
import type { Kysely } from 'kysely';
import type { AppDeps } from './deps.ts';
import { clientAddress, requestOrigin, type TrustProxy } from './http/client-address.ts';
import { assignRequestId } from './http/request-context.ts';
import type { RequestMeta } from './services/audit.ts';
import type { ServiceDeps } from './services/types.ts';

/**
 * What one request carries: its own facts (token, audit metadata, socket) and
 * a reference to the application's long-lived collaborators, never a copy of them.
 */
export interface Context {
  deps: AppDeps;
  db: Kysely<Database>;
  /** The bearer token presented, if any; resolved to a user by authedProcedure. */
  token: string | null;
  meta: RequestMeta;
  /** Scheme and host the client reached us by (or the configured public URL), for absolute URLs in answers. */
  origin: string;
  /** The request's If-None-Match header, for answers that can say "not modified" without being built. */
  ifNoneMatch: string | null;
  /** Set by the REST adapter: answers take their REST form (page links under basePath). */
  rest?: { basePath: string } | undefined;
  /** The WebSocket of a /trpc connection (closed with 4401 when its session ends). */
  connection?: { close(code: number, reason: string): void } | undefined;
}

export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/** The audit facts of a request: its id (the one the pipeline chose; see `assignRequestId`) and the client's address. */
export function requestMeta(req: IncomingMessage, trustProxy: TrustProxy): RequestMeta {
  return { requestId: assignRequestId(req), ip: clientAddress(req, trustProxy) };
}

/** One context factory for HTTP (REST and tRPC) and WebSocket connections. */
export function createContextFactory(deps: AppDeps) {
  return async (opts: { req: IncomingMessage; res?: unknown; info?: CreateHTTPContextOptions['info'] }): Promise<Context> => {
    const params = opts.info?.connectionParams;
    const fromParams = typeof params?.['token'] === 'string' ? params['token'] : null;
    const token = fromParams ?? bearerToken(opts.req.headers.authorization);
    const connection = opts.res instanceof WebSocket ? opts.res : undefined;
    const { config } = deps;
    const ifNoneMatch = opts.req.headers['if-none-match'];
    return {
      deps,
      db: deps.db,
      token,
      meta: requestMeta(opts.req, config.trustProxy),
      origin: requestOrigin(opts.req, config.trustProxy, config.publicUrl),
      ifNoneMatch: typeof ifNoneMatch === 'string' ? ifNoneMatch : null,
      connection,
    };
  };
}

/** What the domain's write functions need from a request. */
export const serviceDeps = (ctx: Context): ServiceDeps => ({ db: ctx.db, commits: ctx.deps.commits, meta: ctx.meta });
