import { isDeepStrictEqual } from 'node:util';
import { formatDateTime } from '@scheduler/shared';
import { diffWordsWithSpace } from 'diff';

/** The content fields history compares; never ids, versions, derived or bookkeeping fields. */
export const CONTENT_FIELDS = [
  'title',
  'description',
  'start_time',
  'end_time',
  'location',
  'timezone',
  'is_recurring',
  'recurrence_pattern',
] as const;

const TEXT_FIELDS = new Set(['title', 'description', 'location']);

export type DiffOp = { op: 'equal' | 'insert' | 'delete'; text: string };
export type FieldDiff = { version_1: unknown; version_2: unknown; ops?: DiffOp[] };

const present = (value: unknown) => (value instanceof Date ? formatDateTime(value) : (value ?? null));

/** Order-insensitive comparison for objects (a recurrence object with its keys in another order is the same). */
function same(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(canonical(a), canonical(b));
}

function canonical(value: unknown): unknown {
  if (value instanceof Date) return value.getTime();
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value ?? null;
}

/** Fields whose values differ between two snapshots. */
export function diffSnapshots(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, FieldDiff> {
  const out: Record<string, FieldDiff> = {};
  for (const field of CONTENT_FIELDS) {
    if (!same(a[field], b[field])) out[field] = { version_1: present(a[field]), version_2: present(b[field]) };
  }
  return out;
}

/** What changed from `before` to `after` (before null: the creation, every set field from null). */
export function changedFields(
  before: Record<string, unknown> | null,
  after: Record<string, unknown>,
): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of CONTENT_FIELDS) {
    const from = before ? before[field] : null;
    if (before === null && (after[field] === null || after[field] === undefined)) continue;
    if (!same(from, after[field])) out[field] = { from: present(from), to: present(after[field]) };
  }
  return out;
}

/** Word-level diff: equal + delete texts rebuild `a`, equal + insert texts rebuild `b`. */
export function wordDiff(a: string, b: string): DiffOp[] {
  const ops: DiffOp[] = [];
  for (const part of diffWordsWithSpace(a, b)) {
    const op: DiffOp['op'] = part.added ? 'insert' : part.removed ? 'delete' : 'equal';
    const last = ops.at(-1);
    if (last && last.op === op) last.text += part.value;
    else ops.push({ op, text: part.value });
  }
  return ops;
}

/** diffSnapshots plus word-level ops for the text fields. */
export function detailedDiff(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, FieldDiff> {
  const out = diffSnapshots(a, b);
  for (const [field, entry] of Object.entries(out)) {
    if (!TEXT_FIELDS.has(field)) continue;
    entry.ops = wordDiff(typeof a[field] === 'string' ? (a[field] as string) : '', typeof b[field] === 'string' ? (b[field] as string) : '');
  }
  return out;
}
