import type { Database } from '@scheduler/db';
import type { Kysely, Transaction } from 'kysely';

type AuditAction =
  | 'register'
  | 'login'
  | 'login_failed'
  | 'refresh'
  | 'logout'
  | 'event.create'
  | 'event.update'
  | 'event.delete'
  | 'event.batch'
  | 'share'
  | 'permission.update'
  | 'permission.remove'
  | 'rollback'
  | 'collab.edit'
  | 'share.team'
  | 'permission.team_remove'
  | 'team.create'
  | 'team.delete'
  | 'team.member_add'
  | 'team.member_remove'
  | 'team.member_update'
  | 'invitation.create'
  | 'invitation.accept'
  | 'invitation.decline'
  | 'invitation.cancel'
  | 'rsvp'
  | 'token.create'
  | 'token.revoke'
  | 'webhook.create'
  | 'webhook.delete'
  | 'event.import'
  | 'calendar.feed_create'
  | 'calendar.feed_rotate'
  | 'calendar.feed_delete';

/** Who asked and from where; carried from the request into every audit row. */
export interface RequestMeta {
  requestId: string;
  ip: string | null;
}

export interface AuditEntry {
  userId: number | null;
  action: AuditAction;
  targetType?: 'user' | 'event' | 'session' | 'team' | 'invitation' | 'api_token' | 'webhook' | undefined;
  targetId?: string | number | undefined;
}

/** Appends one audit row; call it inside the transaction of the change it records. */
export async function audit(db: Kysely<Database> | Transaction<Database>, meta: RequestMeta, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      user_id: entry.userId,
      action: entry.action,
      target_type: entry.targetType ?? null,
      target_id: entry.targetId === undefined ? null : String(entry.targetId),
      request_id: meta.requestId,
      ip: meta.ip,
    })
    .execute();
}
