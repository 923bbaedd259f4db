import { formatDateTime, parseDateTime } from '@scheduler/shared';
import { diffWordsWithSpace } from 'diff';
import { isDeepStrictEqual } from 'node:util';
import { CONTENT_FIELDS, type ContentField } from '../events/content.ts';

const TEXT_FIELDS: ReadonlySet<string> = new Set<ContentField>(['title', 'description', 'location']);
const TIME_FIELDS: ReadonlySet<string> = new Set<ContentField>(['start_time', 'end_time']);

export type DiffOp = { op: 'equal' | 'insert' | 'delete'; text: string };
export type FieldDiff = { version_1: unknown; version_2: unknown; ops?: DiffOp[] };
export type FieldChange = { from: unknown; to: unknown };

/** A time field as an instant, whether the snapshot holds a Date (a row) or a string (JSON). */
function instant(field: string, value: unknown): Date | null {
  if (value instanceof Date) return value;
  if (TIME_FIELDS.has(field) && typeof value === 'string') return parseDateTime(value);
  return null;
}

/** How a value is shown: times as RFC 3339 UTC seconds, missing as null. */
function shown(field: string, value: unknown): unknown {
  const time = instant(field, value);
  if (time) return formatDateTime(time);
  return value ?? null;
}

/** A form in which equal values are deep-equal: times as numbers, object keys sorted, undefined keys dropped. */
function comparable(field: string, value: unknown): unknown {
  const time = instant(field, value);
  if (time) return time.getTime();
  if (Array.isArray(value)) return value.map((item) => comparable('', item));
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(object)
        .filter((key) => object[key] !== undefined)
        .sort()
        .map((key) => [key, comparable('', object[key])]),
    );
  }
  return value ?? null;
}

const same = (field: string, a: unknown, b: unknown) => isDeepStrictEqual(comparable(field, a), comparable(field, b));

/**
 * The content fields whose values differ between two snapshots, each as
 * `{version_1, version_2}`. Objects (recurrence_pattern) compare deeply,
 * whatever their key order; times compare as instants and are shown as
 * RFC 3339 UTC with second precision. Swapping the snapshots swaps the sides.
 */
export function diffSnapshots(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, FieldDiff> {
  const out: Record<string, FieldDiff> = {};
  for (const field of CONTENT_FIELDS) {
    if (!same(field, a[field], b[field])) out[field] = { version_1: shown(field, a[field]), version_2: shown(field, b[field]) };
  }
  return out;
}

/**
 * What changed from `before` to `after`, each as `{from, to}`. With `before`
 * null (the creation) every field that is not null or missing is listed, from
 * null: `""` and `false` are values the creation set.
 */
export function changedFields(before: Record<string, unknown> | null, after: Record<string, unknown>): Record<string, FieldChange> {
  const out: Record<string, FieldChange> = {};
  for (const field of CONTENT_FIELDS) {
    if (before === null) {
      if (after[field] !== null && after[field] !== undefined) out[field] = { from: null, to: shown(field, after[field]) };
    } else if (!same(field, before[field], after[field])) {
      out[field] = { from: shown(field, before[field]), to: shown(field, after[field]) };
    }
  }
  return out;
}

/** Beyond this many word edits, jsdiff gives up (worst case about 0.1 s) and the coarse diff answers. */
const MAX_EDIT_LENGTH = 1000;

type Part = { op: DiffOp['op']; text: string };
const FLIPPED = { equal: 'equal', insert: 'delete', delete: 'insert' } as const;

/**
 * The one shape of ops: equal runs merged, and between two of them at most
 * one delete followed by at most one insert. With one shape, the diff of (b, a)
 * is exactly the mirror of the diff of (a, b).
 */
function canonical(parts: Part[]): DiffOp[] {
  const out: DiffOp[] = [];
  let deleted = '';
  let inserted = '';
  const flush = () => {
    if (deleted) out.push({ op: 'delete', text: deleted });
    if (inserted) out.push({ op: 'insert', text: inserted });
    deleted = inserted = '';
  };
  for (const part of parts) {
    if (!part.text) continue;
    if (part.op === 'delete') deleted += part.text;
    else if (part.op === 'insert') inserted += part.text;
    else {
      flush();
      const last = out.at(-1);
      if (last?.op === 'equal') last.text += part.text;
      else out.push({ op: 'equal', text: part.text });
    }
  }
  flush();
  return out;
}

/** The common start and end, cut at whitespace so no word is split, and everything between replaced. */
function coarse(a: string, b: string): Part[] {
  const isWord = (c: string | undefined) => c !== undefined && /\S/.test(c);
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  while (p > 0 && isWord(a[p - 1]) && (isWord(a[p]) || isWord(b[p]))) p--;
  let s = 0;
  while (s < a.length - p && s < b.length - p && a[a.length - 1 - s] === b[b.length - 1 - s]) s++;
  while (s > 0 && isWord(a[a.length - s]) && (isWord(a[a.length - s - 1]) || isWord(b[b.length - s - 1]))) s--;
  return [
    { op: 'equal', text: a.slice(0, p) },
    { op: 'delete', text: a.slice(p, a.length - s) },
    { op: 'insert', text: b.slice(p, b.length - s) },
    { op: 'equal', text: a.slice(a.length - s) },
  ];
}

/**
 * A word-level diff of two texts (whitespace kept as its own tokens): the
 * equal and delete texts concatenate to `a`, the equal and insert texts to
 * `b`. Adjacent ops of one kind are merged; a replacement is a delete then an
 * insert; wordDiff(b, a) is wordDiff(a, b) with inserts and deletes swapped.
 */
export function wordDiff(a: string, b: string): DiffOp[] {
  // jsdiff can align ties differently in each direction, so it only ever runs one way.
  if (a > b) return canonical(wordDiff(b, a).map(({ op, text }) => ({ op: FLIPPED[op], text })));
  const changes = diffWordsWithSpace(a, b, { maxEditLength: MAX_EDIT_LENGTH });
  const parts: Part[] = changes
    ? changes.map((c) => ({ op: c.added ? 'insert' : c.removed ? 'delete' : 'equal', text: c.value }))
    : coarse(a, b);
  return canonical(parts);
}

/**
 * diffSnapshots plus, for the text fields (title, description, location) when
 * both sides are strings or missing, the word-level `ops` of the change.
 */
export function detailedDiff(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, FieldDiff> {
  const out = diffSnapshots(a, b);
  const text = (value: unknown) => (typeof value === 'string' ? value : value === null || value === undefined ? '' : null);
  for (const [field, entry] of Object.entries(out)) {
    const before = text(a[field]);
    const after = text(b[field]);
    if (TEXT_FIELDS.has(field) && before !== null && after !== null) entry.ops = wordDiff(before, after);
  }
  return out;
}
