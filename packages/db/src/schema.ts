import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Json<T> = ColumnType<T, string, string>;

/** Role of a user on one event; exactly one OWNER per event. */
export type Role = 'OWNER' | 'EDITOR' | 'VIEWER';
/** `+` created, `~` changed (update, rollback, collaborative edit), `-` deleted. */
export type HistoryType = '+' | '~' | '-';

export interface UsersTable {
  id: Generated<number>;
  username: string;
  email: string;
  password_hash: string;
  created_at: CreatedAt;
}

export interface AuthSessionsTable {
  id: string;
  user_id: number;
  /** The jti of the only refresh token of this session that may still be used. */
  refresh_jti: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
  revoked_reason: string | null;
}

/** A recurrence pattern as the client sent it: a shorthand or RRULE string, or the object form. */
export type StoredPattern = string | { [key: string]: unknown };

/** Content fields shared by an event and each of its versions. */
export interface EventContent {
  title: string;
  description: string;
  start_time: Timestamp;
  end_time: Timestamp;
  location: string | null;
  timezone: string;
  is_recurring: boolean;
  /** The pattern exactly as the client sent it (string or object), JSON-encoded. */
  recurrence_pattern: Json<StoredPattern> | null;
  /** The normalized RFC 5545 rule, derived from recurrence_pattern. */
  rrule: string | null;
  /** End of the last occurrence (end_time when not recurring); null = repeats forever. */
  series_end: Timestamp | null;
  /** Normalized tags (lower case, no duplicates), in the order given. */
  tags: ColumnType<string[], string[] | undefined, string[]>;
  /** A JSON object the client owns, JSON-encoded on write. */
  metadata: ColumnType<Record<string, unknown>, string | undefined, string>;
  /** Minutes before each occurrence's start when a reminder is sent: distinct, ascending, JSON-encoded. */
  reminders: ColumnType<number[], string | undefined, string>;
}

export interface EventsTable extends EventContent {
  id: Generated<number>;
  owner_id: number;
  /** Generated `[start_time, series_end]` range serving window filters and conflict checks. */
  span: ColumnType<string, never, never>;
  version: number;
  created_at: CreatedAt;
  updated_at: Timestamp;
  deleted_at: Timestamp | null;
}

/**
 * Effective access: one row per user who may see the event. `role` is the
 * highest of `own_role` (the user's own grant; OWNER for the owner, null when
 * they are here only through a team) and their teams' grants. Written only
 * through the access module's `settleGrants`, or with own_role = role.
 */
export interface EventPermissionsTable {
  event_id: number;
  user_id: number;
  role: Role;
  own_role: Role | null;
  granted_at: CreatedAt;
  granted_by: number | null;
}

export type TeamRole = 'ADMIN' | 'MEMBER';
/** A role granted to a team on an event. */
export type TeamGrantRole = 'EDITOR' | 'VIEWER';

export interface TeamsTable {
  id: Generated<number>;
  name: string;
  created_at: CreatedAt;
  created_by: number | null;
}

export interface TeamMembersTable {
  team_id: number;
  user_id: number;
  role: TeamRole;
  joined_at: CreatedAt;
}

export interface EventTeamGrantsTable {
  event_id: number;
  team_id: number;
  role: TeamGrantRole;
  granted_at: CreatedAt;
  granted_by: number | null;
}

export interface EventVersionsTable extends EventContent {
  /** Global, only grows; seed 001's history_id. */
  version_id: Generated<number>;
  event_id: number;
  /** Per-event counter, 1 on create. */
  version: number;
  owner_id: number;
  history_type: HistoryType;
  changed_by: number | null;
  history_date: CreatedAt;
  change_reason: string | null;
}

export type ChangeType =
  | 'event.created'
  | 'event.updated'
  | 'event.deleted'
  | 'event.rolled_back'
  | 'permission.granted'
  | 'permission.updated'
  | 'permission.revoked'
  | 'invitation.created'
  | 'invitation.accepted'
  | 'invitation.declined'
  | 'invitation.cancelled'
  | 'rsvp.updated'
  | 'event.reminder'
  | 'webhook.disabled';

/** The change feed: one row per committed change, written in the change's own transaction. */
export interface ChangesTable {
  id: Generated<number>;
  /** The event the change is about; null for a message about no event (see recipient_id). */
  event_id: number | null;
  type: ChangeType;
  actor_id: number | null;
  at: CreatedAt;
  version_id: number | null;
  /** For permission changes: whose permission changed, and the new role (null when revoked). */
  subject_user_id: number | null;
  role: Role | null;
  /** Set: a message for this user only (an invitation, a notice), never for the event's readers. */
  recipient_id: number | null;
  /** Fields of the live message beyond the common ones (JSON object). */
  payload: Json<Record<string, unknown>> | null;
}

/** How far the change feed has been pruned (one row). */
export interface FeedHorizonTable {
  id: Generated<number>;
  pruned_through: number;
}

export type InvitationStatus = 'pending' | 'accepted' | 'declined' | 'cancelled';

/** A grant that waits for the invitee's answer; at most one pending per event and invitee. */
export interface InvitationsTable {
  id: Generated<number>;
  event_id: number;
  inviter_id: number;
  invitee_id: number;
  role: Exclude<Role, 'OWNER'>;
  message: string | null;
  status: ColumnType<InvitationStatus, InvitationStatus | undefined, InvitationStatus>;
  created_at: CreatedAt;
  /** When it stopped being pending (accepted, declined or cancelled). */
  responded_at: Timestamp | null;
}

export type RsvpResponse = 'accepted' | 'declined' | 'tentative';

