import { beforeAll, describe, expect, it } from 'vitest';
import { freeSlot } from './support/events.ts';
import { errorBody, type ApiClient, type TestUser } from './support/http.ts';
import { useTestServer } from './support/test-context.ts';

const ctx = useTestServer();
const { api } = ctx;
let owner: TestUser;
let editor: TestUser;
let viewer: TestUser;
let stranger: TestUser;
let bystander: TestUser;

beforeAll(async () => {
  owner = await ctx.user('owner');
  editor = await ctx.user('editor');
  viewer = await ctx.user('viewer');
  stranger = await ctx.user('stranger');
  bystander = await ctx.user('bystander');
});

type Actor = 'owner' | 'editor' | 'viewer' | 'stranger' | 'anonymous';
const ACTORS: Actor[] = ['owner', 'editor', 'viewer', 'stranger', 'anonymous'];
const tokenOf = (actor: Actor) =>
  ({ owner: owner.access, editor: editor.access, viewer: viewer.access, stranger: stranger.access, anonymous: undefined })[actor];

/** A fresh event shared with the editor, the viewer and a bystander, so every cell starts from the same state. */
async function scene() {
  const event = await ctx.event(owner, { title: 'Matrix' });
  await ctx.share(owner, event.id, editor, 'EDITOR');
  await ctx.share(owner, event.id, viewer, 'VIEWER');
  await ctx.share(owner, event.id, bystander, 'VIEWER');
  return event.id;
}

interface Endpoint {
  name: string;
  call: (id: number, token: string | undefined) => ReturnType<ApiClient['call']>;
  expected: Record<Actor, number>;
}

const READ = { owner: 200, editor: 200, viewer: 200, stranger: 404, anonymous: 401 };
const WRITE = { owner: 200, editor: 200, viewer: 403, stranger: 404, anonymous: 401 };
const OWNER_ONLY = { owner: 200, editor: 403, viewer: 403, stranger: 404, anonymous: 401 };

const endpoints: Endpoint[] = [
  { name: 'GET event', call: (id, token) => api.get(`/api/events/${id}`, { token }), expected: READ },
  { name: 'GET occurrences', call: (id, token) => api.get(`/api/events/${id}/occurrences`, { token }), expected: READ },
  { name: 'GET permissions', call: (id, token) => api.get(`/api/events/${id}/permissions`, { token }), expected: READ },
  { name: 'GET history', call: (id, token) => api.get(`/api/events/${id}/history`, { token }), expected: READ },
  { name: 'GET changelog', call: (id, token) => api.get(`/api/events/${id}/changelog`, { token }), expected: READ },
  { name: 'PUT event', call: (id, token) => api.put(`/api/events/${id}`, { token, body: { title: 'renamed' } }), expected: WRITE },
  {
    name: 'PATCH event',
    call: (id, token) => api.patch(`/api/events/${id}`, { token, body: { description: 'patched' } }),
    expected: WRITE,
  },
  {
    name: 'POST rollback',
    call: async (id, token) => {
      const history = await api.get(`/api/events/${id}/history`, { token: owner.access });
      await api.put(`/api/events/${id}`, { token: owner.access, body: { title: 'moved on' } });
      return api.post(`/api/events/${id}/rollback/${history.body.at(-1).version_id}`, { token });
    },
    expected: WRITE,
  },
  { name: 'DELETE event', call: (id, token) => api.delete(`/api/events/${id}`, { token }), expected: OWNER_ONLY },
  {
    name: 'POST share',
    call: (id, token) => api.post(`/api/events/${id}/share`, { token, body: { user_id: stranger.id, role: 'VIEWER' } }),
    expected: OWNER_ONLY,
  },
  {
    name: 'PUT permission of another user',
    call: (id, token) => api.put(`/api/events/${id}/permissions/${bystander.id}`, { token, body: { role: 'EDITOR' } }),
    expected: OWNER_ONLY,
  },
  {
    name: 'DELETE permission of another user',
    call: (id, token) => api.delete(`/api/events/${id}/permissions/${bystander.id}`, { token }),
    expected: OWNER_ONLY,
  },
];

