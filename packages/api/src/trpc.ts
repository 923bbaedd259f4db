import { initTRPC, TRPCError } from '@trpc/server';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import type { OpenApiMeta } from 'trpc-to-openapi';
import type { Context } from './context.ts';
import { AppError, challengeOf, toAppError, TRPC_CODE } from './errors.ts';
import { authenticate } from './services/auth/authenticate.ts';

/** HTTP statuses of the contract's error answers that an operation can give. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 410 | 412 | 429;

/**
 * OpenAPI routing plus the REST success status when it is not 200, and the
 * error answers the operation really gives (documented in /openapi.json;
 * 413 and 415 are added to every operation that reads a body).
 */
export type ProcedureMeta = OpenApiMeta & {
  status?: 201 | 202 | 205;
  errors?: readonly ErrorStatus[];
  /** REST reads the body as text of this media type (415 for any other) into one input field. */
  textBody?: { mediaType: 'text/calendar'; field: string };
  /**
   * REST answers with the text of the output's `field` in this media type (not JSON), with the
   * output's `etag` as ETag; a null text (the request's If-None-Match matched) is a 304.
   */
  textResponse?: { mediaType: 'text/calendar'; field: string; cacheControl: string };
};

const t = initTRPC
  .context<Context>()
  .meta<ProcedureMeta>()
  .create({
    errorFormatter({ shape, error }) {
      const app = toAppError(error, error.code);
      // An AppError that reached tRPC without the middleware below (one thrown by a subscription's
      // stream after it started) keeps its own code rather than INTERNAL_SERVER_ERROR.
      const code = shape.data.code === 'INTERNAL_SERVER_ERROR' && app.code !== 'INTERNAL_ERROR' ? TRPC_CODE[app.code] : shape.data.code;
      return {
        ...shape,
        code: TRPC_ERROR_CODES_BY_KEY[code],
        message: app.message,
        data: {
          code,
          httpStatus: app.status,
          path: shape.data.path,
          appCode: app.code,
          ...(app.extra.details ? { details: app.extra.details } : {}),
          ...(app.extra.conflicts ? { conflicts: app.extra.conflicts } : {}),
          ...(app.extra.retryAfter ? { retryAfter: app.extra.retryAfter } : {}),
          ...(app.extra.errors ? { errors: app.extra.errors } : {}),
          ...(app.status === 401 ? { wwwAuthenticate: challengeOf(app) } : {}),
        },
      };
    },
  });

/** Domain code throws AppError; tRPC needs a TRPCError with the matching code. */
const asTrpcError = (app: AppError) => new TRPCError({ code: TRPC_CODE[app.code], message: app.message, cause: app });

/**
 * The TRPCError for a failure with a domain meaning: an AppError, or a
 * database that went away (a 503 on every transport, not an internal error);
 * undefined for anything else (tRPC reports it as it is).
 */
function domainError(cause: unknown): TRPCError | undefined {
  if (cause instanceof AppError) return asTrpcError(cause);
  const unavailable = toAppError(cause);
  return unavailable.code === 'SERVICE_UNAVAILABLE' ? asTrpcError(unavailable) : undefined;
}

/** A procedure's outcome with domain failures turned into their TRPCErrors. */
function translated<R extends { ok: true } | { ok: false; error: TRPCError }>(result: R): R {
  if (!result.ok) {
    const error = domainError(result.error.cause);
    if (error) throw error;
  }
  return result;
}

/** Runs a middleware's own checks, throwing their domain failures as TRPCErrors. */
async function checking<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw domainError(error) ?? error;
  }
}

/** PostgreSQL text cannot hold NUL characters; refuse them up front as bad input. */
function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 32 || value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([key, item]) => key.includes('\u0000') || containsNul(item, depth + 1));
}

async function refuseNul(getRawInput: () => Promise<unknown>): Promise<void> {
  if (containsNul(await getRawInput())) {
    throw new AppError('VALIDATION_ERROR', 'Text may not contain NUL characters', {
      details: [{ path: '(body)', message: 'contains a NUL character' }],
    });
  }
}

export const router = t.router;
/*
 * Each procedure has one middleware of ours doing all of it (NUL characters
 * refused, the caller authenticated, domain errors translated): tRPC copies
 * a call's options twice per middleware level, a cost on every request.
 */
export const publicProcedure = t.procedure.use(async ({ getRawInput, next }) => {
  await checking(() => refuseNul(getRawInput));
  return translated(await next());
});

/** Guarantees `ctx.user`: a valid access token whose session is live. The context type narrows to a non-null user. */
export const authedProcedure = t.procedure.use(async ({ ctx, getRawInput, next }) => {
  const user = await checking(async () => {
    await refuseNul(getRawInput);
    const outcome = await authenticate(ctx.deps, ctx.token);
    if (!outcome.ok) throw outcome.error;
    return outcome.user;
  });
  return translated(await next({ ctx: { user } }));
});
