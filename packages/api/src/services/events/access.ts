import type { Database, EventRow, Role } from '@scheduler/db';
import type { Kysely } from 'kysely';
import { AppError } from '../../errors.ts';

/**
 * The access rule, in one place. A user sees an event only through a row in
 * event_permissions; what they may do depends on the role in that row.
 */
export type EventAction =
  | 'read'
  | 'update'
  | 'rollback'
  | 'collab.write'
  | 'delete'
  | 'share'
  | 'manage_permissions'
  | 'read_history';

const ALLOWED: Record<EventAction, readonly Role[]> = {
  read: ['OWNER', 'EDITOR', 'VIEWER'],
  read_history: ['OWNER', 'EDITOR', 'VIEWER'],
  update: ['OWNER', 'EDITOR'],
  rollback: ['OWNER', 'EDITOR'],
  'collab.write': ['OWNER', 'EDITOR'],
  delete: ['OWNER'],
  share: ['OWNER'],
  manage_permissions: ['OWNER'],
};

export function roleAllows(role: Role, action: EventAction): boolean {
  return ALLOWED[action].includes(role);
}

export interface AccessibleEvent {
  event: EventRow;
  role: Role;
}

/**
 * Loads an event for an action by a user: 404 when the user has no access at
 * all (or it does not exist, or it was deleted), 403 when the role is too
 * weak. A deleted event's history stays readable by its owner. Pass
 * `forUpdate` inside a write transaction to lock the row.
 */
export async function loadEventFor(
  db: Kysely<Database>,
  eventId: number,
  userId: number,
  action: EventAction,
  options: { forUpdate?: boolean } = {},
): Promise<AccessibleEvent> {
  let query = db
    .selectFrom('events as e')
    .innerJoin('event_permissions as p', (join) => join.onRef('p.event_id', '=', 'e.id').on('p.user_id', '=', userId))
    .selectAll('e')
    .select('p.role')
    .where('e.id', '=', eventId);
  if (options.forUpdate) query = query.forUpdate('e');
  const row = await query.executeTakeFirst();
  if (!row) throw eventNotFound();
  const { role, ...event } = row;
  const verdict = judge(role, event.deleted_at, action);
  if (verdict === 'hidden') throw eventNotFound();
  if (verdict === 'forbidden') throw new AppError('FORBIDDEN', `Your role (${role}) does not allow this action on the event`);
  return { event, role };
}

/** What a role may do with an event in its current state: a deleted event is hidden except its history from its owner. */
function judge(role: Role, deletedAt: Date | null, action: EventAction): 'allowed' | 'hidden' | 'forbidden' {
  if (deletedAt && !(action === 'read_history' && role === 'OWNER')) return 'hidden';
  return roleAllows(role, action) ? 'allowed' : 'forbidden';
}

/**
 * The events a user may take an action on now, with their current role: the
 * same rule as loadEventFor, for many events at once (point-in-time listings
 * keep only the events whose past the caller may still read).
 */
export async function eventsAllowedFor(db: Kysely<Database>, userId: number, action: EventAction): Promise<Map<number, Role>> {
  const rows = await db
    .selectFrom('event_permissions as p')
    .innerJoin('events as e', 'e.id', 'p.event_id')
    .select(['p.event_id', 'p.role', 'e.deleted_at'])
    .where('p.user_id', '=', userId)
    .execute();
  return new Map(rows.filter((r) => judge(r.role, r.deleted_at, action) === 'allowed').map((r) => [r.event_id, r.role]));
}

export const eventNotFound = () => new AppError('NOT_FOUND', 'Event not found');

/** The role a user has on an event right now, or null. */
export async function roleOf(db: Kysely<Database>, eventId: number, userId: number): Promise<Role | null> {
  const row = await db
    .selectFrom('event_permissions as p')
    .innerJoin('events as e', 'e.id', 'p.event_id')
    .select('p.role')
    .where('p.event_id', '=', eventId)
    .where('p.user_id', '=', userId)
    .where('e.deleted_at', 'is', null)
    .executeTakeFirst();
  return row?.role ?? null;
}

/** Current roles of some users on one event (absent = no access), for long-lived connections. */
export async function rolesOf(db: Kysely<Database>, eventId: number, userIds: number[]): Promise<Map<number, Role>> {
  if (userIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('event_permissions as p')
    .innerJoin('events as e', 'e.id', 'p.event_id')
    .select(['p.user_id', 'p.role'])
    .where('p.event_id', '=', eventId)
    .where('p.user_id', 'in', userIds)
    .where('e.deleted_at', 'is', null)
    .execute();
  return new Map(rows.map((r) => [r.user_id, r.role]));
}

/**
 * Everyone who may read each of these events now, with their role. Deleted
 * events keep their rows, so the readers of a deletion are told about it.
 */
export async function readersOf(db: Kysely<Database>, eventIds: number[]): Promise<Map<number, Map<number, Role>>> {
  const readers = new Map<number, Map<number, Role>>();
  if (eventIds.length === 0) return readers;
  const rows = await db.selectFrom('event_permissions').select(['event_id', 'user_id', 'role']).where('event_id', 'in', eventIds).execute();
  for (const row of rows) {
    let map = readers.get(row.event_id);
    if (!map) readers.set(row.event_id, (map = new Map()));
    map.set(row.user_id, row.role);
  }
  return readers;
}