describe('authorization matrix', () => {
  for (const endpoint of endpoints) {
    describe(endpoint.name, () => {
      for (const actor of ACTORS) {
        it(`${actor} → ${endpoint.expected[actor]}`, async () => {
          const id = await scene();
          const res = await endpoint.call(id, tokenOf(actor));
          expect(res.status).toBe(endpoint.expected[actor]);
          if (res.status >= 400) {
            const code = errorBody(res).code;
            expect(code).toBe({ 401: 'UNAUTHORIZED', 403: 'FORBIDDEN', 404: 'NOT_FOUND' }[res.status as 401 | 403 | 404]);
          }
        });
      }
    });
  }

  it('lets editors and viewers leave (remove their own permission), and never the owner', async () => {
    const id = await scene();
    expect((await api.delete(`/api/events/${id}/permissions/${viewer.id}`, { token: viewer.access })).status).toBe(200);
    expect((await api.get(`/api/events/${id}`, { token: viewer.access })).status).toBe(404);
    expect((await api.delete(`/api/events/${id}/permissions/${editor.id}`, { token: editor.access })).status).toBe(200);
    const ownerLeaves = await api.delete(`/api/events/${id}/permissions/${owner.id}`, { token: owner.access });
    expect(ownerLeaves.status).toBe(400);
    const ownerDemoted = await api.put(`/api/events/${id}/permissions/${owner.id}`, { token: owner.access, body: { role: 'VIEWER' } });
    expect(ownerDemoted.status).toBe(400);
  });

  it('shows only visible events in the listing, with the caller’s role', async () => {
    const id = await scene();
    const own = await api.get('/api/events?page_size=100&role=OWNER', { token: owner.access });
    expect(own.body.results.map((e: { id: number }) => e.id)).toContain(id);
    const asViewer = await api.get('/api/events?page_size=100', { token: viewer.access });
    expect(asViewer.body.results.find((e: { id: number }) => e.id === id)?.my_role).toBe('VIEWER');
    const asStranger = await api.get('/api/events?page_size=100', { token: stranger.access });
    expect(asStranger.body.results.map((e: { id: number }) => e.id)).not.toContain(id);
    expect((await api.get('/api/events')).status).toBe(401);
  });

  it('answers a deleted event with 404 to everyone, like one that never existed', async () => {
    const id = await scene();
    expect((await api.delete(`/api/events/${id}`, { token: owner.access })).status).toBe(200);
    for (const user of [owner, editor, viewer]) {
      expect((await api.get(`/api/events/${id}`, { token: user.access })).status).toBe(404);
      expect((await api.put(`/api/events/${id}`, { token: user.access, body: { title: 'x', ...freeSlot() } })).status).toBe(404);
    }
  });
});

describe('listing visibility matrix', () => {
  const expectedRole: Record<Actor, 'OWNER' | 'EDITOR' | 'VIEWER' | null | 401> = {
    owner: 'OWNER',
    editor: 'EDITOR',
    viewer: 'VIEWER',
    stranger: null,
    anonymous: 401,
  };
  for (const actor of ACTORS) {
    const expected = expectedRole[actor];
    it(`${actor} → ${expected === 401 ? '401' : expected === null ? '200 without the event' : `200 with my_role ${expected}`}`, async () => {
      const id = await scene();
      const res = await api.get('/api/events?page_size=100', { token: tokenOf(actor) });
      if (expected === 401) {
        expect(res.status).toBe(401);
        expect(errorBody(res).code).toBe('UNAUTHORIZED');
        return;
      }
      expect(res.status).toBe(200);
      const row = res.body.results.find((e: { id: number }) => e.id === id);
      if (expected === null) {
        expect(row).toBeUndefined();
        const searched = await api.get('/api/events?q=Matrix&page_size=100', { token: tokenOf(actor) });
        expect(searched.body.results.map((e: { id: number }) => e.id)).not.toContain(id);
      } else {
        expect(row).toMatchObject({ id, title: 'Matrix', owner_id: owner.id, my_role: expected });
      }
    });
  }
});

