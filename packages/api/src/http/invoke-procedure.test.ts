import { initTRPC, TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { invokeProcedure } from './invoke-procedure.ts';

const t = initTRPC.context<{ userId: number | null }>().create();

const signedIn = t.procedure.use(({ ctx, next }) => {
  if (ctx.userId === null) throw new TRPCError({ code: 'UNAUTHORIZED' });
  return next({ ctx: { userId: ctx.userId, via: 'middleware' } });
});

const router = t.router({
  /** Returns more than its output schema names: the check strips the rest. */
  profile: signedIn
    .input(z.object({ name: z.string() }))
    .output(z.object({ name: z.string(), userId: z.number(), via: z.string() }))
    .query(({ ctx, input }) => ({ name: input.name, userId: ctx.userId, via: ctx.via, secret: 'hash' })),
  /** Returns what its output schema refuses. */
  broken: t.procedure.output(z.object({ count: z.number() })).query(() => ({ count: 'many' }) as unknown as { count: number }),
  /** No output check: what it returns is answered as it is. */
  unchecked: t.procedure.query(() => ({ a: 1, extra: true })),
});

const call = (procedure: Parameters<typeof invokeProcedure>[0], ctx: object, input?: unknown) =>
  invokeProcedure(procedure, { ctx, path: 'test', type: 'query', getRawInput: async () => input, signal: undefined, batchIndex: 0 });

const caller = (ctx: { userId: number | null }) => t.createCallerFactory(router)(ctx);

describe('invokeProcedure', () => {
  it('answers what the procedure returns, checked and stripped by its output schema, as tRPC’s caller does', async () => {
    const direct = await call(router.profile, { userId: 7 }, { name: 'Ada' });
    expect(direct).toEqual({ name: 'Ada', userId: 7, via: 'middleware' });
    expect(direct).toEqual(await caller({ userId: 7 }).profile({ name: 'Ada' }));
  });

  it('fails as tRPC fails when the output does not match its schema', async () => {
    const failure = await call(router.broken, { userId: null }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TRPCError);
    expect(failure).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', message: 'Output validation failed' });
    await expect(caller({ userId: null }).broken()).rejects.toMatchObject({
      code: 'INTERNAL_SERVER_ERROR',
      message: 'Output validation failed',
    });
  });

  it('passes a middleware’s error and a bad input through unchanged', async () => {
    await expect(call(router.profile, { userId: null }, { name: 'Ada' })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(call(router.profile, { userId: 7 }, { name: 42 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('answers a procedure without an output check with what it returns', async () => {
    expect(await call(router.unchecked, {})).toEqual({ a: 1, extra: true });
    expect(await call(router.unchecked, {})).toEqual(await caller({ userId: null }).unchecked());
  });
});
