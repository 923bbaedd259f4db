import type { ChangeType, Database, EventRow, HistoryType, Role } from '@scheduler/db';
import { sql, type Kysely } from 'kysely';
import { accessChanging, changesAccess } from './events/access.ts';
import { listingsChanging } from './events/listing-cache.ts';
import { planReminders } from './reminders/plan.ts';

/** Feed rows that change what an event is or who may see it; the rest (reminders, addressed messages) is news, not state. */
export const STATE_CHANGES: readonly ChangeType[] = [
  'event.created',
  'event.updated',
  'event.deleted',
  'event.rolled_back',
  'permission.granted',
  'permission.updated',
  'permission.revoked',
];

export const isStateChange = (row: { type: ChangeType; recipient_id?: number | null }): boolean =>
  STATE_CHANGES.includes(row.type) && (row.recipient_id ?? null) === null;

/**
 * The one change path. Every change to an event writes, in the transaction
 * that makes it, a version row (the full snapshot, for history) and a row in
 * the change feed (for live updates and sync). Nothing else writes them.
 * The event's reminders are planned again in the same transaction.
 */
export async function recordEventChange(
  trx: Kysely<Database>,
  change: { event: EventRow; historyType: HistoryType; type: ChangeType; actorId: number | null; reason?: string | null },
): Promise<{ versionId: number; changeId: number }> {
  const { event } = change;
  const version = await trx
    .insertInto('event_versions')
    .values({
      event_id: event.id,
      version: event.version,
      history_type: change.historyType,
      owner_id: event.owner_id,
      title: event.title,
      description: event.description,
      start_time: event.start_time,
      end_time: event.end_time,
      location: event.location,
      timezone: event.timezone,
      is_recurring: event.is_recurring,
      recurrence_pattern: event.recurrence_pattern === null ? null : JSON.stringify(event.recurrence_pattern),
      tags: event.tags,
      metadata: JSON.stringify(event.metadata),
      rrule: event.rrule,
      series_end: event.series_end,
      reminders: JSON.stringify(event.reminders),
      changed_by: change.actorId,
      change_reason: change.reason ?? null,
    })
    .returning('version_id')
    .executeTakeFirstOrThrow();
  // Before the feed lock: a firing scheduler takes the feed lock first, then skips rows others hold.
  await planReminders(trx, event);
  const changeId = await recordFeedEntry(trx, {
    eventId: event.id,
    type: change.type,
    actorId: change.actorId,
    versionId: version.version_id,
  });
  return { versionId: version.version_id, changeId };
}

/** A permission change: one feed row naming whose access changed and the new role (null = revoked). */
export async function recordPermissionChange(
  trx: Kysely<Database>,
  change: { eventId: number; type: Extract<ChangeType, `permission.${string}`>; actorId: number; userId: number; role: Role | null },
): Promise<number> {
  return recordFeedEntry(trx, {
    eventId: change.eventId,
    type: change.type,
    actorId: change.actorId,
    versionId: null,
    subjectUserId: change.userId,
    role: change.role,
  });
}

/**
 * A message that is not a change of state: addressed to one user
 * (`recipientId`: an invitation, a notice about one of their webhooks, with
 * no event) or to the event's readers (an RSVP). Its `payload` fields are
 * merged into the live message; sync ignores it.
 */
export async function recordNotice(
  trx: Kysely<Database>,
  notice: {
    eventId: number | null;
    type: Extract<ChangeType, `invitation.${string}` | 'rsvp.updated' | 'webhook.disabled'>;
    actorId: number | null;
    recipientId?: number | undefined;
    payload: Record<string, unknown>;
  },
): Promise<number> {
  return recordFeedEntry(trx, {
    eventId: notice.eventId,
    type: notice.type,
    actorId: notice.actorId,
    versionId: null,
    recipientId: notice.recipientId,
    payload: notice.payload,
  });
}

/**
 * Reminders being sent: one `event.reminder` row each, for the event's
 * readers, naming the version the event is at so the message carries it.
 */
export async function recordReminderMessages(
  trx: Kysely<Database>,
  reminders: Array<{ eventId: number; versionId: number; payload: Record<string, unknown> }>,
): Promise<void> {
  if (reminders.length === 0) return;
  await lockFeed(trx);
  await trx
    .insertInto('changes')
    .values(
      reminders.map((r) => ({
        event_id: r.eventId,
        type: 'event.reminder' as const,
        actor_id: null,
        version_id: r.versionId,
        subject_user_id: null,
        role: null,
        payload: JSON.stringify(r.payload),
      })),
    )
    .execute();
}

const FEED_LOCK = 7302;

/**
 * Feed ids must become visible in id order, or a reader could pass over an
 * id whose transaction commits late. Writers take this lock right before
 * their feed insert and hold it until commit, so ids are handed out in commit
 * order. It serializes only the tail of write transactions.
 */
export async function lockFeed(trx: Kysely<Database>): Promise<void> {
  await sql`select pg_advisory_xact_lock(${FEED_LOCK})`.execute(trx);
}

async function recordFeedEntry(
  trx: Kysely<Database>,
  entry: {
    eventId: number | null;
    type: ChangeType;
    actorId: number | null;
    versionId: number | null;
    subjectUserId?: number;
    role?: Role | null;
    recipientId?: number | undefined;
    payload?: Record<string, unknown>;
  },
): Promise<number> {
  if (changesAccess(entry.type) && entry.eventId !== null) accessChanging(trx, entry.eventId);
  if (isStateChange({ type: entry.type, recipient_id: entry.recipientId ?? null })) listingsChanging(trx);
  // The feed lock and the insert in one statement: the row is produced only once the lock is
  // held (see lockFeed), and the lock is held one round trip less before the commit.
  const row = await trx
    .with('feed_lock', (db) => db.selectNoFrom(sql<string>`pg_advisory_xact_lock(${FEED_LOCK})::text`.as('locked')))
    .insertInto('changes')
    .columns(['event_id', 'type', 'actor_id', 'version_id', 'subject_user_id', 'role', 'recipient_id', 'payload'])
    .expression((db) =>
      db
        .selectFrom('feed_lock')
        .select([
          sql<number | null>`${entry.eventId}::int`.as('event_id'),
          sql<ChangeType>`${entry.type}`.as('type'),
          sql<number | null>`${entry.actorId}::int`.as('actor_id'),
          sql<number | null>`${entry.versionId}::bigint`.as('version_id'),
          sql<number | null>`${entry.subjectUserId ?? null}::int`.as('subject_user_id'),
          sql<Role | null>`${entry.role ?? null}`.as('role'),
          sql<number | null>`${entry.recipientId ?? null}::int`.as('recipient_id'),
          sql<string | null>`${entry.payload === undefined ? null : JSON.stringify(entry.payload)}::jsonb`.as('payload'),
        ]),
    )
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
