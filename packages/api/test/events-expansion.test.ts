import { beforeAll, describe, expect, it } from 'vitest';
import { errorBody, type TestUser } from './support/http.ts';
import { useTestServer } from './support/test-context.ts';

/**
 * `expand=true` is bounded (a window of at most two years, at most 50,000
 * rows) and shares the event loop: other requests are answered while a large
 * expansion runs.
 */
const SERIES = 70;
const ctx = useTestServer();
const { api } = ctx;
let user: TestUser;

beforeAll(async () => {
  user = await ctx.user('expand');
  // Endless daily series, ten minutes each at different times of day.
  const events = Array.from({ length: SERIES }, (_, i) => {
    const start = Date.UTC(2030, 0, 1, 0, i * 15);
    return {
      title: `Daily ${i}`,
      start_time: new Date(start).toISOString(),
      end_time: new Date(start + 10 * 60_000).toISOString(),
      is_recurring: true,
      recurrence_pattern: 'daily',
    };
  });
  const created = await api.post('/api/events/batch', { token: user.access, body: { events } });
  expect(created.status, created.text).toBe(201);
});

const expandOver = (from: string, to: string, extra = '') =>
  api.get(`/api/events?expand=true&start_date=${from}&end_date=${to}&page_size=100${extra}`, { token: user.access });

describe('expanded listing bounds', () => {
  it('refuses a window longer than two years with 400', async () => {
    for (const to of ['2130-01-01T00:00:00Z', '2032-01-03T00:00:00Z']) {
      const res = await expandOver('2030-01-01T00:00:00Z', to);
      expect(res.status, to).toBe(400);
      const body = errorBody(res);
      expect(body.code).toBe('VALIDATION_ERROR');
      expect(body.details?.[0]?.path).toBe('end_date');
    }
  });

  it('refuses an expansion of more than 50,000 rows with 400, and answers it once filtered', async () => {
    // 70 daily series over two years: about 51,000 occurrences.
    const res = await expandOver('2030-01-01T00:00:00Z', '2031-12-31T00:00:00Z');
    expect(res.status, res.text.slice(0, 200)).toBe(400);
    expect(errorBody(res).details?.[0]?.path).toBe('end_date');
    const filtered = await expandOver('2030-01-01T00:00:00Z', '2031-12-31T00:00:00Z', '&q=Daily%201');
    expect(filtered.status).toBe(200);
    // "Daily 1" and "Daily 10" … "Daily 19": 11 series, each on the 729 days from 2030-01-01 to 2031-12-30.
    expect(filtered.body.count).toBe(11 * 729);
  });

  it('answers other requests while a large expansion runs', async () => {
    // 70 daily series over 699 days: 48,930 rows (just under the cap), the whole expansion before the first page.
    let bigDone = false;
    const big = expandOver('2030-01-01T00:00:00Z', '2031-11-30T23:59:59Z').then((res) => {
      bigDone = true;
      return res;
    });
    let answeredDuring = 0;
    while (!bigDone) {
      const probe = await fetch(`${ctx.url}/healthz`);
      expect(probe.status).toBe(200);
      if (!bigDone) answeredDuring += 1;
    }
    const res = await big;
    expect(res.status, res.text.slice(0, 200)).toBe(200);
    expect(res.body.count).toBe(SERIES * 699);
    expect(res.body.results).toHaveLength(100);
    // Sorted by occurrence start: the first day's 70 series, then the second day's.
    expect(res.body.results.slice(0, 3).map((e: { title: string }) => e.title)).toEqual(['Daily 0', 'Daily 1', 'Daily 2']);
    // A server that held the event loop for the whole expansion answers none (or only a probe or two,
    // before the expansion began); one that takes turns answers probes all along. How many depends on
    // the machine's speed, so the bound is low.
    expect(answeredDuring).toBeGreaterThanOrEqual(5);
  });
});
