import type { ChangeType, Database, EventRow, Role, TokenAccess } from '@scheduler/db';
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
 *
 * An API token narrows its user, never widens: the caller is a `Principal`,
 * a user with the optional scope of the token they came with. The scope's
 * `access` caps what they may do (`judge`: a read token may not write) and its
 * `eventIds` / `tags` decide which events exist for it (`roleOnEvent` is null
 * outside the scope, so every single-event check answers 404; many-event
 * readers add `inScope` to their SQL; live messages use `scopeAdmits`).
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

/** What an API token narrows its user to. */
export interface TokenScope {
  access: TokenAccess;
  /** Set: only events with one of these tags exist for the token. */
  tags?: readonly string[] | null | undefined;
  /** Set: only these events exist for the token. */
  eventIds?: readonly number[] | null | undefined;
}

/** Who asks: a user, and the scope of the API token the request came with (none: the user's own session). */
export interface Principal {
  id: number;
  scope?: TokenScope | undefined;
}

/** Actions that change nothing: the only ones a read token may take. */
const READ_ACTIONS: ReadonlySet<EventAction> = new Set(['read', 'read_history']);

/** Whether the scope hides some events (a scope with neither tags nor event ids narrows only the access). */
const narrows = (scope: TokenScope | undefined): scope is TokenScope => Boolean(scope && (scope.tags || scope.eventIds));

/** The scope as an SQL condition on the event `e` (true when it hides nothing): the many-event readers' filter. */
export function inScope(scope: TokenScope | undefined): RawBuilder<boolean> {
  if (!narrows(scope)) return sql<boolean>`true`;
  const ids = scope.eventIds ? sql`e.id = any(${sql.val([...scope.eventIds])}::int[])` : sql`true`;
  const tags = scope.tags ? sql`e.tags && ${sql.val([...scope.tags])}::text[]` : sql`true`;
  return sql<boolean>`(${ids} and ${tags})`;
}

/** The same rule in memory, for an event's current state (live messages). A message about no event reaches unnarrowed tokens only. */
export function scopeAdmits(
  scope: TokenScope | undefined,
  event: { id: number | null; tags?: readonly string[] | null | undefined },
): boolean {
  if (!narrows(scope)) return true;
  if (event.id === null) return false;
  if (scope.eventIds && !scope.eventIds.includes(event.id)) return false;
  if (scope.tags && !(event.tags ?? []).some((tag) => scope.tags!.includes(tag))) return false;
  return true;
}

/** The role a principal acts with: a read token caps any role at VIEWER (for collaboration sockets, which act on the role). */
export function effectiveRole(role: Role | null, scope: TokenScope | undefined): Role | null {
  return role && scope?.access === 'read' ? 'VIEWER' : role;
}

const readOnlyToken = () => new AppError('FORBIDDEN', 'This API token has read access only');

/**
 * Creating an event: a read token may not, and a token narrowed to some
 * events may create only one it would see (event ids: never, as the new id is
 * not among them; tags: an event carrying one of its tags).
 */
