import type { ApiClient, TestUser } from './http.ts';

/** Creates a team whose admin is `admin` and adds `members` (as MEMBER unless told). */
export async function createTeam(api: ApiClient, admin: TestUser, members: TestUser[] = [], name = 'Team') {
  const res = await api.post('/api/teams', { token: admin.access, body: { name } });
  if (res.status !== 201) throw new Error(`team create failed: ${res.status} ${res.text}`);
  const id = res.body.id as number;
  for (const member of members) await addTeamMember(api, admin, id, member);
  return id;
}

export async function addTeamMember(api: ApiClient, admin: TestUser, teamId: number, user: TestUser, role?: 'ADMIN' | 'MEMBER') {
  const res = await api.post(`/api/teams/${teamId}/members`, {
    token: admin.access,
    body: { user_id: user.id, ...(role ? { role } : {}) },
  });
  if (res.status !== 200) throw new Error(`add member failed: ${res.status} ${res.text}`);
  return res.body;
}

export async function shareWithTeam(api: ApiClient, owner: TestUser, eventId: number, teamId: number, role: 'EDITOR' | 'VIEWER') {
  const res = await api.post(`/api/events/${eventId}/share`, { token: owner.access, body: { teams: [{ team_id: teamId, role }] } });
  if (res.status !== 200) throw new Error(`team share failed: ${res.status} ${res.text}`);
  return res.body;
}
