import { z } from 'zod';
import { ZDateTime, ZId, ZRole, ZUserRef } from './common.ts';
import { RSVP_RESPONSES, ZEvent } from './events.ts';
import { ZInvitation } from './invitations.ts';

export const LIVE_MESSAGE_TYPES = [
  'event.created',
  'event.updated',
  'event.deleted',
  'event.rolled_back',
  'permission.granted',
  'permission.updated',
  'permission.revoked',
  'invitation.created',
  'invitation.accepted',
  'invitation.declined',
  'invitation.cancelled',
  'rsvp.updated',
  'event.reminder',
  'webhook.disabled',
] as const;
export type TLiveMessageType = (typeof LIVE_MESSAGE_TYPES)[number];

/**
 * One change as a collaborator receives it. `event` is the event after the change (not on event.deleted);
 * on event.reminder, the event as it is when the reminder is sent.
 */
export const ZLiveMessage = z
  .object({
    type: z.enum(LIVE_MESSAGE_TYPES),
    event_id: z.number().int().nullable().describe('The event the message is about; null for a notice about no event'),
    version_id: z.number().int().nullable(),
    actor: ZUserRef.nullable(),
    at: ZDateTime,
    event: ZEvent.optional(),
    user: ZUserRef.nullable().optional().describe('permission.*: the user whose access changed; rsvp.updated: who answered'),
    role: ZRole.nullable().optional().describe('permission.*: that user’s role after the change (null once revoked)'),
    my_role: ZRole.nullable().optional().describe('permission.*: the recipient’s own role now (null for the user who lost access)'),
    invitation: ZInvitation.optional().describe('invitation.*: the invitation after the change (sent to the invitee or the owner only)'),
    response: z.enum(RSVP_RESPONSES).optional().describe('rsvp.updated: the answer `user` gave'),
    occurrence_start: ZDateTime.optional().describe('event.reminder: the start of the occurrence the reminder is for'),
    minutes_before: z.number().int().optional().describe('event.reminder: how long before that start the reminder was due'),
    webhook: z.object({ id: z.number().int(), url: z.string() }).optional().describe('webhook.disabled: the hook switched off'),
    reason: z.string().optional().describe('webhook.disabled: why'),
  })
  .meta({ id: 'LiveMessage' });
export type TLiveMessage = z.infer<typeof ZLiveMessage>;

export const ZSubscribeInput = z.object({
  event_id: ZId.optional().describe('Only this event'),
  /** Set by tRPC's tracked() on reconnect: resume after this message id. */
  lastEventId: z.string().max(32).nullish(),
});

export const ZSyncInput = z.object({
  cursor: z.string().max(32).optional().describe('next_cursor of the previous answer; omit for a full snapshot'),
  limit: z.number().int().min(1).max(1000).optional().describe('At most this many changes (default 500)'),
});
export const ZSyncChange = z.object({
  event_id: z.number().int(),
  version_id: z.number().int().nullable(),
  type: z.enum(['upsert', 'removed']),
  event: ZEvent.optional(),
});
export const ZSyncResult = z.object({
  changes: z.array(ZSyncChange),
  next_cursor: z.string(),
  has_more: z.boolean(),
});
