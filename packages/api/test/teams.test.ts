import { beforeAll, describe, expect, it } from 'vitest';
import { sharesTeamWith } from '../src/services/teams.ts';
import { errorBody, type TestUser } from './support/http.ts';
import { createTeam } from './support/teams.ts';
import { useTestServer } from './support/test-context.ts';

const ctx = useTestServer();
const { api } = ctx;
let ada: TestUser;
let grace: TestUser;
let linus: TestUser;
let stranger: TestUser;

beforeAll(async () => {
  ada = await ctx.user('tada');
  grace = await ctx.user('tgrace');
  linus = await ctx.user('tlinus');
  stranger = await ctx.user('tstranger');
});

const member = (user: TestUser, role: 'ADMIN' | 'MEMBER') => ({ user_id: user.id, username: user.username, role });
const adminsOf = (team: { members: Array<{ role: string; user_id: number }> }) =>
  team.members.filter((m) => m.role === 'ADMIN').map((m) => m.user_id);

describe('teams', () => {
  it('creates a team with its creator as admin, lists it and shows it to members only', async () => {
    const created = await api.post('/api/teams', { token: ada.access, body: { name: '  Platform ' } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(Number),
      name: 'Platform',
      members: [member(ada, 'ADMIN')],
      created_at: expect.stringMatching(/Z$/),
    });
    const id = created.body.id as number;

    const mine = await api.get('/api/teams', { token: ada.access });
    expect(mine.status).toBe(200);
    expect(mine.body.map((t: { id: number }) => t.id)).toContain(id);
    expect((await api.get('/api/teams/', { token: stranger.access })).body.map((t: { id: number }) => t.id)).not.toContain(id);

    expect((await api.get(`/api/teams/${id}`, { token: ada.access })).body).toEqual(created.body);
    const hidden = await api.get(`/api/teams/${id}`, { token: stranger.access });
    expect(hidden.status).toBe(404);
    expect(errorBody(hidden).code).toBe('NOT_FOUND');
    expect((await api.get('/api/teams/999999', { token: ada.access })).status).toBe(404);
  });

  it('adds members by id or username, changes a role by adding again, and lets members see the team', async () => {
    const id = await createTeam(api, ada);
    const byId = await api.post(`/api/teams/${id}/members`, { token: ada.access, body: { user_id: grace.id } });
    expect(byId.status).toBe(200);
    expect(byId.body.members).toEqual([member(ada, 'ADMIN'), member(grace, 'MEMBER')]);
    const byName = await api.post(`/api/teams/${id}/members`, { token: ada.access, body: { username: linus.username, role: 'admin' } });
    expect(byName.status).toBe(200);
    expect(adminsOf(byName.body).sort()).toEqual([ada.id, linus.id].sort());
    const promoted = await api.post(`/api/teams/${id}/members`, { token: ada.access, body: { user_id: grace.id, role: 'ADMIN' } });
    expect(promoted.body.members).toContainEqual(member(grace, 'ADMIN'));
    const demoted = await api.post(`/api/teams/${id}/members`, { token: ada.access, body: { user_id: grace.id, role: 'MEMBER' } });
    expect(demoted.body.members).toContainEqual(member(grace, 'MEMBER'));
    const seen = await api.get(`/api/teams/${id}`, { token: grace.access });
    expect(seen.status).toBe(200);
    expect(seen.body.members).toHaveLength(3);
  });

  it('lets only admins manage members; a member may leave', async () => {
    const id = await createTeam(api, ada, [grace, linus]);
    const notAdmin = await api.post(`/api/teams/${id}/members`, { token: grace.access, body: { user_id: stranger.id } });
    expect(notAdmin.status).toBe(403);
    expect(errorBody(notAdmin).code).toBe('FORBIDDEN');
    expect((await api.delete(`/api/teams/${id}/members/${linus.id}`, { token: grace.access })).status).toBe(403);
    expect((await api.post(`/api/teams/${id}/members`, { token: stranger.access, body: { user_id: stranger.id } })).status).toBe(404);
    expect((await api.delete(`/api/teams/${id}`, { token: grace.access })).status).toBe(403);

    const left = await api.delete(`/api/teams/${id}/members/${grace.id}`, { token: grace.access });
    expect(left.status).toBe(200);
    expect(left.body.members.map((m: { user_id: number }) => m.user_id)).not.toContain(grace.id);
    expect((await api.get(`/api/teams/${id}`, { token: grace.access })).status).toBe(404);
    const removed = await api.delete(`/api/teams/${id}/members/${linus.id}`, { token: ada.access });
    expect(removed.status).toBe(200);
    expect(removed.body.members).toEqual([member(ada, 'ADMIN')]);
  });

  it('keeps an admin: the last one cannot leave, be removed or be demoted', async () => {
    const id = await createTeam(api, ada, [grace]);
    for (const res of [
      await api.delete(`/api/teams/${id}/members/${ada.id}`, { token: ada.access }),
      await api.post(`/api/teams/${id}/members`, { token: ada.access, body: { user_id: ada.id, role: 'MEMBER' } }),
    ]) {
      expect(res.status).toBe(400);
      expect(errorBody(res)).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ path: 'user_id' }] });
    }
    await api.post(`/api/teams/${id}/members`, { token: ada.access, body: { user_id: grace.id, role: 'ADMIN' } });
    expect((await api.delete(`/api/teams/${id}/members/${ada.id}`, { token: ada.access })).status).toBe(200);
    const lastOne = await api.delete(`/api/teams/${id}/members/${grace.id}`, { token: grace.access });
    expect(lastOne.status).toBe(400);
    expect(adminsOf((await api.get(`/api/teams/${id}`, { token: grace.access })).body)).toEqual([grace.id]);
  });

  it('two admins removing each other at once leave exactly one admin', async () => {
    for (let round = 0; round < 3; round += 1) {
      const id = await createTeam(api, ada, [grace]);
      await api.post(`/api/teams/${id}/members`, { token: ada.access, body: { user_id: grace.id, role: 'ADMIN' } });
      const [a, g] = await Promise.all([
        api.delete(`/api/teams/${id}/members/${grace.id}`, { token: ada.access }),
        api.delete(`/api/teams/${id}/members/${ada.id}`, { token: grace.access }),
      ]);
      expect([a.status, g.status].filter((s) => s === 200)).toHaveLength(1);
      expect([400, 404]).toContain(a.status === 200 ? g.status : a.status);
      const survivor = a.status === 200 ? ada : grace;
      const team = await api.get(`/api/teams/${id}`, { token: survivor.access });
      expect(team.body.members).toEqual([member(survivor, 'ADMIN')]);
    }
  });

  it('deletes a team (admins only)', async () => {
    const id = await createTeam(api, ada, [grace]);
    const res = await api.delete(`/api/teams/${id}`, { token: ada.access });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: 'Team deleted' });
    expect((await api.get(`/api/teams/${id}`, { token: ada.access })).status).toBe(404);
    expect((await api.get(`/api/teams/${id}`, { token: grace.access })).status).toBe(404);
    expect((await api.delete(`/api/teams/${id}`, { token: ada.access })).status).toBe(404);
  });

  it('refuses bad input with 400 and unknown users or members with 404', async () => {
    const id = await createTeam(api, ada);
    for (const name of ['', '   ', 'x'.repeat(101)]) {
      const res = await api.post('/api/teams', { token: ada.access, body: { name } });
      expect(res.status).toBe(400);
      expect(errorBody(res).details?.[0]?.path).toBe('name');
    }
    expect((await api.post('/api/teams', { token: ada.access, body: {} })).status).toBe(400);
    const badRole = await api.post(`/api/teams/${id}/members`, { token: ada.access, body: { user_id: grace.id, role: 'OWNER' } });
    expect(badRole.status).toBe(400);
    expect(errorBody(badRole).details?.[0]?.path).toBe('role');
    expect((await api.post(`/api/teams/${id}/members`, { token: ada.access, body: { role: 'MEMBER' } })).status).toBe(400);
    const unknown = await api.post(`/api/teams/${id}/members`, { token: ada.access, body: { user_id: 999999 } });
    expect(unknown.status).toBe(404);
    expect((await api.post(`/api/teams/${id}/members`, { token: ada.access, body: { username: 'nobody-at-all' } })).status).toBe(404);
    expect((await api.delete(`/api/teams/${id}/members/${stranger.id}`, { token: ada.access })).status).toBe(404);
    expect((await api.get('/api/teams/abc', { token: ada.access })).status).toBe(400);
    expect((await api.get('/api/teams')).status).toBe(401);
  });

  it('records every team action in the audit log', async () => {
    const id = await createTeam(api, linus, [grace]);
    await api.post(`/api/teams/${id}/members`, { token: linus.access, body: { user_id: grace.id, role: 'ADMIN' } });
    await api.delete(`/api/teams/${id}/members/${grace.id}`, { token: linus.access });
    await api.delete(`/api/teams/${id}`, { token: linus.access });
    const log = await api.get('/api/audit?page_size=100', { token: linus.access });
    const actions = log.body.results
      .filter((r: { target_type: string; target_id: string }) => r.target_type === 'team' && r.target_id === String(id))
      .map((r: { action: string }) => r.action);
    expect(actions.sort()).toEqual(['team.create', 'team.delete', 'team.member_add', 'team.member_remove', 'team.member_update'].sort());
  });

  it('tells which users share a team with someone (free/busy asks only about teammates)', async () => {
    const [a, b, c, d] = [await ctx.user('tsa'), await ctx.user('tsb'), await ctx.user('tsc'), await ctx.user('tsd')];
    await createTeam(api, a, [b]);
    const other = await createTeam(api, c, [a]);
    await createTeam(api, d);
    const db = ctx.server.database.db;
    expect([...(await sharesTeamWith(db, a.id, [a.id, b.id, c.id, d.id]))].sort()).toEqual([a.id, b.id, c.id].sort());
    expect([...(await sharesTeamWith(db, b.id, [a.id, c.id, d.id]))]).toEqual([a.id]);
    expect([...(await sharesTeamWith(db, d.id, [a.id, b.id]))]).toEqual([]);
    await api.delete(`/api/teams/${other}/members/${a.id}`, { token: a.access });
    expect([...(await sharesTeamWith(db, a.id, [c.id]))]).toEqual([]);
  });
});
