import {
  ZCreateInvitationInput,
  ZEventIdInput,
  ZInvitationAccepted,
  ZInvitationAnswer,
  ZInvitationIdInput,
  ZInvitationList,
  ZInvitationResult,
  ZListInvitationsInput,
  ZMessage,
} from '@scheduler/shared';
import * as invitations from '../services/events/invitations.ts';
import { serviceDeps } from '../context.ts';
import { authedProcedure, router } from '../trpc.ts';

export const invitationsRouter = router({
  list: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/invitations',
        tags: ['invitations'],
        summary: 'Invitations addressed to me',
        description: 'Newest first; `status` picks pending (default), accepted, declined, cancelled or all.',
        protect: true,
      },
      errors: [400, 401],
    })
    .input(ZListInvitationsInput)
    .output(ZInvitationList)
    .query(({ ctx, input }) => invitations.listMyInvitations(ctx.db, ctx.user, input)),

  create: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/events/{id}/invitations',
        tags: ['invitations'],
        summary: 'Invite someone to an event (owner)',
        description:
          'The invitee gets the role only when they accept. Someone who already has access or a pending invitation: 409; yourself or an OWNER role: 400.',
        protect: true,
        successDescription: 'Created',
      },
      status: 201,
      errors: [400, 401, 403, 404, 409],
    })
    .input(ZCreateInvitationInput)
    .output(ZInvitationResult)
    .mutation(({ ctx, input }) => invitations.createInvitation(serviceDeps(ctx), ctx.user, input)),

  listForEvent: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/events/{id}/invitations',
        tags: ['invitations'],
        summary: 'Every invitation to an event (owner)',
        protect: true,
      },
      errors: [400, 401, 403, 404],
    })
    .input(ZEventIdInput)
    .output(ZInvitationList)
    .query(({ ctx, input }) => invitations.listEventInvitations(ctx.db, ctx.user, input.id)),

  accept: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/invitations/{id}/accept',
        tags: ['invitations'],
        summary: 'Accept an invitation (invitee)',
        description: 'Grants the invited role and sets my RSVP to accepted; answers the event. Not pending any more: 409.',
        protect: true,
      },
      errors: [400, 401, 403, 404, 409],
    })
    .input(ZInvitationIdInput)
    .output(ZInvitationAccepted)
    .mutation(({ ctx, input }) => invitations.acceptInvitation(serviceDeps(ctx), ctx.user, input.id)),

  decline: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/invitations/{id}/decline',
        tags: ['invitations'],
        summary: 'Decline an invitation (invitee)',
        protect: true,
      },
      errors: [400, 401, 403, 404, 409],
    })
    .input(ZInvitationIdInput)
    .output(ZInvitationAnswer)
    .mutation(({ ctx, input }) => invitations.declineInvitation(serviceDeps(ctx), ctx.user, input.id)),

  cancel: authedProcedure
    .meta({
      openapi: {
        method: 'DELETE',
        path: '/invitations/{id}',
        tags: ['invitations'],
        summary: 'Cancel a pending invitation (inviter or owner)',
        protect: true,
      },
      errors: [400, 401, 403, 404, 409],
    })
    .input(ZInvitationIdInput)
    .output(ZMessage)
    .mutation(({ ctx, input }) => invitations.cancelInvitation(serviceDeps(ctx), ctx.user, input.id)),
});
