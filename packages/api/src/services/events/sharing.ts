import type { Database, Role } from '@scheduler/db';
import type { TShareInput } from '@scheduler/shared';
import type { Kysely } from 'kysely';
import { AppError, validation } from '../../errors.ts';
import { audit } from '../audit.ts';
import { lockTeamOf } from '../teams.ts';
import type { Actor, ServiceDeps } from '../types.ts';
import { inTransaction } from '../write.ts';
import { checkAccess, loadEventFor, roleOf, rolesOf, settleGrants, type OwnGrant } from './access.ts';
import { forgetRsvps } from './rsvp.ts';
import { permissionsOf } from './event-service.ts';

type Grant = { user_id?: number | undefined; username?: string | undefined; role: 'EDITOR' | 'VIEWER' };
type UserName = { user_id?: number | undefined; username?: string | undefined };

/** Seed 001 sends `{users:[...]}`, seed 000 a single `{user_id, role}`; `{teams:[...]}` alone grants to teams only. */
function grantsOf(input: TShareInput): Grant[] {
  if (input.users) return input.users;
  if (input.user_id === undefined && input.username === undefined) {
    if (input.teams) return [];
    throw validation('users', 'is required (or user_id and role, or teams)', 'users: give users:[{user_id, role}] or user_id and role');
  }
  if (!input.role) {
    throw validation('role', 'is required');
  }
  return [{ user_id: input.user_id, username: input.username, role: input.role }];
}

/** The user an input names by `user_id` or `username`; 404 when there is none. */
export async function resolveUser(db: Kysely<Database>, grant: UserName): Promise<{ id: number; username: string }> {
  const [user] = await findUsers(db, [grant]);
  return user ?? userNotFound(grant);
}

const userNotFound = (name: UserName): never => {
  throw new AppError('NOT_FOUND', `User ${name.user_id ?? name.username} not found`);
};

/** The users some inputs name, in the same order (undefined: no such user), read with at most two queries. */
async function findUsers(db: Kysely<Database>, names: readonly UserName[]): Promise<Array<{ id: number; username: string } | undefined>> {
  const ids = [...new Set(names.flatMap((n) => (n.user_id !== undefined ? [n.user_id] : [])))];
  const usernames = [...new Set(names.flatMap((n) => (n.user_id === undefined && n.username !== undefined ? [n.username] : [])))];
  const byId = ids.length ? await db.selectFrom('users').select(['id', 'username']).where('id', 'in', ids).execute() : [];
  const byName = usernames.length
    ? await db.selectFrom('users').select(['id', 'username']).where('username', 'in', usernames).execute()
    : [];
  const idMap = new Map(byId.map((u) => [u.id, u]));
  const nameMap = new Map(byName.map((u) => [u.username, u]));
  return names.map((n) => (n.user_id !== undefined ? idMap.get(n.user_id) : nameMap.get(n.username!)));
}

const STRENGTH: Record<Role, number> = { OWNER: 3, EDITOR: 2, VIEWER: 1 };

/**
 * Grants a user their own role on an event, inside the caller's transaction,
 * through `settleGrants` (the permission row, the feed row that is also the
 * history of permissions, the role cache) and, for someone who had no access,
 * a fresh RSVP. The path an accepted invitation grants through. `keepStronger`:
 * a user who already holds an equal or stronger role keeps it. The caller has
 * checked the event.
 */
export async function grantPersonalRole(
  trx: Kysely<Database>,
  grant: { eventId: number; userId: number; role: Exclude<Role, 'OWNER'>; actorId: number; keepStronger?: boolean },
): Promise<'granted' | 'updated' | 'unchanged'> {
  const existing = await trx
    .selectFrom('event_permissions')
    .select(['role', 'own_role'])
    .where('event_id', '=', grant.eventId)
    .where('user_id', '=', grant.userId)
    .executeTakeFirst();
  if (existing && (existing.own_role === grant.role || (grant.keepStronger && STRENGTH[existing.role] >= STRENGTH[grant.role]))) {
    return 'unchanged';
  }
  // An answer given before access was lost does not come back with a new grant.
  if ((await roleOf(trx, grant.eventId, { id: grant.userId })) === null) await forgetRsvps(trx, grant.eventId, [grant.userId]);
  await settleGrants(trx, grant.actorId, { eventIds: [grant.eventId], userIds: [grant.userId] }, [
    { eventId: grant.eventId, userId: grant.userId, role: grant.role },
  ]);
  return existing ? 'updated' : 'granted';
}

/**
 * Shares an event with users (their own grant) and with teams (the team's
 * grant), then settles effective access. Also the path other features grant
 * through (an accepted invitation).
 */
