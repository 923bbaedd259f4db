import { describe, expect, it } from 'vitest';
import { errorBody } from './support/http.ts';
import { expectStatus, historyHelpers } from './support/history.ts';
import { useTestServer } from './support/test-context.ts';

/** Every history endpoint: unknown and malformed ids, tokens, roles. */
const ctx = useTestServer();
const { api } = ctx;
const { historyOf, threeVersions } = historyHelpers(api);

describe('history endpoints', () => {
  it('answers unknown events and versions with 404', async () => {
    const owner = await ctx.user('unknown');
    const { id, v1 } = await threeVersions(owner);
    const missing = 2_000_000_000;
    expectStatus(await api.get(`/api/events/${missing}/history`, { token: owner.access }), 404, 'NOT_FOUND');
    expectStatus(await api.get(`/api/events/${missing}/changelog`, { token: owner.access }), 404, 'NOT_FOUND');
    expectStatus(await api.get(`/api/events/${missing}/history/${v1}`, { token: owner.access }), 404, 'NOT_FOUND');
    expectStatus(await api.get(`/api/events/${id}/history/${missing}`, { token: owner.access }), 404, 'NOT_FOUND');
    expectStatus(await api.get(`/api/events/${id}/diff/${v1}/${missing}`, { token: owner.access }), 404, 'NOT_FOUND');
    expectStatus(await api.get(`/api/events/${id}/diff/${missing}/${v1}`, { token: owner.access }), 404, 'NOT_FOUND');
    expectStatus(await api.post(`/api/events/${id}/rollback/${missing}`, { token: owner.access }), 404, 'NOT_FOUND');
  });

  it('names the missing version_id (not a version number) and where the ids are listed', async () => {
    const owner = await ctx.user('versionid');
    const { id, v1 } = await threeVersions(owner);
    const missing = 2_000_000_000;
    for (const res of [
      await api.get(`/api/events/${id}/diff/${missing}/${v1}`, { token: owner.access }),
      await api.get(`/api/events/${id}/history/${missing}`, { token: owner.access }),
      await api.post(`/api/events/${id}/rollback/${missing}`, { token: owner.access }),
    ]) {
      expect(errorBody(res)).toEqual({
        error: `version_id ${missing} of event ${id} not found; the event's version_ids are listed by GET /api/events/${id}/history`,
        code: 'NOT_FOUND',
      });
    }
  });

  it('refuses non-numeric and out-of-range ids and parameters with 400', async () => {
    const owner = await ctx.user('badids');
    const { id, v1, v2 } = await threeVersions(owner);
    const bad: Array<[string, string]> = [
      ['GET', '/api/events/abc/history'],
      ['GET', '/api/events/0/history'],
      ['GET', '/api/events/-3/history'],
      ['GET', '/api/events/1.5/history'],
      ['GET', `/api/events/${id}/history/abc`],
      ['GET', `/api/events/${id}/history/0`],
      ['GET', `/api/events/${id}/history/99999999999`],
      ['GET', '/api/events/abc/changelog'],
      ['GET', `/api/events/${id}/diff/abc/${v2}`],
      ['GET', `/api/events/${id}/diff/${v1}/abc`],
      ['GET', `/api/events/x/diff/${v1}/${v2}`],
      ['GET', `/api/events/${id}/diff/${v1}/-1`],
      ['POST', `/api/events/${id}/rollback/abc`],
      ['POST', `/api/events/abc/rollback/${v1}`],
      ['GET', `/api/events/${id}/history?limit=0`],
      ['GET', `/api/events/${id}/history?limit=1001`],
      ['GET', `/api/events/${id}/history?limit=many`],
      ['GET', `/api/events/${id}/history?cursor=abc`],
      ['GET', `/api/events/${id}/changelog?limit=-1`],
      ['GET', `/api/events/${id}/changelog?cursor=first`],
      ['GET', `/api/events/${id}/diff/${v1}/${v2}?detail=perhaps`],
      ['POST', `/api/events/${id}/rollback/${v1}?on_conflict=sometimes`],
    ];
    for (const [method, path] of bad) {
      const res = await api.call(method, path, { token: owner.access });
      expect(res.status, `${method} ${path}: ${res.text}`).toBe(400);
      expect(errorBody(res).code).toBe('VALIDATION_ERROR');
    }
    // None of those wrote anything.
    expect(await historyOf(owner, id)).toHaveLength(3);
  });

  it('needs a token', async () => {
    const owner = await ctx.user('anon');
    const { id, v1, v2 } = await threeVersions(owner);
    for (const [method, path] of [
      ['GET', `/api/events/${id}/history`],
      ['GET', `/api/events/${id}/history/${v1}`],
      ['GET', `/api/events/${id}/changelog`],
      ['GET', `/api/events/${id}/diff/${v1}/${v2}`],
      ['POST', `/api/events/${id}/rollback/${v1}`],
    ] as const) {
      expectStatus(await api.call(method, path), 401, 'UNAUTHORIZED');
    }
    expect(await historyOf(owner, id)).toHaveLength(3);
  });

  it('is readable by every role and by nobody else', async () => {
    const owner = await ctx.user('readers');
    const editor = await ctx.user('readed');
    const viewer = await ctx.user('readvi');
    const stranger = await ctx.user('stranger');
    const { id, v1, v3 } = await threeVersions(owner);
    await ctx.share(owner, id, editor, 'EDITOR');
    await ctx.share(owner, id, viewer, 'VIEWER');
    const ownerView = {
      history: (await api.get(`/api/events/${id}/history`, { token: owner.access })).body,
      changelog: (await api.get(`/api/events/${id}/changelog`, { token: owner.access })).body,
      snapshot: (await api.get(`/api/events/${id}/history/${v1}`, { token: owner.access })).body,
      diff: (await api.get(`/api/events/${id}/diff/${v1}/${v3}?detail=true`, { token: owner.access })).body,
    };
    for (const reader of [editor, viewer]) {
      const history = await api.get(`/api/events/${id}/history`, { token: reader.access });
      expect(history.status).toBe(200);
      expect(history.body).toEqual(ownerView.history);
      expect((await api.get(`/api/events/${id}/changelog`, { token: reader.access })).body).toEqual(ownerView.changelog);
      expect((await api.get(`/api/events/${id}/history/${v1}`, { token: reader.access })).body).toEqual(ownerView.snapshot);
      expect((await api.get(`/api/events/${id}/diff/${v1}/${v3}?detail=true`, { token: reader.access })).body).toEqual(ownerView.diff);
    }
    expectStatus(await api.get(`/api/events/${id}/history`, { token: stranger.access }), 404, 'NOT_FOUND');
    expectStatus(await api.get(`/api/events/${id}/changelog`, { token: stranger.access }), 404, 'NOT_FOUND');
    expectStatus(await api.get(`/api/events/${id}/history/${v1}`, { token: stranger.access }), 404, 'NOT_FOUND');
    expectStatus(await api.get(`/api/events/${id}/diff/${v1}/${v3}`, { token: stranger.access }), 404, 'NOT_FOUND');
    expectStatus(await api.post(`/api/events/${id}/rollback/${v1}`, { token: stranger.access }), 404, 'NOT_FOUND');
    // A user who left loses access to the history too.
    expect((await api.delete(`/api/events/${id}/permissions/${viewer.id}`, { token: viewer.access })).status).toBe(200);
    expectStatus(await api.get(`/api/events/${id}/history`, { token: viewer.access }), 404, 'NOT_FOUND');
    expect(await historyOf(owner, id)).toHaveLength(3);
  });
});
