import type { ChangeType, Database, EventRow, Role } from '@scheduler/db';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { AppError } from '../../errors.ts';

/**
 * The access rule, in one place. A user sees an event only through a row in
 * event_permissions; what they may do depends on the role in that row.
 *
 * Where a role comes from is `roleOnEvent` (every check of one event uses it).
 * Four readers select many events at once by joining event_permissions
 * themselves and must follow a new grant source too: the listing
 * (list-events.ts), sync (live/sync.ts), the hub's recipients (`readersOf`)
 * and `eventsAllowedFor` below.
 */
export type EventAction = 'read' | 'update' | 'rollback' | 'collab.write' | 'delete' | 'share' | 'manage_permissions' | 'read_history';

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
 * The caller's role on the event `e` in SQL: where access comes from. Today a
 * row in event_permissions; another grant source (a team, an API token's
 * scope) is added here and every check, the single-query read included,
 * follows.
 */
export function roleOnEvent(userId: number): RawBuilder<Role | null> {
  return sql<Role | null>`(select p.role from event_permissions p where p.event_id = e.id and p.user_id = ${userId})`;
}

/** 404 when the user has no access at all (or the event does not exist, or was deleted), 403 when the role is too weak. */
export function judge(access: { role: Role | null; deleted: boolean }, action: EventAction): Role {
  const outcome = verdict(access, action);
  if (outcome === 'hidden') throw eventNotFound();
  if (outcome === 'forbidden') throw new AppError('FORBIDDEN', `Your role (${access.role}) does not allow this action on the event`);
  return access.role!;
}

/** What a role may do with an event in its current state: a deleted event is hidden except its history from its owner. */
function verdict(access: { role: Role | null; deleted: boolean }, action: EventAction): 'allowed' | 'hidden' | 'forbidden' {
  if (!access.role) return 'hidden';
  if (access.deleted && !(action === 'read_history' && access.role === 'OWNER')) return 'hidden';
  return roleAllows(access.role, action) ? 'allowed' : 'forbidden';
}

/**
 * Loads an event for an action by a user (see `judge`). A deleted event's
 * history stays readable by its owner. Pass `forUpdate` inside a write
 * transaction to lock the row.
 */
export async function loadEventFor(
  db: Kysely<Database>,
  eventId: number,
  userId: number,
  action: EventAction,
  options: { forUpdate?: boolean } = {},
): Promise<AccessibleEvent> {
  let query = db.selectFrom('events as e').selectAll('e').select(roleOnEvent(userId).as('role')).where('e.id', '=', eventId);
  if (options.forUpdate) query = query.forUpdate('e');
  const row = await query.executeTakeFirst();
  if (!row) throw eventNotFound();
  const { role, ...event } = row;
  return { event, role: judge({ role, deleted: event.deleted_at !== null }, action) };
}

/**
 * Checks an action without loading the event, from the role cache when it
 * can (outside transactions only; writes check under their row lock with
 * `loadEventFor`). Returns the role.
 */
export async function checkAccess(db: Kysely<Database>, eventId: number, userId: number, action: EventAction): Promise<Role> {
  return judge(await accessOf(db, eventId, userId), action);
}

/** The role a user has on an event right now (null: none, or the event is deleted). */
export async function roleOf(db: Kysely<Database>, eventId: number, userId: number): Promise<Role | null> {
  const access = await accessOf(db, eventId, userId);
  return access.deleted ? null : access.role;
}

interface CachedAccess {
  role: Role | null;
  deleted: boolean;
  loadedAt: number;
}

/**
 * Roles cached per event and user. An entry is dropped when the change feed
 * shows a change to its event (every instance reads the feed when woken) and,
 * on the instance that wrote, as soon as the write commits; a load that
 * started before a drop never fills the cache. Entries are re-read after
 * MAX_AGE_MS in any case (a lost wake-up).
 */
class RoleCache {
  readonly byEvent = new Map<number, Map<number, CachedAccess>>();
  generation = 0;
  size = 0;

  forget(eventIds: Iterable<number>): void {
    this.generation += 1;
    for (const id of new Set(eventIds)) {
      this.size -= this.byEvent.get(id)?.size ?? 0;
      this.byEvent.delete(id);
    }
  }
}

const MAX_AGE_MS = 5_000;
const CACHE_LIMIT = 100_000;
const caches = new WeakMap<Kysely<Database>, RoleCache>();

async function accessOf(db: Kysely<Database>, eventId: number, userId: number): Promise<{ role: Role | null; deleted: boolean }> {
  if (db.isTransaction) return readAccess(db, eventId, userId);
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new RoleCache()));
  const hit = cache.byEvent.get(eventId)?.get(userId);
  if (hit && Date.now() - hit.loadedAt < MAX_AGE_MS) return hit;
  const generation = cache.generation;
  const access = await readAccess(db, eventId, userId);
  // Only grants are cached: "no access" is cheap to ask again and must never hide a new grant.
  if (access.role && generation === cache.generation) {
    if (cache.size >= CACHE_LIMIT) cache.forget([...cache.byEvent.keys()]);
    let users = cache.byEvent.get(eventId);
    if (!users) cache.byEvent.set(eventId, (users = new Map<number, CachedAccess>()));
    if (!users.has(userId)) cache.size += 1;
    users.set(userId, { ...access, loadedAt: Date.now() });
  }
  return access;
}

async function readAccess(db: Kysely<Database>, eventId: number, userId: number) {
  const row = await db
    .selectFrom('events as e')
    .select([roleOnEvent(userId).as('role'), 'e.deleted_at'])
    .where('e.id', '=', eventId)
    .executeTakeFirst();
  return { role: row?.role ?? null, deleted: row ? row.deleted_at !== null : false };
}

/** Drops cached roles of these events (their permissions changed, or they were deleted). */
export function forgetAccess(db: Kysely<Database>, eventIds: Iterable<number>): void {
  caches.get(db)?.forget(eventIds);
}

/** Changes that alter who may do what with an event. */
export const changesAccess = (type: ChangeType): boolean => type.startsWith('permission.') || type === 'event.deleted';

const changingIn = new WeakMap<object, Set<number>>();

/** Notes, inside a write transaction, that it changes access to an event (see `settleAccess`). */
export function accessChanging(trx: Kysely<Database>, eventId: number): void {
  let ids = changingIn.get(trx);
  if (!ids) changingIn.set(trx, (ids = new Set()));
  ids.add(eventId);
}

/** After a write transaction committed: this instance forgets the roles it changed before answering. */
export function settleAccess(db: Kysely<Database>, trx: Kysely<Database> | undefined): void {
  const ids = trx && changingIn.get(trx);
  if (ids) forgetAccess(db, ids);
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
  return new Map(
    rows.filter((r) => verdict({ role: r.role, deleted: r.deleted_at !== null }, action) === 'allowed').map((r) => [r.event_id, r.role]),
  );
}

export const eventNotFound = () => new AppError('NOT_FOUND', 'Event not found');

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
 * Whether a live message about an event may still reach a user now (a
 * message queued earlier and sent later, such as a webhook delivery): they
 * may read the event; a deletion reaches those who held a role on it, as the
 * live feed's recipients (`readersOf`) do.
 */
export async function mayReceive(db: Kysely<Database>, eventId: number, userId: number, type: string): Promise<boolean> {
  if (type === 'event.deleted') return (await readersOf(db, [eventId])).get(eventId)?.has(userId) ?? false;
  return (await roleOf(db, eventId, userId)) !== null;
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
    if (!map) readers.set(row.event_id, (map = new Map<number, Role>()));
    map.set(row.user_id, row.role);
  }
  return readers;
}
