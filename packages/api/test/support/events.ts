import type { ApiClient, TestUser } from './http.ts';

let counter = 0;

/** A one-hour slot no other test uses, so overlap checks never collide by accident. */
export function freeSlot(durationMinutes = 60): { start_time: string; end_time: string } {
  counter += 1;
  const start = Date.UTC(2040, 0, 1) + counter * 3 * 3_600_000;
  return { start_time: new Date(start).toISOString(), end_time: new Date(start + durationMinutes * 60_000).toISOString() };
}

export async function createEvent(api: ApiClient, owner: TestUser, fields: Record<string, unknown> = {}) {
  const res = await api.post('/api/events', { token: owner.access, body: { title: 'Event', ...freeSlot(), ...fields } });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`);
  return res.body.event as { id: number; version: number; [key: string]: unknown };
}

export async function shareWith(api: ApiClient, owner: TestUser, eventId: number, user: TestUser, role: 'EDITOR' | 'VIEWER') {
  const res = await api.post(`/api/events/${eventId}/share`, { token: owner.access, body: { users: [{ user_id: user.id, role }] } });
  if (res.status !== 200) throw new Error(`share failed: ${res.status} ${res.text}`);
}
