import { describe, expect, it } from 'vitest';
import { changedFields, CONTENT_FIELDS, detailedDiff, diffSnapshots, wordDiff } from './diff.ts';

const base = {
  title: 'Planning',
  description: 'Discuss the budget',
  start_time: new Date('2025-04-27T08:05:00Z'),
  end_time: new Date('2025-04-27T09:00:00Z'),
  location: 'Board Room',
  timezone: 'UTC',
  is_recurring: true,
  recurrence_pattern: { frequency: 'weekly', interval: 2 },
  rrule: 'FREQ=WEEKLY;INTERVAL=2',
  version: 1,
};

describe('diffSnapshots', () => {
  it('lists only differing content fields, times as RFC 3339', () => {
    const changed = { ...base, title: 'Planning v2', start_time: new Date('2025-04-27T08:30:00Z'), version: 2, rrule: 'x' };
    expect(diffSnapshots(base, changed)).toEqual({
      title: { version_1: 'Planning', version_2: 'Planning v2' },
      start_time: { version_1: '2025-04-27T08:05:00Z', version_2: '2025-04-27T08:30:00Z' },
    });
  });

  it('is empty for equal snapshots and ignores key order inside objects', () => {
    expect(diffSnapshots(base, { ...base, recurrence_pattern: { interval: 2, frequency: 'weekly' } })).toEqual({});
  });

  it('is symmetric', () => {
    const other = { ...base, description: 'Discuss the revised budget', location: null };
    const ab = diffSnapshots(base, other);
    const ba = diffSnapshots(other, base);
    for (const [field, change] of Object.entries(ab)) expect(ba[field]).toEqual({ version_1: change.version_2, version_2: change.version_1 });
    expect(Object.keys(ba).sort()).toEqual(Object.keys(ab).sort());
  });
});

describe('changedFields', () => {
  it('lists every set field on creation and only changes afterwards', () => {
    const created = changedFields(null, { ...base, location: null });
    expect(Object.keys(created).sort()).toEqual(CONTENT_FIELDS.filter((f) => f !== 'location').sort());
    expect(changedFields(base, { ...base, title: 'New' })).toEqual({ title: { from: 'Planning', to: 'New' } });
  });
});

describe('wordDiff', () => {
  it.each([
    ['Discuss the budget', 'Discuss the revised budget and hiring'],
    ['', 'brand new text'],
    ['all gone', ''],
    ['same words here', 'same words here'],
    ['  spaces   matter ', 'spaces matter'],
  ])('rebuilds both texts from %j → %j', (a, b) => {
    const ops = wordDiff(a, b);
    const rebuild = (keep: string) => ops.filter((o) => o.op === 'equal' || o.op === keep).map((o) => o.text).join('');
    expect(rebuild('delete')).toBe(a);
    expect(rebuild('insert')).toBe(b);
    for (let i = 1; i < ops.length; i++) expect(ops[i]!.op).not.toBe(ops[i - 1]!.op);
  });

  it('adds ops to text fields only in the detailed diff', () => {
    const detailed = detailedDiff(base, { ...base, title: 'Planning session', timezone: 'Europe/Berlin' });
    expect(detailed['title']!.ops).toEqual([
      { op: 'equal', text: 'Planning' },
      { op: 'insert', text: ' session' },
    ]);
    expect(detailed['timezone']).toEqual({ version_1: 'UTC', version_2: 'Europe/Berlin' });
  });
});
