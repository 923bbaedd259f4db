import type { Database, EventRow, EventVersionRow, Role } from '@scheduler/db';
import { sql, type Kysely } from 'kysely';
import { eventNotFound, eventsAllowedFor, loadEventFor, type Principal } from './access.ts';

/**
 * Point-in-time reads, answered from history: the event as its newest
 * version at that moment, and the caller's role then (owner, or the last
 * permission change for them before that moment in the change feed).
 * Access is judged now: only events whose history the caller may read today
 * answer at all (someone who lost access reads nothing of the past).
 */

/** The newest version of an event at `at`, or undefined when it did not exist (yet, or any more). */
async function versionAt(db: Kysely<Database>, eventId: number, at: Date): Promise<EventVersionRow | undefined> {
  const version = await db
    .selectFrom('event_versions')
    .selectAll()
    .where('event_id', '=', eventId)
    .where('history_date', '<=', at)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  return version && version.history_type !== '-' ? version : undefined;
}

/** The caller's role on an event at `at`, or null. */
async function roleAt(db: Kysely<Database>, eventId: number, ownerId: number, userId: number, at: Date): Promise<Role | null> {
  if (ownerId === userId) return 'OWNER';
  const change = await db
    .selectFrom('changes')
    .select('role')
    .where('event_id', '=', eventId)
    .where('subject_user_id', '=', userId)
    .where('at', '<=', at)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return change?.role ?? null;
}

/** A version row shaped like an event row, so the event serializer can answer with it. */
export function versionAsEvent(version: EventVersionRow, createdAt: Date): EventRow {
  return {
    id: version.event_id,
    owner_id: version.owner_id,
    title: version.title,
    description: version.description,
    start_time: version.start_time,
    end_time: version.end_time,
    location: version.location,
    timezone: version.timezone,
    is_recurring: version.is_recurring,
    recurrence_pattern: version.recurrence_pattern,
    tags: version.tags,
    metadata: version.metadata,
    rrule: version.rrule,
    series_end: version.series_end,
    reminders: version.reminders,
    span: '',
    version: version.version,
    created_at: createdAt,
    updated_at: version.history_date,
    deleted_at: null,
  };
}

/** The event as the caller could see it at `at`; 404 when it did not exist, they had no access then, or they have none now. */
export async function eventAsOf(db: Kysely<Database>, eventId: number, who: Principal, at: Date): Promise<{ event: EventRow; role: Role }> {
  await loadEventFor(db, eventId, who, 'read_history');
  const userId = who.id;
  const version = await versionAt(db, eventId, at);
  if (!version) throw eventNotFound();
  const role = await roleAt(db, eventId, version.owner_id, userId, at);
  if (!role) throw eventNotFound();
  const created = await db.selectFrom('events').select('created_at').where('id', '=', eventId).executeTakeFirstOrThrow();
  return { event: versionAsEvent(version, created.created_at), role };
}

/** Every event the caller could see at `at` and may still read now, with their role then. */
export async function eventsVisibleAt(db: Kysely<Database>, who: Principal, at: Date): Promise<Array<{ event: EventRow; role: Role }>> {
  const readableNow = await eventsAllowedFor(db, who, 'read_history');
  const userId = who.id;
  if (readableNow.size === 0) return [];
  const { rows } = await sql<EventVersionRow & { role: Role; created_at: Date }>`
    with granted as (
      select distinct on (c.event_id) c.event_id, c.role
      from changes c
      where c.subject_user_id = ${userId} and c.at <= ${at}
      order by c.event_id, c.id desc
    ),
    visible as (
      select event_id, role from (
        select e.id as event_id, 'OWNER'::text as role from events e where e.owner_id = ${userId}
        union all
        select g.event_id, g.role from granted g where g.role is not null
      ) then_visible
      where event_id = any(${sql.val([...readableNow.keys()])}::int[])
    ),
    snapshot as (
      select distinct on (v.event_id) v.*
      from event_versions v
      where v.event_id in (select event_id from visible) and v.history_date <= ${at}
      order by v.event_id, v.version desc
    )
    select s.*, vis.role, e.created_at
    from snapshot s
    join visible vis on vis.event_id = s.event_id
    join events e on e.id = s.event_id
    where s.history_type <> '-'`.execute(db);
  return rows.map((row) => ({ event: versionAsEvent(row, row.created_at), role: row.role }));
}

/** Who had access to an event at `at`, with their roles then: the owner, and the last permission change of everyone else. */
export async function permissionsAt(
  db: Kysely<Database>,
  eventId: number,
  ownerId: number,
  at: Date,
): Promise<Array<{ user_id: number; username: string; role: Role }>> {
  const { rows } = await sql<{ user_id: number; username: string; role: Role | null }>`
    select distinct on (c.subject_user_id) c.subject_user_id as user_id, u.username, c.role
    from changes c
    join users u on u.id = c.subject_user_id
    where c.event_id = ${eventId} and c.subject_user_id is not null and c.at <= ${at}
    order by c.subject_user_id, c.id desc`.execute(db);
  const owner = await db.selectFrom('users').select(['id', 'username']).where('id', '=', ownerId).executeTakeFirstOrThrow();
  const others = rows.filter((r): r is { user_id: number; username: string; role: Role } => r.role !== null && r.user_id !== ownerId);
  const rank = { OWNER: 0, EDITOR: 1, VIEWER: 2 } as const;
  return [
    { user_id: owner.id, username: owner.username, role: 'OWNER' as Role },
    ...others.sort((a, b) => rank[a.role] - rank[b.role] || a.username.localeCompare(b.username)),
  ].map(({ user_id, username, role }) => ({ user_id, username, role }));
}
