import type { ChangeType, Database, EventRow, Role, TokenAccess } from '@scheduler/db';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { AppError } from '../../errors.ts';
import { recordPermissionChanges, ROWS_PER_STATEMENT } from '../changes.ts';

/**
 * The access rule, in one place. A user sees an event only through a row in
 * event_permissions; what they may do depends on the role in that row.
 *
 * That row is effective access, materialized: its `role` is the highest of
 * the user's own grant (`own_role`: OWNER for the owner, a personal share)
 * and the grants of the teams they belong to (`effectiveRole` is the rule).
 * Every write that changes a source of grants (a personal share, a team's
 * grant, a team's members) ends with `settleGrants`, which recomputes the
 * rows it touched in the same transaction and writes a permission.* feed row
 * for every change of effective role. So the readers below stay plain joins
 * on event_permissions: `roleOnEvent` (every check of one event), the listing
 * (list-events.ts), the tag counts (tags.ts), sync (live/sync.ts), the hub's recipients (`cachedReadersOf`),
 * `rolesOf`, `eventsAllowedFor`, `sharedEventIds` and `sharedEventsOf`; and live messages, sync `removed`, the
 * role cache, collaborative editing and as_of follow the feed rows.
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
/** The role a principal acts with: a read token caps any role at VIEWER (for collaboration sockets, which act on the role). */
export function roleUnderScope(role: Role | null, scope: TokenScope | undefined): Role | null {
  return role && scope?.access === 'read' ? 'VIEWER' : role;
}

const readOnlyToken = () => new AppError('FORBIDDEN', 'This API token has read access only');

/**
 * Creating an event: a read token may not, and a token narrowed to some
 * events may create only one it would see (event ids: never, as the new id is
 * not among them; tags: an event carrying one of its tags). Without `tags`,
 * only what does not depend on the new event is checked.
 */
export function judgeCreate(who: Principal, tags?: readonly string[]): void {
  const { scope } = who;
  if (scope?.access === 'read') throw readOnlyToken();
  if (!narrows(scope)) return;
  if (scope.eventIds) throw new AppError('FORBIDDEN', 'This API token is limited to some events and cannot create events');
  if (tags && !scopeAdmits({ ...scope, eventIds: null }, { id: 0, tags })) {
    throw new AppError('FORBIDDEN', `This API token is limited to events tagged ${scope.tags!.join(', ')}; give the event one of them`);
  }
}

export interface AccessibleEvent {
  event: EventRow;
  role: Role;
}

/**
 * The caller's role on the event `e` in SQL: the effective row in
 * event_permissions (personal and team grants already folded in by
 * `settleGrants`). A narrowing source (an API token's scope) is added here and
 * every check, the single-query read included, follows.
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
  return access.deleted ? null : roleUnderScope(access.role, who.scope);
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
  /** Everyone's roles on an event (`readersOf`), for the live hub's recipients. */
  readonly readers = new Map<number, { roles: Map<number, Role>; loadedAt: number }>();
  generation = 0;
  size = 0;

  forget(eventIds: Iterable<number>): void {
    this.generation += 1;
    for (const id of new Set(eventIds)) {
      this.size -= (this.byEvent.get(id)?.size ?? 0) + (this.readers.get(id)?.roles.size ?? 0);
      this.byEvent.delete(id);
      this.readers.delete(id);
    }
  }

  forgetAll(): void {
    this.forget(new Set([...this.byEvent.keys(), ...this.readers.keys()]));
  }
}

const MAX_AGE_MS = 5_000;
const CACHE_LIMIT = 100_000;
const caches = new WeakMap<Kysely<Database>, RoleCache>();

function roleCache(db: Kysely<Database>): RoleCache {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new RoleCache()));
  return cache;
}

