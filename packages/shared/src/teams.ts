import { z } from 'zod';
import { caseInsensitiveEnum, ZDateTime, ZGrantableRole, ZId } from './common.ts';

export const TEAM_ROLES = ['ADMIN', 'MEMBER'] as const;
export type TTeamRole = (typeof TEAM_ROLES)[number];

/** A member's role in a team (case-insensitive on input). */
export const ZTeamRoleInput = caseInsensitiveEnum(TEAM_ROLES, (v) => v.toUpperCase(), { error: 'must be ADMIN or MEMBER' });

const ZTeamName = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').describe('1–100 characters');

export const ZCreateTeamInput = z.object({ name: ZTeamName });
export type TCreateTeamInput = z.infer<typeof ZCreateTeamInput>;

export const ZTeamMember = z.object({ user_id: z.number().int(), username: z.string(), role: z.enum(TEAM_ROLES) });
export type TTeamMember = z.infer<typeof ZTeamMember>;

export const ZTeam = z
  .object({ id: z.number().int(), name: z.string(), members: z.array(ZTeamMember), created_at: ZDateTime })
  .meta({ id: 'Team' });
export type TTeam = z.infer<typeof ZTeam>;

export const ZTeamList = z.array(ZTeam);

export const ZTeamIdInput = z.object({ id: ZId });

/** `user_id` or `username` names the user; adding someone who is already a member changes their role. */
export const ZAddTeamMemberInput = z.object({
  id: ZId,
  user_id: ZId.optional(),
  username: z.string().min(1).max(150).optional(),
  role: ZTeamRoleInput.optional().describe('ADMIN or MEMBER; default MEMBER for a new member, unchanged for an existing one'),
});
export type TAddTeamMemberInput = z.infer<typeof ZAddTeamMemberInput>;

export const ZTeamMemberTargetInput = z.object({ id: ZId, user_id: ZId });

/** A grant of a role on an event to a team (in a share request). */
export const ZTeamShareTarget = z.object({ team_id: ZId, role: ZGrantableRole });

/** A team's grant on an event, as the permissions listing shows it. */
export const ZEventTeamGrant = z.object({ team_id: z.number().int(), name: z.string(), role: z.enum(['EDITOR', 'VIEWER']) });

export const ZEventTeamTargetInput = z.object({ id: ZId, team_id: ZId });
