import { ZAddTeamMemberInput, ZCreateTeamInput, ZMessage, ZTeam, ZTeamIdInput, ZTeamList, ZTeamMemberTargetInput } from '@scheduler/shared';
import { z } from 'zod';
import { serviceDeps } from '../context.ts';
import * as teams from '../services/teams.ts';
import { authedProcedure, router } from '../trpc.ts';

export const teamsRouter = router({
  create: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/teams',
        tags: ['teams'],
        summary: 'Create a team (you are its admin)',
        protect: true,
        successDescription: 'Created',
      },
      status: 201,
      errors: [400, 401],
    })
    .input(ZCreateTeamInput)
    .output(ZTeam)
    .mutation(({ ctx, input }) => teams.createTeam(serviceDeps(ctx), ctx.user, input)),

  list: authedProcedure
    .meta({
      openapi: { method: 'GET', path: '/teams', tags: ['teams'], summary: 'The teams I am a member of', protect: true },
      errors: [401],
    })
    .input(z.object({}))
    .output(ZTeamList)
    .query(({ ctx }) => teams.listTeams(ctx.db, ctx.user)),

  get: authedProcedure
    .meta({
      openapi: { method: 'GET', path: '/teams/{id}', tags: ['teams'], summary: 'One team (members only)', protect: true },
      errors: [400, 401, 404],
    })
    .input(ZTeamIdInput)
    .output(ZTeam)
    .query(({ ctx, input }) => teams.getTeam(ctx.db, ctx.user, input.id)),

  addMember: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/teams/{id}/members',
        tags: ['teams'],
        summary: 'Add a member, or change a member’s role (admins)',
        description: 'The team’s events reach a new member at once. The last admin cannot be demoted (400).',
        protect: true,
      },
      errors: [400, 401, 403, 404],
    })
    .input(ZAddTeamMemberInput)
    .output(ZTeam)
    .mutation(({ ctx, input }) => teams.addMember(serviceDeps(ctx), ctx.user, input)),

  removeMember: authedProcedure
    .meta({
      openapi: {
        method: 'DELETE',
        path: '/teams/{id}/members/{user_id}',
        tags: ['teams'],
        summary: 'Remove a member (admins), or leave',
        description: 'Access through the team ends unless another grant remains. The last admin cannot leave or be removed (400).',
        protect: true,
      },
      errors: [400, 401, 403, 404],
    })
    .input(ZTeamMemberTargetInput)
    .output(ZTeam)
    .mutation(({ ctx, input }) => teams.removeMember(serviceDeps(ctx), ctx.user, input)),

  delete: authedProcedure
    .meta({
      openapi: { method: 'DELETE', path: '/teams/{id}', tags: ['teams'], summary: 'Delete a team and its grants (admins)', protect: true },
      errors: [400, 401, 403, 404],
    })
    .input(ZTeamIdInput)
    .output(ZMessage)
    .mutation(({ ctx, input }) => teams.deleteTeam(serviceDeps(ctx), ctx.user, input.id)),
});