async function accessOf(db: Kysely<Database>, eventId: number, who: Principal): Promise<{ role: Role | null; deleted: boolean }> {
  // A narrowed token's answer depends on the event's current tags, which this cache does not follow.
  if (db.isTransaction || narrows(who.scope)) return readAccess(db, eventId, who);
  const userId = who.id;
  const cache = roleCache(db);
  const hit = cache.byEvent.get(eventId)?.get(userId);
  if (hit && Date.now() - hit.loadedAt < MAX_AGE_MS) return hit;
  const generation = cache.generation;
  const access = await readAccess(db, eventId, who);
  // Only grants are cached: "no access" is cheap to ask again and must never hide a new grant.
  if (access.role && generation === cache.generation) {
    if (cache.size >= CACHE_LIMIT) cache.forgetAll();
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

/**
 * The events shared with a user, as SQL for `where ... in (...)`: those they
 * may read now (not deleted) and do not own.
 */
export function sharedEventIds(userId: number): RawBuilder<{ event_id: number }> {
  return sql<{ event_id: number }>`select p.event_id from event_permissions p join events e on e.id = p.event_id
    where p.user_id = ${userId} and e.owner_id <> ${userId} and e.deleted_at is null`;
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
  return (await roleOf(db, eventId, { id: userId })) !== null;
}

/**
 * Everyone who may read each of these events now, with their role. Deleted
 * events keep their rows, so the readers of a deletion are told about it.
 */
async function readersOf(db: Kysely<Database>, eventIds: number[]): Promise<Map<number, Map<number, Role>>> {
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

/**
 * `readersOf` through the role cache, for the live hub: an event's readers
 * are read once and kept until the feed shows a change of its access (the
 * hub tells the cache before it prepares the rows that follow, so a message
 * after a revocation never reaches the revoked user), or for MAX_AGE_MS.
 * The maps returned are shared: callers must not change them.
 */
export async function cachedReadersOf(db: Kysely<Database>, eventIds: number[]): Promise<Map<number, ReadonlyMap<number, Role>>> {
  if (db.isTransaction) return readersOf(db, eventIds);
  const cache = roleCache(db);
  const readers = new Map<number, ReadonlyMap<number, Role>>();
  const missing: number[] = [];
  const now = Date.now();
  for (const id of eventIds) {
    const hit = cache.readers.get(id);
    if (hit && now - hit.loadedAt < MAX_AGE_MS) readers.set(id, hit.roles);
    else missing.push(id);
  }
  if (missing.length === 0) return readers;
  const generation = cache.generation;
  // An event without readers does not exist (yet) and is not in `loaded`: never cached, like "no access" above.
  const loaded = await readersOf(db, missing);
  for (const [id, roles] of loaded) {
    readers.set(id, roles);
    if (generation !== cache.generation) continue;
    if (cache.size >= CACHE_LIMIT) cache.forgetAll();
    cache.size += roles.size - (cache.readers.get(id)?.roles.size ?? 0);
    cache.readers.set(id, { roles, loadedAt: now });
  }
  return readers;
}

/** Roles from weakest to strongest: the highest grant wins. */
const ROLE_RANK: Record<Role, number> = { VIEWER: 1, EDITOR: 2, OWNER: 3 };

/**
 * The rule: a user's role on an event is the highest of their own grant and
 * the grants of their teams; null (no access) when there is none.
 */
export function effectiveRole(own: Role | null, teamRoles: readonly Role[]): Role | null {
  let best = own;
  for (const role of teamRoles) if (best === null || ROLE_RANK[role] > ROLE_RANK[best]) best = role;
  return best;
}

/** A change of someone's own grant on an event (null: their own grant is removed). */
export interface OwnGrant {
  eventId: number;
  userId: number;
  role: Role | null;
}

/** A change of effective access that `settleGrants` made. */
export interface AccessChange {
  eventId: number;
  userId: number;
  before: Role | null;
  after: Role | null;
}

/**
 * Brings event_permissions in line with the grants for every (event, user)
 * pair of `eventIds` × `userIds`, inside the write transaction that changed
 * the grants (after it wrote team grants or memberships; own grants are
 * passed in `own` and written here). Locks the events first, in id order, so
 * two writes that touch the same pair run one after the other and each reads
 * what the other committed. Every change of effective role writes the feed row
 * a personal share writes (permission.granted / updated / revoked), so every
 * consequence of access follows.
 */
export async function settleGrants(
  trx: Kysely<Database>,
  actorId: number,
  scope: { eventIds: Iterable<number>; userIds: Iterable<number> },
  own: readonly OwnGrant[] = [],
): Promise<AccessChange[]> {
  const eventIds = [...new Set(scope.eventIds)].sort((a, b) => a - b);
  const userIds = [...new Set([...scope.userIds, ...own.map((g) => g.userId)])];
  if (eventIds.length === 0 || userIds.length === 0) return [];
  await trx.selectFrom('events').select('id').where('id', 'in', eventIds).orderBy('id').forUpdate().execute();
  const current = await trx
    .selectFrom('event_permissions')
    .select(['event_id', 'user_id', 'role', 'own_role'])
    .where('event_id', 'in', eventIds)
    .where('user_id', 'in', userIds)
    .execute();
  const viaTeams = await trx
    .selectFrom('event_team_grants as g')
    .innerJoin('team_members as m', 'm.team_id', 'g.team_id')
    .select(['g.event_id', 'm.user_id', 'g.role'])
    .where('g.event_id', 'in', eventIds)
    .where('m.user_id', 'in', userIds)
    .execute();

  const key = (eventId: number, userId: number) => `${eventId}:${userId}`;
  const pairs = new Map<string, { eventId: number; userId: number; row?: (typeof current)[number]; own?: Role | null; teams: Role[] }>();
  const pair = (eventId: number, userId: number) => {
    let entry = pairs.get(key(eventId, userId));
    if (!entry) pairs.set(key(eventId, userId), (entry = { eventId, userId, teams: [] }));
    return entry;
  };
  for (const row of current) pair(row.event_id, row.user_id).row = row;
  for (const row of viaTeams) pair(row.event_id, row.user_id).teams.push(row.role);
  for (const grant of own) if (eventIds.includes(grant.eventId)) pair(grant.eventId, grant.userId).own = grant.role;

  // The writes, set-based: one statement per kind of write and event (and role, for updates).
  const inserts: Array<{ event_id: number; user_id: number; role: Role; own_role: Role | null; granted_by: number }> = [];
  const deletes = new Map<number, number[]>(); // event -> users
  const updates = new Map<string, { eventId: number; role: Role; ownRole: Role | null; userIds: number[] }>();
  const changes: AccessChange[] = [];
  const sorted = [...pairs.values()].sort((a, b) => a.eventId - b.eventId || a.userId - b.userId);
  for (const { eventId, userId, row, own: ownChange, teams } of sorted) {
    const ownRole = ownChange === undefined ? (row?.own_role ?? null) : ownChange;
    const before = row?.role ?? null;
    const after = effectiveRole(ownRole, teams);
    if (!row && after) {
      inserts.push({ event_id: eventId, user_id: userId, role: after, own_role: ownRole, granted_by: actorId });
    } else if (row && !after) {
      let users = deletes.get(eventId);
      if (!users) deletes.set(eventId, (users = []));
      users.push(userId);
    } else if (row && after && (row.role !== after || row.own_role !== ownRole)) {
      const group = `${eventId}:${after}:${ownRole}`;
      let update = updates.get(group);
      if (!update) updates.set(group, (update = { eventId, role: after, ownRole, userIds: [] }));
      update.userIds.push(userId);
    }
    if (before !== after) changes.push({ eventId, userId, before, after });
  }
  for (let from = 0; from < inserts.length; from += ROWS_PER_STATEMENT) {
    await trx
      .insertInto('event_permissions')
      .values(inserts.slice(from, from + ROWS_PER_STATEMENT))
      .execute();
  }
  for (const [eventId, userIds] of deletes) {
    await trx
      .deleteFrom('event_permissions')
      .where('event_id', '=', eventId)
      .where('user_id', '=', sql<number>`any(${userIds}::int[])`)
      .execute();
  }
  for (const { eventId, role, ownRole, userIds } of updates.values()) {
    await trx
      .updateTable('event_permissions')
      .set({ role, own_role: ownRole, granted_by: actorId })
      .where('event_id', '=', eventId)
      .where('user_id', '=', sql<number>`any(${userIds}::int[])`)
      .execute();
  }
  await recordPermissionChanges(
    trx,
    changes.map((change) => ({
      eventId: change.eventId,
      type: change.before === null ? 'permission.granted' : change.after === null ? 'permission.revoked' : 'permission.updated',
      actorId,
      userId: change.userId,
      role: change.after,
    })),
  );
  return changes;
}

/**
 * The events shared with each of these users (personally or through a team),
 * as SQL rows `(user_id, event_id)`: the free/busy calendar's shared half.
 * Owners are left out (their own events are counted by ownership).
 */
export function sharedEventsOf(userIds: readonly number[]): RawBuilder<{ user_id: number; event_id: number }> {
  return sql<{ user_id: number; event_id: number }>`select p.user_id, p.event_id from event_permissions p
    where p.user_id = any(${sql.val([...userIds])}::int[]) and p.role <> 'OWNER'`;
}
