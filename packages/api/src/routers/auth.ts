import {
  ZAuthResult,
  ZLoginInput,
  ZLoginResult,
  ZRefreshInput,
  ZRegisterInput,
  ZTokenPair,
  ZUser,
  ZUserSearchInput,
  ZUserSearchResult,
} from '@scheduler/shared';
import { z } from 'zod';
import * as auth from '../services/auth/auth-service.ts';
import { searchUsers } from '../services/users.ts';
import type { Context } from '../context.ts';
import { authedProcedure, publicProcedure, router } from '../trpc.ts';

const authDeps = ({ db, deps }: Context): auth.AuthDeps => ({
  db,
  tokens: deps.tokens,
  sessions: deps.sessions,
  loginLimiter: deps.loginLimiter,
  refreshTtlSeconds: deps.config.jwt.refreshTtl,
});

export const authRouter = router({
  register: publicProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/auth/register',
        protect: false,
        tags: ['auth'],
        summary: 'Create an account and sign in',
        successDescription: 'Created',
      },
      status: 201,
      errors: [400, 409],
    })
    .input(ZRegisterInput)
    .output(ZAuthResult)
    .mutation(({ ctx, input }) => auth.register(authDeps(ctx), input, ctx.meta)),

  login: publicProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/auth/login',
        protect: false,
        tags: ['auth'],
        summary: 'Sign in with username (or email) and password',
        description:
          'JSON `{username, password}` answers `{access, refresh, user}`. An OAuth2 password form (`application/x-www-form-urlencoded`, `grant_type=password`) answers `{access_token, token_type, expires_in, refresh_token}`.',
        contentTypes: ['application/json', 'application/x-www-form-urlencoded'],
      },
      errors: [400, 401, 429],
    })
    .input(ZLoginInput)
    .output(ZLoginResult)
    .mutation(async ({ ctx, input }) => {
      const result = await auth.login(authDeps(ctx), input, ctx.meta);
      if (input.grant_type !== 'password') return result;
      return {
        access_token: result.access,
        token_type: 'bearer' as const,
        expires_in: ctx.deps.tokens.accessTtl,
        refresh_token: result.refresh,
      };
    }),

  refresh: publicProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/auth/refresh',
        protect: false,
        tags: ['auth'],
        summary: 'Rotate a refresh token for a new token pair',
      },
      errors: [400, 401],
    })
    .input(ZRefreshInput)
    .output(ZTokenPair)
    .mutation(({ ctx, input }) => auth.refresh(authDeps(ctx), input.refresh, ctx.meta)),

  logout: publicProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/auth/logout',
        protect: false,
        tags: ['auth'],
        summary: 'End the session of a refresh token',
        successDescription: 'Reset Content (empty body)',
      },
      status: 205,
      errors: [400, 401],
    })
    .input(ZRefreshInput)
    .output(z.null())
    .mutation(async ({ ctx, input }) => {
      await auth.logout(authDeps(ctx), input.refresh, ctx.meta);
      return null;
    }),

  me: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/auth/me', tags: ['auth'], summary: 'The signed-in user', protect: true }, errors: [401] })
    .input(z.object({}))
    .output(ZUser)
    .query(({ ctx }) => auth.toUser(ctx.user)),
});

export const usersRouter = router({
  search: authedProcedure
    .meta({
      openapi: { method: 'GET', path: '/users', tags: ['users'], summary: 'Find people to share with by username prefix', protect: true },
      errors: [400, 401],
    })
    .input(ZUserSearchInput)
    .output(ZUserSearchResult)
    .query(({ ctx, input }) => searchUsers(ctx.db, input.search, ctx.user.id)),
});
