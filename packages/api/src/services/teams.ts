import type { Database, TeamRole } from '@scheduler/db';
import { formatDateTime, type TAddTeamMemberInput, type TTeam } from '@scheduler/shared';
import { sql, type Kysely } from 'kysely';
import { AppError, validation } from '../errors.ts';
import { audit } from './audit.ts';
import { settleGrants } from './events/access.ts';
import type { Actor, ServiceDeps } from './types.ts';
import { inTransaction } from './write.ts';

/**
 * Teams: a team's grant on an event reaches every member (see the access
 * module's `settleGrants`). Every write to a team's members or grants locks
 * the team row first, then the events it touches, so concurrent changes to
 * one team run one after the other and read each other's results.
 */

const teamNotFound = () => new AppError('NOT_FOUND', 'Team not found');

/**
 * Locks a team row for a write and answers the caller's role in it. A team
 * the caller is not a member of does not exist for them (404).
 */
export async function lockTeamOf(trx: Kysely<Database>, teamId: number, userId: number): Promise<TeamRole> {
  const team = await trx.selectFrom('teams').select('id').where('id', '=', teamId).forUpdate().executeTakeFirst();
  if (!team) throw teamNotFound();
  const me = await trx
    .selectFrom('team_members')
    .select('role')
    .where('team_id', '=', teamId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (!me) throw teamNotFound();
  return me.role;
}

async function lockTeamAsAdmin(trx: Kysely<Database>, teamId: number, userId: number): Promise<void> {
  if ((await lockTeamOf(trx, teamId, userId)) !== 'ADMIN') throw new AppError('FORBIDDEN', 'Only a team admin may do this');
}

async function teamsById(db: Kysely<Database>, teamIds: number[]): Promise<TTeam[]> {
  if (teamIds.length === 0) return [];
  const teams = await db.selectFrom('teams').selectAll().where('id', 'in', teamIds).orderBy('name').orderBy('id').execute();
  const members = await db
    .selectFrom('team_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.team_id', 'm.user_id', 'u.username', 'm.role'])
    .where('m.team_id', 'in', teamIds)
    .orderBy(sql`case m.role when 'ADMIN' then 0 else 1 end`)
    .orderBy('u.username')
    .execute();
  return teams.map((t) => ({
    id: t.id,
    name: t.name,
    members: members.filter((m) => m.team_id === t.id).map(({ user_id, username, role }) => ({ user_id, username, role })),
    created_at: formatDateTime(t.created_at),
  }));
}

async function teamView(db: Kysely<Database>, teamId: number): Promise<TTeam> {
  const [team] = await teamsById(db, [teamId]);
  if (!team) throw teamNotFound();
  return team;
}

/** Events a team's grants reach now (deleted events keep their rows as they were). */
async function eventsOfTeam(trx: Kysely<Database>, teamId: number): Promise<number[]> {
  const rows = await trx
    .selectFrom('event_team_grants as g')
    .innerJoin('events as e', 'e.id', 'g.event_id')
    .select('g.event_id')
    .where('g.team_id', '=', teamId)
    .where('e.deleted_at', 'is', null)
    .execute();
  return rows.map((r) => r.event_id);
}

