import { describe, expect, it } from 'vitest';
import { type ChangelogEntry, type HistoryEntry, historyHelpers, ref, RFC3339 } from './support/history.ts';
import { useTestServer } from './support/test-context.ts';

/** GET /api/events/{id}/history: the list of versions. */
const ctx = useTestServer();
const { api } = ctx;
const { historyOf, changelogOf, diffOf, versionIds, update, threeVersions } = historyHelpers(api);

describe('history', () => {
  it('lists versions newest first with attribution', async () => {
    const owner = await ctx.user('hist');
    const { id } = await threeVersions(owner);
    const res = await api.get(`/api/events/${id}/history`, { token: owner.access });
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(3);
    expect(res.body[0]).toEqual({
      version_id: expect.any(Number),
      version: 3,
      event_id: id,
      history_type: '~',
      history_date: expect.stringMatching(RFC3339),
      changed_by: { id: owner.id, username: owner.username },
      change_reason: null,
    });
    expect(res.body.map((h: HistoryEntry) => [h.version, h.history_type])).toEqual([
      [3, '~'],
      [2, '~'],
      [1, '+'],
    ]);
    const ids = res.body.map((h: HistoryEntry) => h.version_id);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
  });

  it('makes no version for an update that changes nothing, nor for sharing', async () => {
    const owner = await ctx.user('noop');
    const friend = await ctx.user('noopf');
    const event = await ctx.event(owner, { title: 'Same', description: 'Same words' });
    expect((await update(owner, event.id, { title: 'Same', description: 'Same words' })).version).toBe(1);
    await ctx.share(owner, event.id, friend, 'VIEWER');
    await api.put(`/api/events/${event.id}/permissions/${friend.id}`, { token: owner.access, body: { role: 'EDITOR' } });
    const history = await historyOf(owner, event.id);
    expect(history.map((h) => [h.version, h.history_type])).toEqual([[1, '+']]);
  });

  it('pages with limit and cursor', async () => {
    const owner = await ctx.user('pages');
    const { id, v1, v2, v3 } = await threeVersions(owner);
    const first = await api.get(`/api/events/${id}/history?limit=2`, { token: owner.access });
    expect(first.body.map((h: HistoryEntry) => h.version_id)).toEqual([v3, v2]);
    const rest = await api.get(`/api/events/${id}/history?limit=2&cursor=${v2}`, { token: owner.access });
    expect(rest.body.map((h: HistoryEntry) => h.version_id)).toEqual([v1]);
    const past = await api.get(`/api/events/${id}/history?limit=2&cursor=${v1}`, { token: owner.access });
    expect(past.status).toBe(200);
    expect(past.body).toEqual([]);
  });

  it('walks a long history page by page, and the changelog too', async () => {
    const owner = await ctx.user('long');
    const event = await ctx.event(owner, { title: 'Rev 1' });
    for (let i = 2; i <= 12; i++) await update(owner, event.id, { title: `Rev ${i}` });
    const full = await historyOf(owner, event.id);
    expect(full.map((h) => h.version)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);

    // History: newest first, 5 at a time.
    const pages: HistoryEntry[][] = [];
    let cursor: number | undefined;
    for (;;) {
      const page = await historyOf(owner, event.id, `?limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      if (page.length === 0) break;
      pages.push(page);
      cursor = page.at(-1)!.version_id;
    }
    expect(pages.map((p) => p.map((h) => h.version))).toEqual([
      [12, 11, 10, 9, 8],
      [7, 6, 5, 4, 3],
      [2, 1],
    ]);
    expect(pages.flat()).toEqual(full);

    // Changelog: oldest first, 5 at a time; each page continues where the last stopped.
    const changelog = await changelogOf(owner, event.id);
    expect(changelog).toHaveLength(12);
    const logPages: ChangelogEntry[][] = [];
    cursor = undefined;
    for (;;) {
      const page = await changelogOf(owner, event.id, `?limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      if (page.length === 0) break;
      logPages.push(page);
      cursor = page.at(-1)!.history_id;
    }
    expect(logPages.map((p) => p.map((c) => c.version))).toEqual([
      [1, 2, 3, 4, 5],
      [6, 7, 8, 9, 10],
      [11, 12],
    ]);
    expect(logPages.flat()).toEqual(changelog);
    // The first entry of a later page is still measured against the version before it.
    expect(logPages[1]![0]!.changed_fields).toEqual({ title: { from: 'Rev 5', to: 'Rev 6' } });
    expect(logPages[2]![1]!.changed_fields).toEqual({ title: { from: 'Rev 11', to: 'Rev 12' } });
    expect(changelog[0]!.changed_fields['title']).toEqual({ from: null, to: 'Rev 1' });
    for (let i = 1; i < 12; i++) {
      expect(changelog[i]!.changed_fields).toEqual({ title: { from: `Rev ${i}`, to: `Rev ${i + 1}` } });
    }
    // limit=1 walks one at a time.
    expect((await changelogOf(owner, event.id, `?limit=1&cursor=${changelog[10]!.history_id}`)).map((c) => c.version)).toEqual([12]);
  });
});

/** Pages of three, from the first to the empty one after the last; each page's cursor is the last entry's id. */
const pageQuery = (cursor: number | undefined) => `?limit=3${cursor ? `&cursor=${cursor}` : ''}`;
async function everyPage<T>(page: (cursor: number | undefined) => Promise<T[]>, idOf: (entry: T) => number): Promise<T[]> {
  const entries: T[] = [];
  for (let cursor: number | undefined; ;) {
    const next = await page(cursor);
    if (next.length === 0) return entries;
    entries.push(...next);
    cursor = idOf(next.at(-1)!);
  }
}

describe('history among other events', () => {
  it("pages one event's versions only, in order both ways, while another event's edits interleave", async () => {
    const owner = await ctx.user('interleave');
    const mine = await ctx.event(owner, { title: 'Mine 1' });
    const other = await ctx.event(owner, { title: 'Other 1', start_time: '2067-01-01T09:00:00Z', end_time: '2067-01-01T10:00:00Z' });
    for (let i = 2; i <= 7; i++) {
      await update(owner, mine.id, { title: `Mine ${i}` });
      await update(owner, other.id, { title: `Other ${i}` });
    }
    const newest = await everyPage(
      (cursor) => historyOf(owner, mine.id, pageQuery(cursor)),
      (h) => h.version_id,
    );
    expect(newest.map((h) => [h.event_id, h.version])).toEqual([7, 6, 5, 4, 3, 2, 1].map((v) => [mine.id, v]));
    const oldest = await everyPage(
      (cursor) => changelogOf(owner, mine.id, pageQuery(cursor)),
      (c) => c.history_id,
    );
    expect(oldest.map((c) => c.version)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(oldest.map((c) => c.history_id)).toEqual(newest.map((h) => h.version_id).reverse());
  });
});

describe('history under load and from batches', () => {
  it('numbers concurrent changes without gaps, and chains them in the changelog', async () => {
    const owner = await ctx.user('concurrent');
    const editor = await ctx.user('concured');
    const event = await ctx.event(owner, { title: 'Start' });
    await ctx.share(owner, event.id, editor, 'EDITOR');
    const writes = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        api.patch(`/api/events/${event.id}`, { token: (i % 2 ? editor : owner).access, body: { title: `Concurrent ${i}` } }),
      ),
    );
    expect(writes.map((w) => w.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(writes.map((w) => w.body.event.version).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7]);
    const history = await historyOf(owner, event.id);
    expect(history.map((h) => h.version)).toEqual([7, 6, 5, 4, 3, 2, 1]);
    const log = await changelogOf(owner, event.id);
    for (let i = 1; i < log.length; i++) {
      expect(log[i]!.changed_fields['title']!.from).toBe(log[i - 1]!.changed_fields['title']!.to);
    }
    const live = await api.get(`/api/events/${event.id}`, { token: owner.access });
    expect(live.body.title).toBe(log.at(-1)!.changed_fields['title']!.to);
    expect(live.body.version).toBe(7);
  });

  it('records batch-created events like any other creation', async () => {
    const owner = await ctx.user('histbatch');
    const batch = await api.post('/api/events/batch', {
      token: owner.access,
      body: {
        events: [
          { title: 'Batch one', start_time: '2066-01-01T09:00:00Z', end_time: '2066-01-01T10:00:00Z', location: 'Dock' },
          {
            title: 'Batch two',
            start_time: '2066-01-02T09:00:00Z',
            end_time: '2066-01-02T10:00:00Z',
            recurrence_pattern: { frequency: 'daily', count: 3 },
          },
        ],
      },
    });
    expect(batch.status).toBe(201);
    const [one, two] = batch.body.created_events as Array<{ id: number }>;
    const [entry] = await historyOf(owner, one!.id);
    expect(entry).toEqual({
      version_id: expect.any(Number),
      version: 1,
      event_id: one!.id,
      history_type: '+',
      history_date: expect.stringMatching(RFC3339),
      changed_by: ref(owner),
      change_reason: null,
    });
    const log = await changelogOf(owner, two!.id);
    expect(log[0]!.changed_fields).toEqual({
      title: { from: null, to: 'Batch two' },
      description: { from: null, to: '' },
      start_time: { from: null, to: '2066-01-02T09:00:00Z' },
      end_time: { from: null, to: '2066-01-02T10:00:00Z' },
      timezone: { from: null, to: 'UTC' },
      is_recurring: { from: null, to: true },
      recurrence_pattern: { from: null, to: { frequency: 'daily', count: 3 } },
      tags: { from: null, to: [] },
      metadata: { from: null, to: {} },
      reminders: { from: null, to: [] },
    });
    // The batch snapshot compares equal to the same content written by an update.
    await update(owner, two!.id, { title: 'Batch two, renamed' });
    const [v1, v2] = await versionIds(owner, two!.id);
    expect(await diffOf(owner, two!.id, v1!, v2!)).toEqual({ title: { version_1: 'Batch two', version_2: 'Batch two, renamed' } });
    const back = await api.post(`/api/events/${two!.id}/rollback/${v1}`, { token: owner.access });
    expect(back.body.event).toMatchObject({
      version: 3,
      title: 'Batch two',
      recurrence_pattern: { frequency: 'daily', count: 3 },
      is_recurring: true,
    });
    expect(back.body.event.rrule).toEqual(batch.body.created_events[1].rrule);
  });
});
