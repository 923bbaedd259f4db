import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { clipInterval, mergeIntervals, type Interval } from './intervals.ts';
import { SLOT_STEP_MS, suggestSlots, workingDays, type SlotSearch } from './suggest.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const spans = (intervals: Interval[]) => intervals.map((i) => [iso(i.start), iso(i.end)]);

describe('mergeIntervals', () => {
  it('joins overlapping and touching intervals and drops empty ones', () => {
    const merged = mergeIntervals([
      { start: 50, end: 60 },
      { start: 0, end: 10 },
      { start: 10, end: 20 },
      { start: 15, end: 18 },
      { start: 30, end: 30 },
      { start: 40, end: 55 },
    ]);
    expect(merged).toEqual([
      { start: 0, end: 20 },
      { start: 40, end: 60 },
    ]);
  });

  it('covers exactly the points the input covers, with disjoint gaps between results', () => {
    const interval = fc
      .tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 40 }))
      .map(([s, d]) => ({ start: s, end: s + d }));
    fc.assert(
      fc.property(fc.array(interval, { maxLength: 30 }), (input) => {
        const merged = mergeIntervals(input);
        for (let k = 1; k < merged.length; k++) expect(merged[k]!.start).toBeGreaterThan(merged[k - 1]!.end);
        for (const m of merged) expect(m.end).toBeGreaterThan(m.start);
        for (let point = 0; point < 245; point++) {
          const inInput = input.some((i) => i.start <= point && point < i.end);
          const inMerged = merged.some((i) => i.start <= point && point < i.end);
          expect(inMerged).toBe(inInput);
        }
      }),
    );
  });

  it('does not change its input', () => {
    const input = [
      { start: 0, end: 10 },
      { start: 5, end: 20 },
    ];
    mergeIntervals(input);
    expect(input).toEqual([
      { start: 0, end: 10 },
      { start: 5, end: 20 },
    ]);
  });
});

describe('clipInterval', () => {
  it('keeps the part inside the window and drops what only touches it', () => {
    expect(clipInterval({ start: 0, end: 100 }, 20, 50)).toEqual({ start: 20, end: 50 });
    expect(clipInterval({ start: 0, end: 20 }, 20, 50)).toBeNull();
    expect(clipInterval({ start: 50, end: 60 }, 20, 50)).toBeNull();
    expect(clipInterval({ start: 30, end: 40 }, 20, 50)).toEqual({ start: 30, end: 40 });
  });
});

const nine2five = { start: '09:00', end: '17:00' };

describe('workingDays', () => {
  it('keeps 09:00–17:00 local across the spring change in Europe/Berlin', () => {
    const days = workingDays(at('2026-03-27T00:00:00Z'), at('2026-03-31T00:00:00Z'), 'Europe/Berlin', nine2five);
    expect(spans(days)).toEqual([
      ['2026-03-27T08:00:00Z', '2026-03-27T16:00:00Z'],
      ['2026-03-28T08:00:00Z', '2026-03-28T16:00:00Z'],
      ['2026-03-29T07:00:00Z', '2026-03-29T15:00:00Z'],
      ['2026-03-30T07:00:00Z', '2026-03-30T15:00:00Z'],
    ]);
  });

  it('keeps 09:00–17:00 local across the autumn change in Europe/Berlin', () => {
    const days = workingDays(at('2026-10-24T00:00:00Z'), at('2026-10-26T00:00:00Z'), 'Europe/Berlin', nine2five);
    expect(spans(days)).toEqual([
      ['2026-10-24T07:00:00Z', '2026-10-24T15:00:00Z'],
      ['2026-10-25T08:00:00Z', '2026-10-25T16:00:00Z'],
    ]);
  });

  it('reads 24:00 as the next midnight, and a day whose hours lie before the window is left out', () => {
    const days = workingDays(at('2026-05-01T20:00:00Z'), at('2026-05-03T00:00:00Z'), 'UTC', { start: '18:00', end: '24:00' });
    expect(spans(days)).toEqual([
      ['2026-05-01T18:00:00Z', '2026-05-02T00:00:00Z'],
      ['2026-05-02T18:00:00Z', '2026-05-03T00:00:00Z'],
    ]);
    expect(workingDays(at('2026-05-01T17:00:00Z'), at('2026-05-01T23:00:00Z'), 'UTC', nine2five)).toEqual([]);
  });

  it('starts hours that begin inside a spring-forward gap when the clock jumps past them', () => {
    const [day] = workingDays(at('2026-03-29T00:00:00Z'), at('2026-03-29T12:00:00Z'), 'Europe/Berlin', { start: '02:30', end: '04:00' });
    expect(spans([day!])).toEqual([['2026-03-29T01:00:00Z', '2026-03-29T02:00:00Z']]);
  });

  it('reads a time repeated by the autumn change as its first pass', () => {
    const [day] = workingDays(at('2026-10-25T00:00:00Z'), at('2026-10-25T12:00:00Z'), 'Europe/Berlin', { start: '02:30', end: '03:30' });
    // 02:30 CEST is 00:30Z; 03:30 CET is 02:30Z: two hours of working time that day.
    expect(spans([day!])).toEqual([['2026-10-25T00:30:00Z', '2026-10-25T02:30:00Z']]);
  });

  it('starts a day at the jump when midnight itself is skipped (America/Santiago, 2026-09-06)', () => {
    const days = workingDays(at('2026-09-05T12:00:00Z'), at('2026-09-07T12:00:00Z'), 'America/Santiago', { start: '00:00', end: '24:00' });
    expect(spans(days)).toEqual([
      ['2026-09-05T04:00:00Z', '2026-09-06T04:00:00Z'],
      ['2026-09-06T04:00:00Z', '2026-09-07T03:00:00Z'],
      ['2026-09-07T03:00:00Z', '2026-09-08T03:00:00Z'],
    ]);
  });
});