/** A participant's answer to an event; counts only while they may read it. */
export interface EventRsvpsTable {
  event_id: number;
  user_id: number;
  response: RsvpResponse;
  updated_at: Timestamp;
}

/**
 * When each reminder of an event fires next: one row per event and offset,
 * advanced as it fires and recomputed whenever the event changes, so the
 * scheduler reads only rows that are due.
 */
export interface ReminderScheduleTable {
  event_id: number;
  minutes_before: number;
  /** Start of the occurrence the next reminder is for. */
  occurrence_start: Timestamp;
  /** occurrence_start - minutes_before. */
  fire_at: Timestamp;
}

export interface AuditLogTable {
  id: Generated<number>;
  user_id: number | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  at: CreatedAt;
  request_id: string | null;
  ip: string | null;
}

export interface CollabUpdatesTable {
  id: Generated<number>;
  event_id: number;
  update: Uint8Array;
  /** Who sent it; null for updates the server made (a REST change applied to the document). */
  user_id: number | null;
  created_at: CreatedAt;
}

export interface CollabDocumentsTable {
  event_id: number;
  state: Uint8Array;
  /** Highest collab_updates.id folded into state. */
  compacted_through: number;
  /** The event version the document's text last agreed with (write-back, seed, or a REST change applied). */
  synced_version: Generated<number>;
  /** Highest collab_updates.id included in that agreement. */
  synced_through: Generated<number>;
  updated_at: Timestamp;
}

/** Access an API token grants: `read` never writes; `write` may do what the user may. */
export type TokenAccess = 'read' | 'write';

export interface ApiTokensTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  /** SHA-256 of the token, hex; the token itself is never stored. */
  token_hash: string;
  access: TokenAccess;
  /** Set: the token sees only events with one of these tags. */
  tags: string[] | null;
  /** Set: the token sees only these events. */
  event_ids: number[] | null;
  expires_at: Timestamp | null;
  created_at: CreatedAt;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

/** A user's webhook: where their live messages are POSTed, and which ones. */
export interface WebhooksTable {
  id: Generated<number>;
  user_id: number;
  url: string;
  /** `whsec_<base64>`: the signing key, shown once at creation. */
  secret: string;
  /** Only these message types; null = all. */
  types: string[] | null;
  /** Only messages about this event; null = all. */
  event_id: number | null;
  /** Only messages about events with one of these tags; null = all. */
  tags: string[] | null;
  active: Generated<boolean>;
  created_at: CreatedAt;
  /** The first failed attempt since the last success; null while the hook works. */
  failing_since: Timestamp | null;
  disabled_reason: string | null;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'dropped';

/** The outbox: one message for one hook, retried until delivered or given up. */
export interface WebhookDeliveriesTable {
  id: Generated<number>;
  webhook_id: number;
  /** The feed row the message comes from; null for a ping. */
  change_id: number | null;
  /** The `webhook-id` header: the same on every attempt. */
  message_id: string;
  type: string;
  payload: Json<Record<string, unknown>>;
  /** Set: the hook's owner must still receive messages about this event when it is sent. */
  event_id: number | null;
  /** Attempts made so far (counted when claimed). */
  attempt: Generated<number>;
  next_attempt_at: Generated<Date>;
  /** A sender holds the delivery until then; past it, another may claim it. */
  lease_until: Timestamp | null;
  status: Generated<DeliveryStatus>;
  created_at: CreatedAt;
}

/** The delivery log: one row per attempt. */
export interface WebhookAttemptsTable {
  id: Generated<number>;
  delivery_id: number;
  attempt: number;
  status_code: number | null;
  ok: boolean;
  error: string | null;
  at: CreatedAt;
}

/** How far the change feed has been turned into deliveries (one row). */
export interface WebhookFeedCursorTable {
  id: Generated<number>;
  last_change_id: number;
}

/** A user's secret calendar feed; only the secret's SHA-256 (hex) is stored. */
/**
 * How many overlap-checked writes an owner's calendar has had: bumped by every
 * such write, so a create can check that nothing changed since it looked.
 */
export interface CalendarVersionsTable {
  owner_id: number;
  version: number;
}

export interface CalendarFeedsTable {
  user_id: number;
  secret_hash: string;
  /** When the current secret was made (rotation renews it). */
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface Database {
  users: UsersTable;
  auth_sessions: AuthSessionsTable;
  events: EventsTable;
  event_permissions: EventPermissionsTable;
  teams: TeamsTable;
  team_members: TeamMembersTable;
  event_team_grants: EventTeamGrantsTable;
  event_versions: EventVersionsTable;
  changes: ChangesTable;
  feed_horizon: FeedHorizonTable;
  reminder_schedule: ReminderScheduleTable;
  audit_log: AuditLogTable;
  collab_updates: CollabUpdatesTable;
  collab_documents: CollabDocumentsTable;
  invitations: InvitationsTable;
  event_rsvps: EventRsvpsTable;
  api_tokens: ApiTokensTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  webhook_feed_cursor: WebhookFeedCursorTable;
  calendar_feeds: CalendarFeedsTable;
  calendar_versions: CalendarVersionsTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type EventRow = Selectable<EventsTable>;
export type NewEvent = Insertable<EventsTable>;
export type EventUpdate = Updateable<EventsTable>;
export type EventVersionRow = Selectable<EventVersionsTable>;
export type ChangeRow = Selectable<ChangesTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type InvitationRow = Selectable<InvitationsTable>;
export type ApiTokenRow = Selectable<ApiTokensTable>;
export type WebhookRow = Selectable<WebhooksTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
