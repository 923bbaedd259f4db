import { describe, expect, it } from 'vitest';
import { CONTENT_FIELDS } from '../events/content.ts';
import { changedFields, detailedDiff, diffSnapshots, type DiffOp, wordDiff } from './diff.ts';

const base = {
  id: 7,
  title: 'Planning',
  description: 'Discuss the budget',
  start_time: new Date('2025-04-27T08:05:00Z'),
  end_time: new Date('2025-04-27T09:00:00Z'),
  location: 'Board Room',
  timezone: 'UTC',
  is_recurring: true,
  recurrence_pattern: { frequency: 'weekly', interval: 2, by_weekday: ['MO', 'WE'] },
  rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE',
  owner_id: 1,
  version: 1,
  created_at: new Date('2025-04-20T10:00:00Z'),
  updated_at: new Date('2025-04-20T10:00:00Z'),
};

const rebuild = (ops: DiffOp[], keep: 'delete' | 'insert') =>
  ops
    .filter((o) => o.op === 'equal' || o.op === keep)
    .map((o) => o.text)
    .join('');
const flip = (ops: DiffOp[]) => ops.map((o) => ({ ...o, op: o.op === 'insert' ? 'delete' : o.op === 'delete' ? 'insert' : 'equal' }));
/** The mirror of a diff: inserts and deletes swapped, each replacement still written delete-then-insert. */
function mirror(ops: DiffOp[]): DiffOp[] {
  const out: DiffOp[] = [];
  let run: DiffOp[] = [];
  const flush = () => {
    out.push(...run.filter((o) => o.op === 'delete'), ...run.filter((o) => o.op === 'insert'));
    run = [];
  };
  for (const o of flip(ops) as DiffOp[]) {
    if (o.op === 'equal') {
      flush();
      out.push(o);
    } else run.push(o);
  }
  flush();
  return out;
}

describe('CONTENT_FIELDS', () => {
  it('are the event’s content, nothing derived or bookkeeping', () => {
    expect([...CONTENT_FIELDS]).toEqual([
      'title',
      'description',
      'start_time',
      'end_time',
      'location',
      'timezone',
      'is_recurring',
      'recurrence_pattern',
      'tags',
      'metadata',
      'reminders',
    ]);
  });
});

describe('diffSnapshots', () => {
  it('lists only differing content fields, times as RFC 3339 UTC seconds', () => {
    const changed = {
      ...base,
      title: 'Planning v2',
      start_time: new Date('2025-04-27T08:30:00Z'),
      version: 2,
      rrule: 'x',
      updated_at: new Date(),
    };
    expect(diffSnapshots(base, changed)).toEqual({
      title: { version_1: 'Planning', version_2: 'Planning v2' },
      start_time: { version_1: '2025-04-27T08:05:00Z', version_2: '2025-04-27T08:30:00Z' },
    });
  });

  it('is empty for identical snapshots', () => {
    expect(diffSnapshots(base, { ...base })).toEqual({});
    expect(diffSnapshots(base, structuredClone(base))).toEqual({});
  });

  it('compares recurrence_pattern objects deeply, whatever their key order', () => {
    expect(diffSnapshots(base, { ...base, recurrence_pattern: { by_weekday: ['MO', 'WE'], interval: 2, frequency: 'weekly' } })).toEqual(
      {},
    );
    expect(diffSnapshots(base, { ...base, recurrence_pattern: { ...base.recurrence_pattern, by_weekday: ['MO'] } })).toEqual({
      recurrence_pattern: { version_1: base.recurrence_pattern, version_2: { ...base.recurrence_pattern, by_weekday: ['MO'] } },
    });
    expect(
      diffSnapshots({ ...base, recurrence_pattern: 'weekly' }, { ...base, recurrence_pattern: { frequency: 'weekly' } }),
    ).toHaveProperty('recurrence_pattern');
  });

  it('compares tags as ordered lists and metadata as objects whatever their key order', () => {
    const tagged = { ...base, tags: ['a', 'b'], metadata: { room: 'B', seats: { max: 9, min: 2 } } };
    expect(diffSnapshots(tagged, { ...tagged, metadata: { seats: { min: 2, max: 9 }, room: 'B' } })).toEqual({});
    expect(diffSnapshots(tagged, { ...tagged, tags: ['b', 'a'], metadata: { room: 'C', seats: { max: 9, min: 2 } } })).toEqual({
      tags: { version_1: ['a', 'b'], version_2: ['b', 'a'] },
      metadata: { version_1: tagged.metadata, version_2: { room: 'C', seats: { max: 9, min: 2 } } },
    });
    expect(changedFields(tagged, { ...tagged, tags: [] })).toEqual({ tags: { from: ['a', 'b'], to: [] } });
  });

  it('compares times as instants, whether Dates or strings', () => {
    const asStrings = { ...base, start_time: '2025-04-27T10:05:00+02:00', end_time: '2025-04-27T09:00:00.000Z' };
    expect(diffSnapshots(base, asStrings)).toEqual({});
    expect(diffSnapshots(base, { ...asStrings, end_time: '2025-04-27 09:30' })).toEqual({
      end_time: { version_1: '2025-04-27T09:00:00Z', version_2: '2025-04-27T09:30:00Z' },
    });
  });

  it('reads missing and null alike, and tells null from a value', () => {
    const { location: _dropped, ...withoutLocation } = base;
    expect(diffSnapshots({ ...base, location: null }, withoutLocation)).toEqual({});
    expect(diffSnapshots(base, { ...base, location: null })).toEqual({ location: { version_1: 'Board Room', version_2: null } });
    expect(diffSnapshots(base, { ...base, is_recurring: false })).toEqual({ is_recurring: { version_1: true, version_2: false } });
  });

  it('is symmetric', () => {
    const other = {
      ...base,
      description: 'Discuss the revised budget',
      location: null,
      end_time: new Date('2025-04-27T10:00:00Z'),
      recurrence_pattern: 'daily',
    };
    const ab = diffSnapshots(base, other);
    const ba = diffSnapshots(other, base);
    expect(Object.keys(ab).sort()).toEqual(['description', 'end_time', 'location', 'recurrence_pattern']);
    expect(Object.keys(ba).sort()).toEqual(Object.keys(ab).sort());
    for (const [field, change] of Object.entries(ab))
      expect(ba[field]).toEqual({ version_1: change.version_2, version_2: change.version_1 });
  });
});

