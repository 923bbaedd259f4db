import { ZApiTokenIdInput, ZApiTokenList, ZCreateApiTokenInput, ZCreatedApiToken, ZListApiTokensInput, ZMessage } from '@scheduler/shared';
import { createApiToken, listApiTokens, revokeApiToken } from '../services/auth/api-tokens.ts';
import { serviceDeps } from '../context.ts';
import { authedProcedure, router } from '../trpc.ts';

const MANAGE_NOTE = 'Requests made with an API token may not manage tokens (403): sign in with your password.';

export const tokensRouter = router({
  create: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/tokens',
        tags: ['tokens'],
        summary: 'Create an API token',
        description: `A long-lived bearer token for scripts and integrations, shown in this answer only (only its hash is stored). \`access: "read"\` never writes; \`tags\` (events carrying one of them) and \`event_ids\` narrow the events that exist for it. It never does more than you may. At most 50 active tokens. ${MANAGE_NOTE}`,
        protect: true,
        successDescription: 'Created',
      },
      status: 201,
      errors: [400, 401, 403, 409],
    })
    .input(ZCreateApiTokenInput)
    .output(ZCreatedApiToken)
    .mutation(({ ctx, input }) => createApiToken(serviceDeps(ctx), ctx.user, input)),

  list: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/tokens',
        tags: ['tokens'],
        summary: 'My API tokens (without the tokens themselves)',
        description: `Tokens not revoked, expired ones included, newest first. ${MANAGE_NOTE}`,
        protect: true,
      },
      errors: [401, 403],
    })
    .input(ZListApiTokensInput)
    .output(ZApiTokenList)
    .query(({ ctx }) => listApiTokens(ctx.db, ctx.deps.apiTokens, ctx.user)),

  revoke: authedProcedure
    .meta({
      openapi: {
        method: 'DELETE',
        path: '/tokens/{id}',
        tags: ['tokens'],
        summary: 'Revoke an API token',
        description: `Refused (401) from then on, on every instance. ${MANAGE_NOTE}`,
        protect: true,
      },
      errors: [400, 401, 403, 404],
    })
    .input(ZApiTokenIdInput)
    .output(ZMessage)
    .mutation(({ ctx, input }) => revokeApiToken(serviceDeps(ctx), ctx.deps.apiTokens, ctx.user, input.id)),
});
