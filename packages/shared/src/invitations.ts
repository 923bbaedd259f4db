import { z } from 'zod';
import { caseInsensitiveEnum, ZDateTime, ZGrantableRole, ZId, ZUserRef } from './common.ts';
import { RSVP_RESPONSES, ZEvent } from './events.ts';

export const INVITATION_STATUSES = ['pending', 'accepted', 'declined', 'cancelled'] as const;
export type TInvitationStatus = (typeof INVITATION_STATUSES)[number];

/** An invitation as its invitee, its inviter and the event's owner see it: the event's title only, never the event. */
export const ZInvitation = z
  .object({
    id: z.number().int(),
    event_id: z.number().int(),
    event_title: z.string(),
    role: z.enum(['EDITOR', 'VIEWER']).describe('The role accepting grants'),
    status: z.enum(INVITATION_STATUSES),
    message: z.string().nullable().describe('A note from the inviter'),
    inviter: ZUserRef,
    invitee: ZUserRef,
    created_at: ZDateTime,
    responded_at: ZDateTime.nullable().describe('When it stopped being pending (accepted, declined or cancelled)'),
  })
  .meta({ id: 'Invitation' });
export type TInvitation = z.infer<typeof ZInvitation>;

export const ZCreateInvitationInput = z
  .object({
    id: ZId,
    user_id: ZId.optional().describe('Who is invited (or username)'),
    username: z.string().min(1).max(150).optional().describe('Who is invited (or user_id)'),
    role: ZGrantableRole.describe('The role accepting grants: EDITOR or VIEWER (case-insensitive)'),
    message: z.string().max(2000).optional().describe('A note for the invitee (at most 2,000 characters)'),
  })
  .refine((input) => input.user_id !== undefined || input.username !== undefined, {
    message: 'user_id or username is required',
    path: ['user_id'],
  });
export type TCreateInvitationInput = z.infer<typeof ZCreateInvitationInput>;

export const ZInvitationResult = z.object({ invitation: ZInvitation });
export const ZInvitationList = z.array(ZInvitation);

export const ZListInvitationsInput = z.object({
  status: z
    .enum([...INVITATION_STATUSES, 'all'])
    .optional()
    .describe('Only invitations in this state (default pending); `all` for every one'),
});
export type TListInvitationsInput = z.infer<typeof ZListInvitationsInput>;

export const ZInvitationIdInput = z.object({ id: ZId.describe('The invitation’s id') });

export const ZInvitationAnswer = z.object({ message: z.string(), invitation: ZInvitation });
export const ZInvitationAccepted = ZInvitationAnswer.extend({ event: ZEvent.describe('The event, now readable with the granted role') });

export const ZRsvpInput = z.object({
  id: ZId,
  response: caseInsensitiveEnum(RSVP_RESPONSES, (v) => v.toLowerCase(), { error: 'must be accepted, declined or tentative' }),
});
export type TRsvpInput = z.infer<typeof ZRsvpInput>;
export const ZRsvpResult = z.object({ event_id: z.number().int(), user_id: z.number().int(), response: z.enum(RSVP_RESPONSES) });
