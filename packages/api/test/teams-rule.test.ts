import type { DatabaseHandle, Role } from '@scheduler/db';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.ts';
import { effectiveRole } from '../src/services/events/access.ts';
import { removePermission, removeTeamGrant, shareEvent } from '../src/services/events/sharing.ts';
import { addMember, createTeam, removeMember } from '../src/services/teams.ts';
import type { Actor, ServiceDeps } from '../src/services/types.ts';
import { uniqueName } from './support/http.ts';
import { openTestDatabase } from './support/server.ts';

/**
 * The access rule has two forms: `effectiveRole` (in memory) and the rows of
 * event_permissions that every query joins (kept by `settleGrants` as grants
 * and memberships change). Random sequences of real writes against a real
 * database must leave the rows equal to the rule applied to the grants, and
 * the history of permissions (the feed) ending at the same role.
 */
let database: DatabaseHandle;
let deps: ServiceDeps;

beforeAll(async () => {
  database = await openTestDatabase();
  deps = { db: database.db, meta: { requestId: 'rule', ip: null } };
});
afterAll(async () => {
  await database.close();
});

const USERS = 3;
const EVENTS = 2;
const TEAMS = 2;
const grantRole = fc.constantFrom<'EDITOR' | 'VIEWER'>('EDITOR', 'VIEWER');
/** Users 0 and 1 own an event and created a team each; user 2 starts in both teams and is picked most. */
const user = fc.oneof({ arbitrary: fc.constant(2), weight: 2 }, { arbitrary: fc.nat({ max: USERS - 1 }), weight: 2 });
const eventIx = fc.nat({ max: EVENTS - 1 });
const teamIx = fc.nat({ max: TEAMS - 1 });
/** Who changes a team's members: mostly its creator (an admin), sometimes anyone. */
const teamActor = fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, { arbitrary: user, weight: 1 });
const operation = fc.oneof(
  fc.record({ op: fc.constant('share' as const), event: eventIx, user, role: grantRole }),
  fc.record({ op: fc.constant('unshare' as const), event: eventIx, user }),
  fc.record({ op: fc.constant('shareTeam' as const), event: eventIx, team: teamIx, role: grantRole }),
  fc.record({ op: fc.constant('unshareTeam' as const), event: eventIx, team: teamIx }),
  fc.record({ op: fc.constant('join' as const), team: teamIx, actor: teamActor, user, admin: fc.boolean() }),
  fc.record({ op: fc.constant('leave' as const), team: teamIx, actor: teamActor, user }),
);