describe('changedFields', () => {
  it('lists every field that is not null on creation, from null', () => {
    const created = changedFields(null, { ...base, location: null, description: '', is_recurring: false, recurrence_pattern: undefined });
    expect(created).toEqual({
      title: { from: null, to: 'Planning' },
      description: { from: null, to: '' },
      start_time: { from: null, to: '2025-04-27T08:05:00Z' },
      end_time: { from: null, to: '2025-04-27T09:00:00Z' },
      timezone: { from: null, to: 'UTC' },
      is_recurring: { from: null, to: false },
    });
    expect(changedFields(null, base)).toMatchObject({
      recurrence_pattern: { from: null, to: base.recurrence_pattern },
      location: { from: null, to: 'Board Room' },
    });
  });

  it('lists only what changed afterwards', () => {
    expect(changedFields(base, { ...base, title: 'New', version: 2 })).toEqual({ title: { from: 'Planning', to: 'New' } });
    expect(changedFields(base, { ...base, recurrence_pattern: { interval: 2, by_weekday: ['MO', 'WE'], frequency: 'weekly' } })).toEqual(
      {},
    );
    expect(changedFields(base, { ...base, end_time: new Date('2025-04-27T09:15:00Z') })).toEqual({
      end_time: { from: '2025-04-27T09:00:00Z', to: '2025-04-27T09:15:00Z' },
    });
  });

  it('says the same as diffSnapshots between two versions', () => {
    const after = { ...base, title: 'Other', location: 'Room 2', is_recurring: false, recurrence_pattern: null };
    const diff = diffSnapshots(base, after);
    const changes = changedFields(base, after);
    expect(Object.fromEntries(Object.entries(changes).map(([f, c]) => [f, { version_1: c.from, version_2: c.to }]))).toEqual(diff);
  });
});