export function judgeCreate(who: Principal, tags: readonly string[] = []): void {
  const { scope } = who;
  if (scope?.access === 'read') throw readOnlyToken();
  if (!narrows(scope)) return;
  if (scope.eventIds) throw new AppError('FORBIDDEN', 'This API token is limited to some events and cannot create events');
  if (!scopeAdmits({ ...scope, eventIds: null }, { id: 0, tags })) {
    throw new AppError('FORBIDDEN', `This API token is limited to events tagged ${scope.tags!.join(', ')}; give the event one of them`);
  }
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
export function roleOnEvent(userId: number, scope?: TokenScope): RawBuilder<Role | null> {
  const role = sql<Role | null>`(select p.role from event_permissions p where p.event_id = e.id and p.user_id = ${userId})`;
  return narrows(scope) ? sql<Role | null>`(case when ${inScope(scope)} then ${role} end)` : role;
}

/**
 * 404 when the user has no access at all (or the event does not exist, was
 * deleted, or is outside the token's scope: `role` is null then), 403 when the
 * role is too weak or the token is read-only. Returns the user's role.
 */
export function judge(access: { role: Role | null; deleted: boolean }, action: EventAction, scope?: TokenScope): Role {
  const outcome = verdict(access, action, scope);
  if (outcome === 'hidden') throw eventNotFound();
  if (outcome === 'read_only') throw readOnlyToken();
  if (outcome === 'forbidden') throw new AppError('FORBIDDEN', `Your role (${access.role}) does not allow this action on the event`);
  return access.role!;
}

/** What a role may do with an event in its current state: a deleted event is hidden except its history from its owner. */
function verdict(
  access: { role: Role | null; deleted: boolean },
  action: EventAction,
  scope?: TokenScope,
): 'allowed' | 'hidden' | 'forbidden' | 'read_only' {
  if (!access.role) return 'hidden';
  if (access.deleted && !(action === 'read_history' && access.role === 'OWNER')) return 'hidden';
  if (!roleAllows(access.role, action)) return 'forbidden';
  return scope?.access === 'read' && !READ_ACTIONS.has(action) ? 'read_only' : 'allowed';
}

/**
 * Loads an event for an action by a user (see `judge`). A deleted event's
 * history stays readable by its owner. Pass `forUpdate` inside a write
 * transaction to lock the row.
 */
export async function loadEventFor(
  db: Kysely<Database>,
  eventId: number,
  who: Principal,
  action: EventAction,
  options: { forUpdate?: boolean } = {},
): Promise<AccessibleEvent> {
  let query = db.selectFrom('events as e').selectAll('e').select(roleOnEvent(who.id, who.scope).as('role')).where('e.id', '=', eventId);
  if (options.forUpdate) query = query.forUpdate('e');
  const row = await query.executeTakeFirst();
  if (!row) throw eventNotFound();
  const { role, ...event } = row;
  return { event, role: judge({ role, deleted: event.deleted_at !== null }, action, who.scope) };
}

/**
 * Checks an action without loading the event, from the role cache when it
 * can (outside transactions only; writes check under their row lock with
 * `loadEventFor`). Returns the role.
 */
export async function checkAccess(db: Kysely<Database>, eventId: number, who: Principal, action: EventAction): Promise<Role> {
  return judge(await accessOf(db, eventId, who), action, who.scope);
}

/** The role a principal acts with on an event right now (null: none, or the event is deleted; capped by a read token). */
export async function roleOf(db: Kysely<Database>, eventId: number, who: Principal): Promise<Role | null> {
  const access = await accessOf(db, eventId, who);
  return access.deleted ? null : effectiveRole(access.role, who.scope);
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

async function accessOf(db: Kysely<Database>, eventId: number, who: Principal): Promise<{ role: Role | null; deleted: boolean }> {
  // A narrowed token's answer depends on the event's current tags, which this cache does not follow.
  if (db.isTransaction || narrows(who.scope)) return readAccess(db, eventId, who);
  const userId = who.id;
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new RoleCache()));
  const hit = cache.byEvent.get(eventId)?.get(userId);
  if (hit && Date.now() - hit.loadedAt < MAX_AGE_MS) return hit;
  const generation = cache.generation;
  const access = await readAccess(db, eventId, who);
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

async function readAccess(db: Kysely<Database>, eventId: number, who: Principal) {
  const row = await db
    .selectFrom('events as e')
    .select([roleOnEvent(who.id, who.scope).as('role'), 'e.deleted_at'])
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
export async function eventsAllowedFor(db: Kysely<Database>, who: Principal, action: EventAction): Promise<Map<number, Role>> {
  const rows = await db
    .selectFrom('event_permissions as p')
    .innerJoin('events as e', 'e.id', 'p.event_id')
    .select(['p.event_id', 'p.role', 'e.deleted_at'])
    .where('p.user_id', '=', who.id)
    .where(inScope(who.scope))
    .execute();
  return new Map(
    rows
      .filter((r) => verdict({ role: r.role, deleted: r.deleted_at !== null }, action, who.scope) === 'allowed')
      .map((r) => [r.event_id, r.role]),
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
