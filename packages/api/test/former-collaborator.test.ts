import { beforeAll, describe, expect, it } from 'vitest';
import { createEvent, shareWith } from './support/events.ts';
import { errorBody, type ApiResponse, type TestUser } from './support/http.ts';
import { useTestServer } from './support/test-context.ts';

/**
 * Access is judged now: someone who lost access to an event reads nothing of
 * it any more, its past included (the event as of a time, the listing as of a
 * time, history, one version, changelog, diff).
 */
const ctx = useTestServer();
const { api } = ctx;
let owner: TestUser;
let removed: TestUser;
let leaver: TestUser;
let stays: TestUser;
let event: { id: number };
let gone: { id: number };
let versionIds: number[];
/** A moment when everyone above could read both events. */
let whileShared: string;

const pause = () => new Promise((resolve) => setTimeout(resolve, 1100));

beforeAll(async () => {
  owner = await ctx.user('nowown');
  removed = await ctx.user('nowrem');
  leaver = await ctx.user('nowlea');
  stays = await ctx.user('nowsta');
  event = await createEvent(api, owner, { title: 'Shared then' });
  gone = await createEvent(api, owner, { title: 'Deleted later' });
  await shareWith(api, owner, event.id, removed, 'VIEWER');
  await shareWith(api, owner, event.id, leaver, 'EDITOR');
  await shareWith(api, owner, event.id, stays, 'VIEWER');
  await shareWith(api, owner, gone.id, stays, 'VIEWER');
  await pause();
  whileShared = new Date().toISOString();
  await pause();
  const updated = await api.patch(`/api/events/${event.id}`, { token: owner.access, body: { title: 'Shared now' } });
  expect(updated.status).toBe(200);
  expect((await api.delete(`/api/events/${event.id}/permissions/${removed.id}`, { token: owner.access })).status).toBe(200);
  expect((await api.delete(`/api/events/${event.id}/permissions/${leaver.id}`, { token: leaver.access })).status).toBe(200);
  expect((await api.delete(`/api/events/${gone.id}`, { token: owner.access })).status).toBe(200);
  versionIds = (await api.get(`/api/events/${event.id}/history`, { token: owner.access })).body.map(
    (v: { version_id: number }) => v.version_id,
  );
  expect(versionIds).toHaveLength(2);
});

/** Every way to read one event's present or past. */
function readsOf(user: TestUser, id: number, versions: number[]): Record<string, Promise<ApiResponse>> {
  const get = (path: string) => api.get(path, { token: user.access });
  const [newer, older] = versions;
  return {
    event: get(`/api/events/${id}`),
    'event as of': get(`/api/events/${id}?as_of=${encodeURIComponent(whileShared)}`),
    history: get(`/api/events/${id}/history`),
    version: get(`/api/events/${id}/history/${older}`),
    changelog: get(`/api/events/${id}/changelog`),
    diff: get(`/api/events/${id}/diff/${older}/${newer}`),
  };
}

async function statuses(reads: Record<string, Promise<ApiResponse>>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, pending] of Object.entries(reads)) {
    const res = await pending;
    out[name] = res.status;
    if (res.status === 404) expect(errorBody(res).code).toBe('NOT_FOUND');
  }
  return out;
}

const everything = (status: number) => ({
  event: status,
  'event as of': status,
  history: status,
  version: status,
  changelog: status,
  diff: status,
});

const listedAsOf = async (user: TestUser) => {
  const res = await api.get(`/api/events?as_of=${encodeURIComponent(whileShared)}`, { token: user.access });
  expect(res.status, res.text).toBe(200);
  return res.body.results.map((e: { id: number }) => e.id);
};

describe('a user who lost access reads nothing of the event', () => {
  it('a removed viewer: not the event, not its past, not its history', async () => {
    expect(await statuses(readsOf(removed, event.id, versionIds))).toEqual(everything(404));
    expect(await listedAsOf(removed)).not.toContain(event.id);
  });

  it('an editor who left: the same', async () => {
    expect(await statuses(readsOf(leaver, event.id, versionIds))).toEqual(everything(404));
    expect(await listedAsOf(leaver)).not.toContain(event.id);
  });

  it('a viewer of a deleted event: not its past either', async () => {
    const asOf = await api.get(`/api/events/${gone.id}?as_of=${encodeURIComponent(whileShared)}`, { token: stays.access });
    expect(asOf.status).toBe(404);
    expect(errorBody(asOf).code).toBe('NOT_FOUND');
    expect(await listedAsOf(stays)).toEqual([event.id]);
  });

  it('those who still have access read it all, as it was then', async () => {
    expect(await statuses(readsOf(stays, event.id, versionIds))).toEqual(everything(200));
    expect(await statuses(readsOf(owner, event.id, versionIds))).toEqual(everything(200));
    const then = await api.get(`/api/events/${event.id}?as_of=${encodeURIComponent(whileShared)}`, { token: stays.access });
    expect(then.body).toMatchObject({ title: 'Shared then', my_role: 'VIEWER' });
    // The owner keeps the past of what they deleted.
    expect(await listedAsOf(owner)).toEqual([event.id, gone.id].sort((a, b) => a - b));
  });
});