async function world() {
  const users: Actor[] = [];
  for (let i = 0; i < USERS; i += 1) {
    const username = uniqueName('rule');
    const row = await database.db
      .insertInto('users')
      .values({ username, email: `${username}@example.com`, password_hash: 'x' })
      .returning('id')
      .executeTakeFirstOrThrow();
    users.push({ id: row.id, username });
  }
  const events: Array<{ id: number; owner: number }> = [];
  for (let i = 0; i < EVENTS; i += 1) {
    const owner = i % 2;
    const row = await database.db
      .insertInto('events')
      .values({
        owner_id: users[owner]!.id,
        title: `Rule ${i}`,
        description: '',
        start_time: new Date('2045-01-01T00:00:00Z'),
        end_time: new Date('2045-01-01T01:00:00Z'),
        location: null,
        timezone: 'UTC',
        is_recurring: false,
        recurrence_pattern: null,
        rrule: null,
        series_end: new Date('2045-01-01T01:00:00Z'),
        version: 1,
        updated_at: new Date(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await database.db
      .insertInto('event_permissions')
      .values({ event_id: row.id, user_id: users[owner]!.id, role: 'OWNER', own_role: 'OWNER', granted_by: users[owner]!.id })
      .execute();
    events.push({ id: row.id, owner });
  }
  const teams: number[] = [];
  for (let i = 0; i < TEAMS; i += 1) {
    teams.push((await createTeam(deps, users[i]!, { name: `Rule team ${i}` })).id);
    await addMember(deps, users[i]!, { id: teams[i]!, user_id: users[2]!.id });
  }
  return { users, events, teams };
}

/** Runs a write; a refusal (AppError) is an answer like any other, anything else fails the property. */
async function attempt(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (error instanceof AppError) return false;
    throw error;
  }
}

describe('the access rule', () => {
  it('effectiveRole is the highest grant', () => {
    expect(effectiveRole(null, [])).toBeNull();
    expect(effectiveRole('VIEWER', ['EDITOR'])).toBe('EDITOR');
    expect(effectiveRole('EDITOR', ['VIEWER', 'VIEWER'])).toBe('EDITOR');
    expect(effectiveRole(null, ['VIEWER', 'EDITOR'])).toBe('EDITOR');
    expect(effectiveRole('OWNER', ['EDITOR'])).toBe('OWNER');
  });

  it('event_permissions and the feed always equal the rule applied to the grants', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 20 }), async (operations) => {
        const { users, events, teams } = await world();
        // The model: own grants, team grants, memberships, changed only by writes that succeeded.
        const own = new Map<string, Role>();
        const teamGrants = new Map<string, Role>();
        const members = teams.map((_, i) => new Set([i, 2]));
        for (const [i, e] of events.entries()) own.set(`${i}:${e.owner}`, 'OWNER');

        for (const step of operations) {
          if (step.op === 'share') {
            const e = events[step.event]!;
            const ok = await attempt(() =>
              shareEvent(deps, users[e.owner]!, { id: e.id, users: [{ user_id: users[step.user]!.id, role: step.role }] }),
            );
            if (ok) own.set(`${step.event}:${step.user}`, step.role);
          } else if (step.op === 'unshare') {
            const e = events[step.event]!;
            if (await attempt(() => removePermission(deps, users[e.owner]!, { id: e.id, user_id: users[step.user]!.id }))) {
              own.delete(`${step.event}:${step.user}`);
            }
          } else if (step.op === 'shareTeam') {
            const e = events[step.event]!;
            const ok = await attempt(() =>
              shareEvent(deps, users[e.owner]!, { id: e.id, teams: [{ team_id: teams[step.team]!, role: step.role }] }),
            );
            if (ok) teamGrants.set(`${step.event}:${step.team}`, step.role);
          } else if (step.op === 'unshareTeam') {
            const e = events[step.event]!;
            if (await attempt(() => removeTeamGrant(deps, users[e.owner]!, { id: e.id, team_id: teams[step.team]! }))) {
              teamGrants.delete(`${step.event}:${step.team}`);
            }
          } else if (step.op === 'join') {
            const input = { id: teams[step.team]!, user_id: users[step.user]!.id, ...(step.admin ? { role: 'ADMIN' as const } : {}) };
            if (await attempt(() => addMember(deps, users[step.actor ?? step.team]!, input))) members[step.team]!.add(step.user);
          } else {
            const input = { id: teams[step.team]!, user_id: users[step.user]!.id };
            if (await attempt(() => removeMember(deps, users[step.actor ?? step.team]!, input))) members[step.team]!.delete(step.user);
          }
        }

        const eventIds = events.map((e) => e.id);
        const rows = await database.db
          .selectFrom('event_permissions')
          .select(['event_id', 'user_id', 'role', 'own_role'])
          .where('event_id', 'in', eventIds)
          .execute();
        const feed = await database.db
          .selectFrom('changes')
          .select(['event_id', 'subject_user_id', 'role'])
          .where('event_id', 'in', eventIds)
          .where('subject_user_id', 'is not', null)
          .orderBy('id')
          .execute();
        for (const [ei, e] of events.entries()) {
          for (const [ui, u] of users.entries()) {
            const teamRoles = teams.flatMap((_, ti) => {
              const role = teamGrants.get(`${ei}:${ti}`);
              return role && members[ti]!.has(ui) ? [role] : [];
            });
            const expected = effectiveRole(own.get(`${ei}:${ui}`) ?? null, teamRoles);
            const row = rows.find((r) => r.event_id === e.id && r.user_id === u.id);
            expect({ event: ei, user: ui, role: row?.role ?? null, own: row?.own_role ?? null }).toEqual({
              event: ei,
              user: ui,
              role: expected,
              own: expected === null ? null : (own.get(`${ei}:${ui}`) ?? null),
            });
            if (e.owner !== ui) {
              const last = feed.filter((c) => c.event_id === e.id && c.subject_user_id === u.id).at(-1);
              expect(last?.role ?? null).toBe(expected);
            }
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  it('settles a team larger than one statement takes: a grant and a feed row for every member, in order, then none', async () => {
    const { users, events, teams } = await world();
    const admin = users[0]!;
    const event = events[0]!; // owned by users[0]
    const team = teams[0]!;
    const MEMBERS = 1_234;
    const prefix = uniqueName('crowd');
    const crowd = await database.db
      .insertInto('users')
      .values(
        Array.from({ length: MEMBERS }, (_, i) => ({
          username: `${prefix}_${i}`,
          email: `${prefix}_${i}@example.com`,
          password_hash: 'x',
        })),
      )
      .returning('id')
      .execute();
    await database.db
      .insertInto('team_members')
      .values(crowd.map((u) => ({ team_id: team, user_id: u.id, role: 'MEMBER' as const })))
      .execute();
    const crowdIds = crowd.map((u) => u.id).sort((a, b) => a - b);
    const grantsOf = (role: Role | null) =>
      database.db
        .selectFrom('event_permissions')
        .select('user_id')
        .where('event_id', '=', event.id)
        .where('user_id', 'in', crowdIds)
        .$if(role !== null, (q) => q.where('role', '=', role!))
        .orderBy('user_id')
        .execute();
    const feedOf = (type: string) =>
      database.db
        .selectFrom('changes')
        .select(['subject_user_id', 'role'])
        .where('event_id', '=', event.id)
        .where('type', '=', type as never)
        .where('subject_user_id', 'in', crowdIds)
        .orderBy('id')
        .execute();

    await shareEvent(deps, admin, { id: event.id, teams: [{ team_id: team, role: 'VIEWER' }] });
    expect((await grantsOf('VIEWER')).map((r) => r.user_id)).toEqual(crowdIds);
    expect(await feedOf('permission.granted')).toEqual(crowdIds.map((id) => ({ subject_user_id: id, role: 'VIEWER' })));

    await shareEvent(deps, admin, { id: event.id, teams: [{ team_id: team, role: 'EDITOR' }] });
    expect((await grantsOf('EDITOR')).map((r) => r.user_id)).toEqual(crowdIds);
    expect(await feedOf('permission.updated')).toEqual(crowdIds.map((id) => ({ subject_user_id: id, role: 'EDITOR' })));

    await removeTeamGrant(deps, admin, { id: event.id, team_id: team });
    expect(await grantsOf(null)).toEqual([]);
    expect(await feedOf('permission.revoked')).toEqual(crowdIds.map((id) => ({ subject_user_id: id, role: null })));
  });
});
