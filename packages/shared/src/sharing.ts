import { z } from 'zod';
import { ZDateTime, ZGrantableRole, ZId, ZRole } from './common.ts';
import { ZPermission, ZRsvpStatus } from './events.ts';
import { ZEventTeamGrant, ZTeamShareTarget } from './teams.ts';

const ZShareTarget = z
  .object({
    user_id: ZId.optional(),
    username: z.string().min(1).max(150).optional(),
    role: ZGrantableRole,
  })
  .refine((t) => t.user_id !== undefined || t.username !== undefined, {
    message: 'user_id or username is required',
    path: ['user_id'],
  });

/** Seed 001's `{"users":[...]}` or seed 000's single `{"user_id","role"}`; `teams` grants to teams, with or without users. */
export const ZShareInput = z.object({
  id: ZId,
  users: z.array(ZShareTarget).min(1).max(100).optional(),
  teams: z.array(ZTeamShareTarget).min(1).max(100).optional().describe('Teams to grant a role to; the caller must be a member of each'),
  user_id: ZId.optional(),
  username: z.string().min(1).max(150).optional(),
  role: ZGrantableRole.optional(),
});
export type TShareInput = z.infer<typeof ZShareInput>;

export const ZShareResult = z.object({ message: z.string(), permissions: z.array(ZPermission) });

export const ZParticipant = ZPermission.extend({ granted_at: ZDateTime, rsvp: ZRsvpStatus });
export const ZParticipants = z.object({
  participants: z
    .array(ZParticipant)
    .describe('Everyone with access, with their effective role (their own grant or a team’s, the highest)'),
  teams: z.array(ZEventTeamGrant).describe('Teams the event is shared with'),
});

export const ZPermissionTargetInput = z.object({ id: ZId, user_id: ZId });
export const ZUpdatePermissionInput = ZPermissionTargetInput.extend({ role: ZGrantableRole });
export const ZUpdatePermissionResult = z.object({ message: z.string(), user_id: z.number().int(), role: ZRole });