describe('suggestSlots', () => {
  const base = { timezone: 'UTC', workingHours: nine2five, limit: 5 };

  it('suggests 09:00 Berlin on each day across the spring change, at the right UTC times', () => {
    const slots = suggestSlots({
      ...base,
      busy: [],
      timezone: 'Europe/Berlin',
      from: at('2026-03-27T00:00:00Z'),
      to: at('2026-04-01T00:00:00Z'),
      durationMs: 8 * HOUR,
      limit: 10,
    });
    expect(slots.map((s) => iso(s.start))).toEqual([
      '2026-03-27T08:00:00Z',
      '2026-03-28T08:00:00Z',
      '2026-03-29T07:00:00Z',
      '2026-03-30T07:00:00Z',
      '2026-03-31T07:00:00Z',
    ]);
  });

  it('suggests 09:00 Berlin on each day across the autumn change', () => {
    const slots = suggestSlots({
      ...base,
      busy: [],
      timezone: 'Europe/Berlin',
      from: at('2026-10-24T00:00:00Z'),
      to: at('2026-10-27T00:00:00Z'),
      durationMs: 60 * MINUTE,
      limit: 1000,
    });
    const starts = slots.filter((s) => DateTime.fromMillis(s.start, { zone: 'Europe/Berlin' }).hour === 9).map((s) => iso(s.start));
    expect(starts).toEqual(['2026-10-24T07:00:00Z', '2026-10-25T08:00:00Z', '2026-10-26T08:00:00Z']);
    expect(slots).toHaveLength(3 * 8);
  });

  it('steps past busy time to the next quarter hour and never overlaps its own slots', () => {
    const slots = suggestSlots({
      ...base,
      busy: [
        { start: at('2026-05-04T08:30:00Z'), end: at('2026-05-04T09:20:00Z') },
        { start: at('2026-05-04T10:15:00Z'), end: at('2026-05-04T10:30:00Z') },
      ],
      from: at('2026-05-04T00:00:00Z'),
      to: at('2026-05-05T00:00:00Z'),
      durationMs: 45 * MINUTE,
      limit: 3,
    });
    expect(spans(slots)).toEqual([
      ['2026-05-04T09:30:00Z', '2026-05-04T10:15:00Z'],
      ['2026-05-04T10:30:00Z', '2026-05-04T11:15:00Z'],
      ['2026-05-04T11:15:00Z', '2026-05-04T12:00:00Z'],
    ]);
  });

  it('starts no earlier than the window and on the day’s grid', () => {
    const slots = suggestSlots({
      ...base,
      busy: [],
      from: at('2026-05-04T10:07:00Z'),
      to: at('2026-05-04T12:00:00Z'),
      durationMs: 30 * MINUTE,
    });
    expect(spans(slots)).toEqual([
      ['2026-05-04T10:15:00Z', '2026-05-04T10:45:00Z'],
      ['2026-05-04T10:45:00Z', '2026-05-04T11:15:00Z'],
      ['2026-05-04T11:15:00Z', '2026-05-04T11:45:00Z'],
    ]);
  });

  it('answers nothing when everyone is busy all the time', () => {
    const from = at('2026-05-04T00:00:00Z');
    expect(
      suggestSlots({ ...base, busy: [{ start: from - DAY, end: from + 10 * DAY }], from, to: from + 7 * DAY, durationMs: HOUR }),
    ).toEqual([]);
  });
});

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/Santiago', 'Pacific/Chatham'];
/** Windows around the 2026 changes of several zones, and ordinary weeks. */
const ANCHORS = [
  '2026-03-06T00:00:00Z',
  '2026-03-27T00:00:00Z',
  '2026-04-03T00:00:00Z',
  '2026-07-01T00:00:00Z',
  '2026-09-04T00:00:00Z',
  '2026-09-25T00:00:00Z',
  '2026-10-02T00:00:00Z',
  '2026-10-23T00:00:00Z',
  '2026-10-30T00:00:00Z',
].map(at);
const clock = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

