import { beforeAll, describe, expect, it } from 'vitest';
import { createEvent } from './support/events.ts';
import { errorBody, type TestUser } from './support/http.ts';
import { addTeamMember, createTeam, shareWithTeam } from './support/teams.ts';
import { useTestServer } from './support/test-context.ts';

/** A team's grant on an event reaches its members like a personal grant; the highest grant wins. */
const ctx = useTestServer();
const { api } = ctx;
let owner: TestUser;
let editor: TestUser;
let viewer: TestUser;
let outsider: TestUser;

beforeAll(async () => {
  owner = await ctx.user('taown');
  editor = await ctx.user('taedit');
  viewer = await ctx.user('taview');
  outsider = await ctx.user('taout');
});

const roleOf = async (user: TestUser, eventId: number) => {
  const res = await api.get(`/api/events/${eventId}`, { token: user.access });
  return res.status === 200 ? (res.body.my_role as string) : res.status;
};
const listed = async (user: TestUser) =>
  (await api.get('/api/events?page_size=100', { token: user.access })).body.results.map((e: { id: number }) => e.id) as number[];
const feedOf = async (user: TestUser, cursor: string) => (await api.get(`/api/sync?cursor=${cursor}`, { token: user.access })).body;

describe('sharing with a team', () => {
  it('lets members read or edit per the team’s role, lists the event for them, and hides it from others', async () => {
    const editors = await createTeam(api, owner, [editor], 'Editors');
    const viewers = await createTeam(api, owner, [viewer], 'Viewers');
    const event = await createEvent(api, owner, { title: 'Team planning' });
    const res = await api.post(`/api/events/${event.id}/share`, {
      token: owner.access,
      body: {
        teams: [
          { team_id: editors, role: 'editor' },
          { team_id: viewers, role: 'VIEWER' },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.permissions).toEqual([
      { user_id: owner.id, username: owner.username, role: 'OWNER' },
      { user_id: editor.id, username: editor.username, role: 'EDITOR' },
      { user_id: viewer.id, username: viewer.username, role: 'VIEWER' },
    ]);
    expect(await roleOf(editor, event.id)).toBe('EDITOR');
    expect(await roleOf(viewer, event.id)).toBe('VIEWER');
    expect(await roleOf(outsider, event.id)).toBe(404);
    expect((await api.put(`/api/events/${event.id}`, { token: editor.access, body: { title: 'Edited by a team' } })).status).toBe(200);
    const denied = await api.put(`/api/events/${event.id}`, { token: viewer.access, body: { title: 'nope' } });
    expect(denied.status).toBe(403);
    expect(
      (await api.post(`/api/events/${event.id}/share`, { token: editor.access, body: { user_id: outsider.id, role: 'VIEWER' } })).status,
    ).toBe(403);
    expect(await listed(editor)).toContain(event.id);
    expect(await listed(viewer)).toContain(event.id);
    expect(await listed(outsider)).not.toContain(event.id);

    const perms = await api.get(`/api/events/${event.id}/permissions`, { token: viewer.access });
    expect(perms.status).toBe(200);
    expect(perms.body.teams).toEqual([
      { team_id: editors, name: 'Editors', role: 'EDITOR' },
      { team_id: viewers, name: 'Viewers', role: 'VIEWER' },
    ]);
    expect(perms.body.participants.map((p: { user_id: number; role: string }) => [p.user_id, p.role])).toEqual([
      [owner.id, 'OWNER'],
      [editor.id, 'EDITOR'],
      [viewer.id, 'VIEWER'],
    ]);
  });

  it('grants a joining member the team’s events at once and takes them back on leaving', async () => {
    const team = await createTeam(api, owner, [], 'Joiners');
    const event = await createEvent(api, owner);
    await shareWithTeam(api, owner, event.id, team, 'VIEWER');
    expect(await roleOf(outsider, event.id)).toBe(404);
    await addTeamMember(api, owner, team, outsider);
    expect(await roleOf(outsider, event.id)).toBe('VIEWER');
    expect(await listed(outsider)).toContain(event.id);
    expect((await api.delete(`/api/teams/${team}/members/${outsider.id}`, { token: outsider.access })).status).toBe(200);
    expect(await roleOf(outsider, event.id)).toBe(404);
    expect(await listed(outsider)).not.toContain(event.id);
  });

  it('gives the highest of the own grant and the team grants, and falls back when one goes', async () => {
    const team = await createTeam(api, owner, [viewer], 'Highest');
    const event = await createEvent(api, owner);
    await ctx.share(owner, event.id, viewer, 'VIEWER');
    const start = (await api.get('/api/sync', { token: viewer.access })).body.next_cursor as string;
    await shareWithTeam(api, owner, event.id, team, 'EDITOR');
    expect(await roleOf(viewer, event.id)).toBe('EDITOR');
    // Setting the own grant answers the effective role, which the team's grant keeps at EDITOR.
    const put = await api.put(`/api/events/${event.id}/permissions/${viewer.id}`, { token: owner.access, body: { role: 'VIEWER' } });
    expect(put.body).toEqual({ message: 'User permission updated', user_id: viewer.id, role: 'EDITOR' });

    const afterShare = (await api.get('/api/sync', { token: viewer.access })).body.next_cursor as string;
    const removed = await api.delete(`/api/events/${event.id}/teams/${team}`, { token: owner.access });
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({ message: 'Team removed from the event.' });
    expect(await roleOf(viewer, event.id)).toBe('VIEWER');
    expect((await api.get(`/api/events/${event.id}/permissions`, { token: viewer.access })).body.teams).toEqual([]);
    // Back to VIEWER is an update of access, not a revocation: sync still has the event.
    const changes = (await feedOf(viewer, afterShare)).changes as Array<{ event_id: number; type: string }>;
    expect(changes.filter((c) => c.event_id === event.id).map((c) => c.type)).toEqual(['upsert']);
    expect((await feedOf(viewer, start)).changes.map((c: { type: string }) => c.type)).not.toContain('removed');

    // Removing the own grant while the team's remains keeps the team's role.
    await shareWithTeam(api, owner, event.id, team, 'VIEWER');
    await api.put(`/api/events/${event.id}/permissions/${viewer.id}`, { token: owner.access, body: { role: 'EDITOR' } });
    expect(await roleOf(viewer, event.id)).toBe('EDITOR');
    expect((await api.delete(`/api/events/${event.id}/permissions/${viewer.id}`, { token: owner.access })).status).toBe(200);
    expect(await roleOf(viewer, event.id)).toBe('VIEWER');
    const teamOnly = await api.delete(`/api/events/${event.id}/permissions/${viewer.id}`, { token: owner.access });
    expect(teamOnly.status).toBe(400);
    expect(await roleOf(viewer, event.id)).toBe('VIEWER');
  });

  it('reports the change of role in the history of permissions: granted, updated, revoked', async () => {
    const team = await createTeam(api, owner, [editor], 'History');
    const event = await createEvent(api, owner);
    await ctx.share(owner, event.id, editor, 'VIEWER');
    const before = await api.get(`/api/events/${event.id}/permissions`, { token: owner.access });
    expect(before.body.participants.find((p: { user_id: number }) => p.user_id === editor.id).role).toBe('VIEWER');
    await shareWithTeam(api, owner, event.id, team, 'EDITOR');
    const stream = (await api.get('/api/sync', { token: editor.access })).body.next_cursor as string;
    await api.delete(`/api/events/${event.id}/permissions/${editor.id}`, { token: owner.access });
    expect(await roleOf(editor, event.id)).toBe('EDITOR');
    await api.delete(`/api/teams/${team}/members/${editor.id}`, { token: owner.access });
    expect(await roleOf(editor, event.id)).toBe(404);
    const changes = (await feedOf(editor, stream)).changes as Array<{ event_id: number; type: string }>;
    expect(changes.filter((c) => c.event_id === event.id).map((c) => c.type)).toEqual(['removed']);
  });

  it('after leaving the team: sync says removed, as_of and history answer 404', async () => {
    const team = await createTeam(api, owner, [outsider], 'Leavers');
    const event = await createEvent(api, owner, { title: 'Seen once' });
    await shareWithTeam(api, owner, event.id, team, 'VIEWER');
    const cursor = (await api.get('/api/sync', { token: outsider.access })).body.next_cursor as string;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const whileMember = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const then = await api.get(`/api/events/${event.id}?as_of=${encodeURIComponent(whileMember)}`, { token: outsider.access });
    expect(then.status).toBe(200);
    expect(then.body).toMatchObject({ title: 'Seen once', my_role: 'VIEWER' });

    expect((await api.delete(`/api/teams/${team}/members/${outsider.id}`, { token: outsider.access })).status).toBe(200);
    const changes = (await feedOf(outsider, cursor)).changes as Array<{ event_id: number; type: string; event?: unknown }>;
    expect(changes.filter((c) => c.event_id === event.id)).toEqual([
      { event_id: event.id, version_id: expect.any(Number), type: 'removed' },
    ]);
    const asOf = await api.get(`/api/events/${event.id}?as_of=${encodeURIComponent(whileMember)}`, { token: outsider.access });
    expect(asOf.status).toBe(404);
    expect(errorBody(asOf).code).toBe('NOT_FOUND');
    expect((await api.get(`/api/events/${event.id}/history`, { token: outsider.access })).status).toBe(404);
    const listedThen = await api.get(`/api/events?as_of=${encodeURIComponent(whileMember)}`, { token: outsider.access });
    expect(listedThen.body.results.map((e: { id: number }) => e.id)).not.toContain(event.id);
  });

  it('deleting a team revokes its grants', async () => {
    const team = await createTeam(api, owner, [outsider], 'Doomed');
    const event = await createEvent(api, owner);
    await shareWithTeam(api, owner, event.id, team, 'EDITOR');
    expect(await roleOf(outsider, event.id)).toBe('EDITOR');
    expect((await api.delete(`/api/teams/${team}`, { token: owner.access })).status).toBe(200);
    expect(await roleOf(outsider, event.id)).toBe(404);
    expect((await api.get(`/api/events/${event.id}/permissions`, { token: owner.access })).body).toMatchObject({ teams: [] });
  });

  it('refuses team shares that are not the owner’s, to teams the owner is not in, or with bad roles', async () => {
    const mine = await createTeam(api, owner, [editor], 'Mine');
    const theirs = await createTeam(api, outsider, [], 'Theirs');
    const event = await createEvent(api, owner);
    await shareWithTeam(api, owner, event.id, mine, 'EDITOR');
    const notOwner = await api.post(`/api/events/${event.id}/share`, {
      token: editor.access,
      body: { teams: [{ team_id: mine, role: 'VIEWER' }] },
    });
    expect(notOwner.status).toBe(403);
    const notMember = await api.post(`/api/events/${event.id}/share`, {
      token: owner.access,
      body: { teams: [{ team_id: theirs, role: 'VIEWER' }] },
    });
    expect(notMember.status).toBe(404);
    expect(errorBody(notMember).error).toBe('Team not found');
    expect(await roleOf(outsider, event.id)).toBe(404);
    const unknown = await api.post(`/api/events/${event.id}/share`, {
      token: owner.access,
      body: { teams: [{ team_id: 999999, role: 'VIEWER' }] },
    });
    expect(unknown.status).toBe(404);
    const badRole = await api.post(`/api/events/${event.id}/share`, {
      token: owner.access,
      body: { teams: [{ team_id: mine, role: 'OWNER' }] },
    });
    expect(badRole.status).toBe(400);
    expect(errorBody(badRole).details?.[0]?.path).toBe('teams.0.role');
    expect((await api.post(`/api/events/${event.id}/share`, { token: owner.access, body: { teams: [] } })).status).toBe(400);
    // A failed share with users and teams leaves nothing behind.
    const mixed = await api.post(`/api/events/${event.id}/share`, {
      token: owner.access,
      body: { users: [{ user_id: outsider.id, role: 'VIEWER' }], teams: [{ team_id: theirs, role: 'VIEWER' }] },
    });
    expect(mixed.status).toBe(404);
    expect(await roleOf(outsider, event.id)).toBe(404);
    expect((await api.delete(`/api/events/${event.id}/teams/${theirs}`, { token: owner.access })).status).toBe(404);
    expect((await api.delete(`/api/events/${event.id}/teams/${mine}`, { token: editor.access })).status).toBe(403);
    expect((await api.delete(`/api/events/${event.id}/teams/${mine}`, { token: outsider.access })).status).toBe(404);
    const log = await api.get('/api/audit?page_size=100', { token: owner.access });
    expect(log.body.results.map((r: { action: string }) => r.action)).toContain('share.team');
  });
});
