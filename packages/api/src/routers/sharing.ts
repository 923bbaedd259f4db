import {
  ZEventIdInput,
  ZEventTeamTargetInput,
  ZMessage,
  ZParticipants,
  ZPermissionTargetInput,
  ZShareInput,
  ZShareResult,
  ZUpdatePermissionInput,
  ZUpdatePermissionResult,
} from '@scheduler/shared';
import * as sharing from '../services/events/sharing.ts';
import { serviceDeps } from '../context.ts';
import { authedProcedure, router } from '../trpc.ts';

export const sharingRouter = router({
  share: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/events/{id}/share',
        tags: ['sharing'],
        summary: 'Share an event with users or teams (or change a role by sharing again)',
        protect: true,
      },
      errors: [400, 401, 403, 404],
    })
    .input(ZShareInput)
    .output(ZShareResult)
    .mutation(({ ctx, input }) => sharing.shareEvent(serviceDeps(ctx), ctx.user, input)),

  list: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/events/{id}/permissions',
        tags: ['sharing'],
        summary: 'Everyone with access to an event',
        protect: true,
      },
      errors: [400, 401, 404],
    })
    .input(ZEventIdInput)
    .output(ZParticipants)
    .query(({ ctx, input }) => sharing.listParticipants(ctx.db, ctx.user, input.id)),

  update: authedProcedure
    .meta({
      openapi: {
        method: 'PUT',
        path: '/events/{id}/permissions/{user_id}',
        tags: ['sharing'],
        summary: 'Change a user’s role',
        protect: true,
      },
      errors: [400, 401, 403, 404],
    })
    .input(ZUpdatePermissionInput)
    .output(ZUpdatePermissionResult)
    .mutation(({ ctx, input }) => sharing.updatePermission(serviceDeps(ctx), ctx.user, input)),

  remove: authedProcedure
    .meta({
      openapi: {
        method: 'DELETE',
        path: '/events/{id}/permissions/{user_id}',
        tags: ['sharing'],
        summary: 'Remove a user (or leave)',
        protect: true,
      },
      errors: [400, 401, 403, 404],
    })
    .input(ZPermissionTargetInput)
    .output(ZMessage)
    .mutation(({ ctx, input }) => sharing.removePermission(serviceDeps(ctx), ctx.user, input)),

  removeTeam: authedProcedure
    .meta({
      openapi: {
        method: 'DELETE',
        path: '/events/{id}/teams/{team_id}',
        tags: ['sharing'],
        summary: 'Remove a team’s grant',
        description: 'Its members keep what their own grants or other teams give them.',
        protect: true,
      },
      errors: [400, 401, 403, 404],
    })
    .input(ZEventTeamTargetInput)
    .output(ZMessage)
    .mutation(({ ctx, input }) => sharing.removeTeamGrant(serviceDeps(ctx), ctx.user, input)),
});