export async function shareEvent(deps: ServiceDeps, actor: Actor, input: TShareInput) {
  const grants = grantsOf(input);
  const teamGrants = input.teams ?? [];
  return inTransaction(deps, async (trx) => {
    // Teams are locked before the event (the order every team write takes), after a first check of the event.
    if (teamGrants.length > 0) {
      await loadEventFor(trx, input.id, actor, 'share');
      for (const teamId of [...new Set(teamGrants.map((g) => g.team_id))].sort((a, b) => a - b)) await lockTeamOf(trx, teamId, actor.id);
    }
    const { event } = await loadEventFor(trx, input.id, actor, 'share', { forUpdate: true });
    const own: OwnGrant[] = [];
    const found = await findUsers(trx, grants);
    // Refused in the order given: a missing user or the owner, whichever comes first.
    for (const [i, grant] of grants.entries()) {
      const user = found[i] ?? userNotFound(grant);
      if (user.id === actor.id || user.id === event.owner_id) {
        throw validation('users', 'cannot include the owner', 'users: you cannot share an event with its owner');
      }
      own.push({ eventId: event.id, userId: user.id, role: grant.role });
    }
    // An answer given before access was lost does not come back with a new grant.
    const userIds = [...new Set(own.map((g) => g.userId))];
    const holders = await rolesOf(trx, event.id, userIds);
    await forgetRsvps(
      trx,
      event.id,
      userIds.filter((id) => !holders.has(id)),
    );
    const members = new Set<number>();
    for (const grant of teamGrants) {
      await trx
        .insertInto('event_team_grants')
        .values({ event_id: event.id, team_id: grant.team_id, role: grant.role, granted_by: actor.id })
        .onConflict((oc) => oc.columns(['event_id', 'team_id']).doUpdateSet({ role: grant.role, granted_by: actor.id }))
        .execute();
      for (const m of await trx.selectFrom('team_members').select('user_id').where('team_id', '=', grant.team_id).execute()) {
        members.add(m.user_id);
      }
    }
    // Audit rows first: settling writes the feed rows, whose lock is held until the commit.
    if (grants.length > 0) await audit(trx, deps.meta, { userId: actor.id, action: 'share', targetType: 'event', targetId: event.id });
    if (teamGrants.length > 0)
      await audit(trx, deps.meta, { userId: actor.id, action: 'share.team', targetType: 'event', targetId: event.id });
    await settleGrants(trx, actor.id, { eventIds: [event.id], userIds: members }, own);
    const permissions = (await permissionsOf(trx, event.id)).map(({ granted_at: _, ...p }) => p);
    return { message: 'Event shared successfully', permissions };
  });
}

export async function listParticipants(db: Kysely<Database>, actor: Actor, eventId: number) {
  await checkAccess(db, eventId, actor, 'read');
  const teams = await db
    .selectFrom('event_team_grants as g')
    .innerJoin('teams as t', 't.id', 'g.team_id')
    .select(['g.team_id', 't.name', 'g.role'])
    .where('g.event_id', '=', eventId)
    .orderBy('t.name')
    .orderBy('g.team_id')
    .execute();
  return { participants: await permissionsOf(db, eventId), teams };
}

async function targetPermission(trx: Kysely<Database>, eventId: number, userId: number): Promise<{ role: Role; own_role: Role | null }> {
  const row = await trx
    .selectFrom('event_permissions')
    .select(['role', 'own_role'])
    .where('event_id', '=', eventId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND', 'That user has no permission on this event');
  if (row.role === 'OWNER') {
    throw validation('user_id', 'is the owner', 'The owner’s role cannot be changed or removed');
  }
  return row;
}

/** Sets a user's own grant (one who is there only through a team gets one); answers their effective role. */
export async function updatePermission(deps: ServiceDeps, actor: Actor, input: { id: number; user_id: number; role: 'EDITOR' | 'VIEWER' }) {
  return inTransaction(deps, async (trx) => {
    await loadEventFor(trx, input.id, actor, 'manage_permissions', { forUpdate: true });
    const target = await targetPermission(trx, input.id, input.user_id);
    await audit(trx, deps.meta, { userId: actor.id, action: 'permission.update', targetType: 'event', targetId: input.id });
    const [changed] = await settleGrants(trx, actor.id, { eventIds: [input.id], userIds: [] }, [
      { eventId: input.id, userId: input.user_id, role: input.role },
    ]);
    return { message: 'User permission updated', user_id: input.user_id, role: changed?.after ?? target.role };
  });
}

/**
 * Removes a user's own grant. The owner removes anyone but themselves; anyone
 * else may remove only themselves (leave). A team's grant stays: access
 * through a team ends by leaving the team or by removing the team's grant.
 */
export async function removePermission(deps: ServiceDeps, actor: Actor, input: { id: number; user_id: number }) {
  return inTransaction(deps, async (trx) => {
    const leaving = input.user_id === actor.id;
    await loadEventFor(trx, input.id, actor, leaving ? 'read' : 'manage_permissions', { forUpdate: true });
    const target = await targetPermission(trx, input.id, input.user_id);
    if (target.own_role === null) {
      throw validation(
        'user_id',
        'has access only through a team',
        'That user’s access comes from a team: remove the team’s grant, or leave the team',
      );
    }
    await audit(trx, deps.meta, { userId: actor.id, action: 'permission.remove', targetType: 'event', targetId: input.id });
    await settleGrants(trx, actor.id, { eventIds: [input.id], userIds: [] }, [{ eventId: input.id, userId: input.user_id, role: null }]);
    return { message: 'User removed from the event.' };
  });
}

/** Removes a team's grant on an event (owner only); its members keep what other grants give them. */
export async function removeTeamGrant(deps: ServiceDeps, actor: Actor, input: { id: number; team_id: number }) {
  return inTransaction(deps, async (trx) => {
    await loadEventFor(trx, input.id, actor, 'manage_permissions');
    // Same lock order as every team write: the team, then the event.
    await trx.selectFrom('teams').select('id').where('id', '=', input.team_id).forUpdate().executeTakeFirst();
    await loadEventFor(trx, input.id, actor, 'manage_permissions', { forUpdate: true });
    const removed = await trx
      .deleteFrom('event_team_grants')
      .where('event_id', '=', input.id)
      .where('team_id', '=', input.team_id)
      .returning('team_id')
      .executeTakeFirst();
    if (!removed) throw new AppError('NOT_FOUND', 'That team has no grant on this event');
    const members = await trx.selectFrom('team_members').select('user_id').where('team_id', '=', input.team_id).execute();
    await audit(trx, deps.meta, { userId: actor.id, action: 'permission.team_remove', targetType: 'event', targetId: input.id });
    await settleGrants(trx, actor.id, { eventIds: [input.id], userIds: members.map((m) => m.user_id) });
    return { message: 'Team removed from the event.' };
  });
}
