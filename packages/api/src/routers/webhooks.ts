import {
  ZCreatedWebhook,
  ZCreateWebhookInput,
  ZMessage,
  ZPingResult,
  ZWebhook,
  ZWebhookDeliveries,
  ZWebhookIdInput,
  ZWebhookList,
} from '@scheduler/shared';
import { z } from 'zod';
import { serviceDeps } from '../context.ts';
import * as webhooks from '../services/webhooks.ts';
import { authedProcedure, router } from '../trpc.ts';

export const webhooksRouter = router({
  create: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/webhooks',
        tags: ['webhooks'],
        summary: 'Create a webhook',
        description:
          'Live messages are POSTed to `url`, signed the Standard Webhooks way with the `secret` answered here (shown this once). Private, loopback and link-local addresses are refused unless the server allows them.',
        protect: true,
        successDescription: 'Created',
      },
      status: 201,
      errors: [400, 401, 404, 409],
    })
    .input(ZCreateWebhookInput)
    .output(ZCreatedWebhook)
    .mutation(({ ctx, input }) =>
      webhooks.createWebhook({ ...serviceDeps(ctx), allowPrivate: ctx.deps.config.webhooks.allowPrivate }, ctx.user, input),
    ),

  list: authedProcedure
    .meta({
      openapi: { method: 'GET', path: '/webhooks', tags: ['webhooks'], summary: 'My webhooks (without their secrets)', protect: true },
      errors: [401],
    })
    .input(z.object({}))
    .output(ZWebhookList)
    .query(({ ctx }) => webhooks.listWebhooks(ctx.db, ctx.user)),

  get: authedProcedure
    .meta({
      openapi: { method: 'GET', path: '/webhooks/{id}', tags: ['webhooks'], summary: 'One of my webhooks', protect: true },
      errors: [400, 401, 404],
    })
    .input(ZWebhookIdInput)
    .output(ZWebhook)
    .query(({ ctx, input }) => webhooks.getWebhook(ctx.db, ctx.user, input.id)),

  delete: authedProcedure
    .meta({
      openapi: { method: 'DELETE', path: '/webhooks/{id}', tags: ['webhooks'], summary: 'Delete a webhook', protect: true },
      errors: [400, 401, 404],
    })
    .input(ZWebhookIdInput)
    .output(ZMessage)
    .mutation(({ ctx, input }) => webhooks.deleteWebhook(serviceDeps(ctx), ctx.user, input.id)),

  deliveries: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/webhooks/{id}/deliveries',
        tags: ['webhooks'],
        summary: 'The delivery log: each attempt, newest first',
        protect: true,
      },
      errors: [400, 401, 404],
    })
    .input(ZWebhookIdInput)
    .output(ZWebhookDeliveries)
    .query(({ ctx, input }) => webhooks.listDeliveries(ctx.db, ctx.user, input.id)),

  ping: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/webhooks/{id}/ping',
        tags: ['webhooks'],
        summary: 'Send {"type":"ping"} to the webhook',
        protect: true,
        successDescription: 'Accepted: the ping is queued',
      },
      status: 202,
      errors: [400, 401, 404],
    })
    .input(ZWebhookIdInput)
    .output(ZPingResult)
    .mutation(({ ctx, input }) => webhooks.pingWebhook(serviceDeps(ctx), ctx.user, input.id)),
});