const searchArb: fc.Arbitrary<SlotSearch> = fc
  .record({
    anchor: fc.constantFrom(...ANCHORS),
    offset: fc.integer({ min: 0, max: (2 * DAY) / MINUTE }),
    length: fc.integer({ min: 1, max: (6 * DAY) / MINUTE }),
    zone: fc.constantFrom(...ZONES),
    hours: fc
      .tuple(fc.integer({ min: 0, max: 95 }), fc.integer({ min: 1, max: 96 }))
      .map(([a, b]) => ({ start: clock(Math.min(a, b - 1) * 15 + (a % 2) * 5), end: clock(Math.max(a + 1, b) * 15) })),
    duration: fc.integer({ min: 1, max: 8 * 60 }),
    limit: fc.integer({ min: 1, max: 30 }),
    busy: fc.array(fc.tuple(fc.integer({ min: -DAY / MINUTE, max: (9 * DAY) / MINUTE }), fc.integer({ min: 0, max: 600 })), {
      maxLength: 25,
    }),
  })
  .map((r) => {
    const from = r.anchor + r.offset * MINUTE;
    return {
      from,
      to: from + r.length * MINUTE,
      timezone: r.zone,
      workingHours: r.hours,
      durationMs: r.duration * MINUTE,
      limit: r.limit,
      busy: r.busy.map(([s, d]) => ({ start: r.anchor + s * MINUTE, end: r.anchor + (s + d) * MINUTE })),
    };
  });

/** Local date and minutes since midnight (with fractions) of an instant. */
function local(ms: number, zone: string): { date: string; minutes: number } {
  const t = DateTime.fromMillis(ms, { zone });
  return { date: t.toISODate()!, minutes: t.hour * 60 + t.minute + (t.second + t.millisecond / 1000) / 60 };
}
/** The local day holds no clock change: its readings are the plain wall-clock ones. */
function steadyDay(ms: number, zone: string): boolean {
  const day = DateTime.fromMillis(ms, { zone }).startOf('day');
  return day.offset === day.plus({ days: 1 }).startOf('day').offset && day.hour === 0;
}
const minutesOf = (text: string) => Number(text.slice(0, 2)) * 60 + Number(text.slice(3));

/** The same search done the slow way: every grid start of every working day, checked against every busy interval. */
function bruteForce(search: SlotSearch): Interval[] {
  const out: Interval[] = [];
  let earliest = search.from;
  for (const day of workingDays(search.from, search.to, search.timezone, search.workingHours)) {
    for (let start = day.start; start + search.durationMs <= Math.min(day.end, search.to); start += SLOT_STEP_MS) {
      const end = start + search.durationMs;
      if (start < earliest) continue;
      if (search.busy.some((b) => b.end > b.start && b.start < end && start < b.end)) continue;
      out.push({ start, end });
      earliest = end;
      if (out.length === search.limit) return out;
    }
  }
  return out;
}

describe('suggestSlots properties', () => {
  it('gives slots of the asked length, inside the window, in order, not overlapping each other or any busy time', () => {
    fc.assert(
      fc.property(searchArb, (search) => {
        const slots = suggestSlots(search);
        expect(slots.length).toBeLessThanOrEqual(search.limit);
        for (const [k, slot] of slots.entries()) {
          expect(slot.end - slot.start).toBe(search.durationMs);
          expect(slot.start).toBeGreaterThanOrEqual(search.from);
          expect(slot.end).toBeLessThanOrEqual(search.to);
          if (k > 0) expect(slot.start).toBeGreaterThanOrEqual(slots[k - 1]!.end);
          for (const b of search.busy) if (b.end > b.start) expect(b.start < slot.end && slot.start < b.end).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps every slot inside the working hours of one local day', () => {
    fc.assert(
      fc.property(searchArb, (search) => {
        const startClock = minutesOf(search.workingHours.start);
        const endClock = minutesOf(search.workingHours.end);
        for (const slot of suggestSlots(search)) {
          // Days with a clock change have readings that jump or repeat; the examples above pin those.
          if (!steadyDay(slot.start, search.timezone)) continue;
          const start = local(slot.start, search.timezone);
          const last = local(slot.end - 1, search.timezone); // the slot's last millisecond
          expect(last.date).toBe(start.date);
          expect(start.minutes).toBeGreaterThanOrEqual(startClock);
          expect(last.minutes).toBeLessThan(endClock);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('finds the earliest slots: the same as checking every grid start', () => {
    fc.assert(
      fc.property(searchArb, (search) => {
        expect(suggestSlots(search)).toEqual(bruteForce(search));
      }),
      { numRuns: 300 },
    );
  });

  it('starts every slot on the quarter-hour grid of its working day', () => {
    fc.assert(
      fc.property(searchArb, (search) => {
        const days = workingDays(search.from, search.to, search.timezone, search.workingHours);
        for (const slot of suggestSlots(search)) {
          const day = days.find((d) => d.start <= slot.start && slot.end <= d.end);
          expect(day).toBeDefined();
          expect((slot.start - day!.start) % SLOT_STEP_MS).toBe(0);
        }
      }),
      { numRuns: 200 },
    );
  });
});
