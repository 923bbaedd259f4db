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
  if (event.deleted_at && !(action === 'read_history' && role === 'OWNER')) throw eventNotFound();
  if (!roleAllows(role, action)) {
    throw new AppError('FORBIDDEN', `Your role (${role}) does not allow this action on the event`);
  }
  return { event, role };
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