describe('wordDiff', () => {
  const pairs: Array<[string, string]> = [
    ['Discuss the budget', 'Discuss the revised budget and hiring'],
    ['', 'brand new text'],
    ['all gone', ''],
    ['', ''],
    ['same words here', 'same words here'],
    ['  spaces   matter ', 'spaces matter'],
    ['x a', 'a x'],
    ['the quick brown fox jumps over the lazy dog', 'a quick red fox leaped over the dog'],
    ['line one\nline two\n\nline four', 'line one\nline 2\nline three\n\nline four'],
    ['Émile’s café — 10:00', 'Émile’s bistro — 10:30 🎉'],
  ];

  it.each(pairs)('rebuilds both texts from %j → %j', (a, b) => {
    const ops = wordDiff(a, b);
    expect(rebuild(ops, 'delete')).toBe(a);
    expect(rebuild(ops, 'insert')).toBe(b);
    for (let i = 1; i < ops.length; i++) expect(ops[i]!.op, 'adjacent ops of one kind are merged').not.toBe(ops[i - 1]!.op);
    expect(ops.every((o) => o.text.length > 0)).toBe(true);
  });

  it.each(pairs)('mirrors itself when the texts swap: %j ↔ %j', (a, b) => {
    expect(wordDiff(b, a)).toEqual(mirror(wordDiff(a, b)));
  });

  it('works word by word, whitespace kept', () => {
    expect(wordDiff('Discuss the budget', 'Discuss the revised budget')).toEqual([
      { op: 'equal', text: 'Discuss the ' },
      { op: 'insert', text: 'revised ' },
      { op: 'equal', text: 'budget' },
    ]);
    expect(wordDiff('meet at noon', 'meet at ten')).toEqual([
      { op: 'equal', text: 'meet at ' },
      { op: 'delete', text: 'noon' },
      { op: 'insert', text: 'ten' },
    ]);
    expect(wordDiff('same', 'same')).toEqual([{ op: 'equal', text: 'same' }]);
    expect(wordDiff('', '')).toEqual([]);
  });

  it('stays correct for long texts that share nothing (bounded work: the middle is replaced whole)', () => {
    const words = (n: number, k: number) => Array.from({ length: n }, (_, i) => `w${(i * k) % 997}`).join(' ');
    const a = `Shared opening. ${words(8000, 7)} shared ending.`;
    const b = `Shared opening. ${words(8000, 13)} shared ending.`;
    const ops = wordDiff(a, b);
    expect(rebuild(ops, 'delete')).toBe(a);
    expect(rebuild(ops, 'insert')).toBe(b);
    // Too different for a word diff: the shared start and end, the middle replaced, no word split.
    expect(ops.map((o) => o.op)).toEqual(['equal', 'delete', 'insert', 'equal']);
    expect(ops[0]!.text).toBe('Shared opening. w0 ');
    expect(ops.at(-1)!.text).toBe(' shared ending.');
    expect(wordDiff(b, a)).toEqual(mirror(ops));
    // A shared start that ends inside a word is cut back to the last whole word.
    const c = `Notes draft${words(8000, 7)}`;
    const d = `Notes drafting${words(8000, 13)}`;
    const split = wordDiff(c, d);
    expect(split[0]).toEqual({ op: 'equal', text: 'Notes ' });
    expect(rebuild(split, 'delete')).toBe(c);
    expect(rebuild(split, 'insert')).toBe(d);
  });
});

describe('detailedDiff', () => {
  it('adds word ops to the text fields only', () => {
    const detailed = detailedDiff(base, { ...base, title: 'Planning session', timezone: 'Europe/Berlin', is_recurring: false });
    expect(detailed).toEqual({
      title: {
        version_1: 'Planning',
        version_2: 'Planning session',
        ops: [
          { op: 'equal', text: 'Planning' },
          { op: 'insert', text: ' session' },
        ],
      },
      timezone: { version_1: 'UTC', version_2: 'Europe/Berlin' },
      is_recurring: { version_1: true, version_2: false },
    });
  });

  it('diffs a location that appears or disappears against the empty text', () => {
    const detailed = detailedDiff({ ...base, location: null }, base);
    expect(detailed['location']).toEqual({ version_1: null, version_2: 'Board Room', ops: [{ op: 'insert', text: 'Board Room' }] });
  });

  it('is symmetric, ops included', () => {
    const other = {
      ...base,
      title: 'Quarterly planning meeting',
      description: 'Discuss the revised budget and hiring',
      location: 'Room 2',
    };
    const ab = detailedDiff(base, other);
    const ba = detailedDiff(other, base);
    expect(Object.keys(ba).sort()).toEqual(Object.keys(ab).sort());
    for (const [field, entry] of Object.entries(ab)) {
      expect(ba[field]!.version_1).toEqual(entry.version_2);
      expect(ba[field]!.version_2).toEqual(entry.version_1);
      expect(ba[field]!.ops).toEqual(mirror(entry.ops!));
      expect(rebuild(entry.ops!, 'delete')).toBe(entry.version_1);
      expect(rebuild(entry.ops!, 'insert')).toBe(entry.version_2);
    }
  });
});