describe('my_role in GET per actor', () => {
  const expected: Record<Actor, string | number> = { owner: 'OWNER', editor: 'EDITOR', viewer: 'VIEWER', stranger: 404, anonymous: 401 };
  for (const actor of ACTORS) {
    it(`${actor} → ${expected[actor]}`, async () => {
      const id = await scene();
      const res = await api.get(`/api/events/${id}`, { token: tokenOf(actor) });
      if (typeof expected[actor] === 'number') {
        expect(res.status).toBe(expected[actor]);
        errorBody(res);
      } else {
        expect(res.status).toBe(200);
        expect(res.body.my_role).toBe(expected[actor]);
        expect(res.body.permissions).toHaveLength(4);
      }
    });
  }
});

describe('refused calls change nothing', () => {
  const mutations = endpoints.filter((e) =>
    [
      'PUT event',
      'PATCH event',
      'DELETE event',
      'POST share',
      'PUT permission of another user',
      'DELETE permission of another user',
    ].includes(e.name),
  );
  for (const endpoint of mutations) {
    for (const actor of ACTORS.filter((a) => endpoint.expected[a] >= 400)) {
      it(`${endpoint.name} by ${actor} leaves the event and its permissions as they were`, async () => {
        const id = await scene();
        const before = await api.get(`/api/events/${id}`, { token: owner.access });
        const res = await endpoint.call(id, tokenOf(actor));
        expect(res.status).toBe(endpoint.expected[actor]);
        const after = await api.get(`/api/events/${id}`, { token: owner.access });
        expect(after.status).toBe(200);
        expect(after.body).toEqual(before.body);
      });
    }
  }
});

describe('roles cannot be raised from below', () => {
  it('a viewer cannot promote themselves, and an editor cannot grant or change roles', async () => {
    const id = await scene();
    const selfPromote = await api.put(`/api/events/${id}/permissions/${viewer.id}`, { token: viewer.access, body: { role: 'EDITOR' } });
    expect(selfPromote.status).toBe(403);
    expect(errorBody(selfPromote).code).toBe('FORBIDDEN');
    const editorSelf = await api.put(`/api/events/${id}/permissions/${editor.id}`, { token: editor.access, body: { role: 'VIEWER' } });
    expect(editorSelf.status).toBe(403);
    const reshare = await api.post(`/api/events/${id}/share`, { token: viewer.access, body: { user_id: viewer.id, role: 'EDITOR' } });
    expect(reshare.status).toBe(403);
    const roles = await api.get(`/api/events/${id}/permissions`, { token: owner.access });
    const byUser = (a: [number, string], b: [number, string]) => a[0] - b[0];
    expect(roles.body.participants.map((p: { user_id: number; role: string }) => [p.user_id, p.role]).sort(byUser)).toEqual(
      (
        [
          [owner.id, 'OWNER'],
          [editor.id, 'EDITOR'],
          [viewer.id, 'VIEWER'],
          [bystander.id, 'VIEWER'],
        ] as Array<[number, string]>
      ).sort(byUser),
    );
  });

  it('an invalid bearer token is 401 on every event endpoint, like no token', async () => {
    const id = await scene();
    for (const endpoint of endpoints) {
      const res = await endpoint.call(id, 'not-a-token');
      expect(res.status, endpoint.name).toBe(401);
      expect(errorBody(res).code).toBe('UNAUTHORIZED');
    }
    for (const res of [
      await api.get('/api/events', { token: 'x.y.z' }),
      await api.post('/api/events', { token: 'x.y.z', body: { title: 't', ...freeSlot() } }),
    ]) {
      expect(res.status).toBe(401);
    }
    expect((await api.post('/api/events', { body: { title: 't', ...freeSlot() } })).status).toBe(401);
    expect((await api.post('/api/events/batch', { body: [{ title: 't', ...freeSlot() }] })).status).toBe(401);
  });
});