async function adminCount(trx: Kysely<Database>, teamId: number): Promise<number> {
  const row = await trx
    .selectFrom('team_members')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('team_id', '=', teamId)
    .where('role', '=', 'ADMIN')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

const lastAdmin = () =>
  validation('user_id', 'is the team’s last admin', 'A team needs an admin: make someone else admin first, or delete the team');

export async function createTeam(deps: ServiceDeps, actor: Actor, input: { name: string }): Promise<TTeam> {
  return inTransaction(deps, async (trx) => {
    const team = await trx.insertInto('teams').values({ name: input.name, created_by: actor.id }).returning('id').executeTakeFirstOrThrow();
    await trx.insertInto('team_members').values({ team_id: team.id, user_id: actor.id, role: 'ADMIN' }).execute();
    await audit(trx, deps.meta, { userId: actor.id, action: 'team.create', targetType: 'team', targetId: team.id });
    return teamView(trx, team.id);
  });
}

/** The caller's teams. */
export async function listTeams(db: Kysely<Database>, actor: Actor): Promise<TTeam[]> {
  const mine = await db.selectFrom('team_members').select('team_id').where('user_id', '=', actor.id).execute();
  return teamsById(
    db,
    mine.map((m) => m.team_id),
  );
}

/** One team, for its members only. */
export async function getTeam(db: Kysely<Database>, actor: Actor, teamId: number): Promise<TTeam> {
  const me = await db
    .selectFrom('team_members')
    .select('role')
    .where('team_id', '=', teamId)
    .where('user_id', '=', actor.id)
    .executeTakeFirst();
  if (!me) throw teamNotFound();
  return teamView(db, teamId);
}

/** Adds a member (their teams' events reach them at once) or changes an existing member's role. */
export async function addMember(deps: ServiceDeps, actor: Actor, input: TAddTeamMemberInput): Promise<TTeam> {
  if (input.user_id === undefined && input.username === undefined) throw validation('user_id', 'user_id or username is required');
  return inTransaction(deps, async (trx) => {
    await lockTeamAsAdmin(trx, input.id, actor.id);
    let query = trx.selectFrom('users').select('id');
    query = input.user_id !== undefined ? query.where('id', '=', input.user_id) : query.where('username', '=', input.username!);
    const user = await query.executeTakeFirst();
    if (!user) throw new AppError('NOT_FOUND', `User ${input.user_id ?? input.username} not found`);
    const existing = await trx
      .selectFrom('team_members')
      .select('role')
      .where('team_id', '=', input.id)
      .where('user_id', '=', user.id)
      .executeTakeFirst();
    if (existing) {
      if (input.role && input.role !== existing.role) {
        if (existing.role === 'ADMIN' && (await adminCount(trx, input.id)) === 1) throw lastAdmin();
        await trx
          .updateTable('team_members')
          .set({ role: input.role })
          .where('team_id', '=', input.id)
          .where('user_id', '=', user.id)
          .execute();
        await audit(trx, deps.meta, { userId: actor.id, action: 'team.member_update', targetType: 'team', targetId: input.id });
      }
    } else {
      await trx
        .insertInto('team_members')
        .values({ team_id: input.id, user_id: user.id, role: input.role ?? 'MEMBER' })
        .execute();
      // The audit row and the answer first: settling writes the feed rows, whose lock is held until the commit.
      await audit(trx, deps.meta, { userId: actor.id, action: 'team.member_add', targetType: 'team', targetId: input.id });
      const team = await teamView(trx, input.id);
      await settleGrants(trx, actor.id, { eventIds: await eventsOfTeam(trx, input.id), userIds: [user.id] });
      return team;
    }
    return teamView(trx, input.id);
  });
}

/** An admin removes a member, or a member leaves; access through the team ends unless another grant remains. */
export async function removeMember(deps: ServiceDeps, actor: Actor, input: { id: number; user_id: number }): Promise<TTeam> {
  return inTransaction(deps, async (trx) => {
    const myRole = await lockTeamOf(trx, input.id, actor.id);
    if (input.user_id !== actor.id && myRole !== 'ADMIN') throw new AppError('FORBIDDEN', 'Only a team admin may remove other members');
    const target = await trx
      .selectFrom('team_members')
      .select('role')
      .where('team_id', '=', input.id)
      .where('user_id', '=', input.user_id)
      .executeTakeFirst();
    if (!target) throw new AppError('NOT_FOUND', 'That user is not a member of the team');
    if (target.role === 'ADMIN' && (await adminCount(trx, input.id)) === 1) throw lastAdmin();
    await trx.deleteFrom('team_members').where('team_id', '=', input.id).where('user_id', '=', input.user_id).execute();
    await audit(trx, deps.meta, { userId: actor.id, action: 'team.member_remove', targetType: 'team', targetId: input.id });
    const team = await teamView(trx, input.id);
    await settleGrants(trx, actor.id, { eventIds: await eventsOfTeam(trx, input.id), userIds: [input.user_id] });
    return team;
  });
}

/** Deletes a team and its grants; its members keep what other grants give them. */
export async function deleteTeam(deps: ServiceDeps, actor: Actor, teamId: number) {
  return inTransaction(deps, async (trx) => {
    await lockTeamAsAdmin(trx, teamId, actor.id);
    const eventIds = await eventsOfTeam(trx, teamId);
    const members = await trx.selectFrom('team_members').select('user_id').where('team_id', '=', teamId).execute();
    await trx.deleteFrom('event_team_grants').where('team_id', '=', teamId).execute();
    await trx.deleteFrom('team_members').where('team_id', '=', teamId).execute();
    await trx.deleteFrom('teams').where('id', '=', teamId).execute();
    await audit(trx, deps.meta, { userId: actor.id, action: 'team.delete', targetType: 'team', targetId: teamId });
    await settleGrants(trx, actor.id, { eventIds, userIds: members.map((m) => m.user_id) });
    return { message: 'Team deleted' };
  });
}

/**
 * Which of `userIds` share at least one team with `userId` (the caller
 * themselves included), e.g. for who may be asked about free/busy times.
 */
export async function sharesTeamWith(db: Kysely<Database>, userId: number, userIds: readonly number[]): Promise<Set<number>> {
  const others = [...new Set(userIds)];
  const result = new Set<number>(others.includes(userId) ? [userId] : []);
  if (others.length === 0) return result;
  const rows = await db
    .selectFrom('team_members as mine')
    .innerJoin('team_members as theirs', 'theirs.team_id', 'mine.team_id')
    .select('theirs.user_id')
    .distinct()
    .where('mine.user_id', '=', userId)
    .where('theirs.user_id', 'in', others)
    .execute();
  for (const row of rows) result.add(row.user_id);
  return result;
}
