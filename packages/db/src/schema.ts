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

export interface EventPermissionsTable {
  event_id: number;
  user_id: number;
  role: Role;
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
  | 'permission.revoked';

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

/** A user's secret calendar feed; only the secret's SHA-256 (hex) is stored. */
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
  event_versions: EventVersionsTable;
  changes: ChangesTable;
  feed_horizon: FeedHorizonTable;
  audit_log: AuditLogTable;
  collab_updates: CollabUpdatesTable;
  collab_documents: CollabDocumentsTable;
  calendar_feeds: CalendarFeedsTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type EventRow = Selectable<EventsTable>;
export type NewEvent = Insertable<EventsTable>;
export type EventUpdate = Updateable<EventsTable>;
export type EventVersionRow = Selectable<EventVersionsTable>;
export type ChangeRow = Selectable<ChangesTable>;
export type AuditRow = Selectable<AuditLogTable>;
