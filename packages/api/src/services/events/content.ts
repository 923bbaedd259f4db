import type { EventRow } from '@scheduler/db';
import {
  eventInstant,
  isEmptyRecurrence,
  recurrenceFlagProblems,
  timeOrderProblems,
  type TErrorDetail,
  type TEventFields,
} from '@scheduler/shared';
import { isDeepStrictEqual } from 'node:util';
import { validationErrors } from '../../errors.ts';
import { isValidTimeZone, normalizeRecurrence, seriesEnd } from './recurrence.ts';

/** The content fields history compares; never ids, versions, the derived rrule or bookkeeping times. */
export const CONTENT_FIELDS = [
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
] as const;
export type ContentField = (typeof CONTENT_FIELDS)[number];

/** What an event is made of, validated and with its derived fields (rrule, series_end). */
export interface EventContent {
  title: string;
  description: string;
  start_time: Date;
  end_time: Date;
  location: string | null;
  timezone: string;
  is_recurring: boolean;
  recurrence_pattern: unknown;
  tags: string[];
  metadata: Record<string, unknown>;
  rrule: string | null;
  series_end: Date | null;
  /** Minutes before each occurrence's start: distinct, ascending. */
  reminders: number[];
}

/** Event fields whose times are either as the client wrote them or already instants. */
type FieldsWithTimes = Omit<TEventFields, 'start_time' | 'end_time'> & { start_time: string | Date; end_time: string | Date };

/** Validates a full set of fields (create, or current content merged with a patch). */
export function buildContent(input: FieldsWithTimes): { content: EventContent } | { details: TErrorDetail[] } {
  const details: TErrorDetail[] = [];
  const timezone = input.timezone ?? 'UTC';
  const fields = {
    ...input,
    start_time: eventInstant(input.start_time, input.timezone),
    end_time: eventInstant(input.end_time, input.timezone),
  };
  if (!isValidTimeZone(timezone)) details.push({ path: 'timezone', message: `unknown time zone "${timezone}"` });
  details.push(...timeOrderProblems(fields));
  const given = fields.recurrence_pattern ?? null;
  const pattern = isEmptyRecurrence(given) ? null : given;
  let rrule: string | null = null;
  if (pattern !== null) {
    const normalized = normalizeRecurrence(pattern);
    if (normalized.ok) rrule = normalized.rrule;
    else details.push({ path: 'recurrence_pattern', message: normalized.message });
  }
  const isRecurring = fields.is_recurring ?? pattern !== null;
  details.push(...recurrenceFlagProblems(fields));
  if (details.length > 0) return { details };
  const content: EventContent = {
    title: fields.title,
    description: fields.description ?? '',
    start_time: fields.start_time,
    end_time: fields.end_time,
    location: fields.location ?? null,
    timezone,
    is_recurring: isRecurring,
    // Echoed as given, "" and {} included; `rrule` says whether it recurs.
    recurrence_pattern: given,
    tags: fields.tags ?? [],
    metadata: fields.metadata ?? {},
    rrule,
    series_end: null,
    reminders: normalizeReminders(fields.reminders ?? []),
  };
  content.series_end = seriesEnd({ start: content.start_time, end: content.end_time, rrule, timezone });
  return { content };
}

/** One reminder per offset, ascending: [60, 10] and [10, 60, 10] are the same content as [10, 60]. */
const normalizeReminders = (minutes: readonly number[]): number[] => [...new Set(minutes)].sort((a, b) => a - b);

/** Same as buildContent, throwing a 400 with every problem listed. */
export function requireContent(fields: FieldsWithTimes): EventContent {
  const result = buildContent(fields);
  if ('details' in result) throw validationErrors(result.details);
  return result.content;
}

/** The content of a stored event. */
export function contentOf(row: Pick<EventRow, keyof EventContent>): EventContent {
  return {
    title: row.title,
    description: row.description,
    start_time: row.start_time,
    end_time: row.end_time,
    location: row.location,
    timezone: row.timezone,
    is_recurring: row.is_recurring,
    recurrence_pattern: row.recurrence_pattern ?? null,
    tags: row.tags,
    metadata: row.metadata,
    rrule: row.rrule,
    series_end: row.series_end,
    reminders: row.reminders,
  };
}

/**
 * Merges a partial update into the current content. Clearing the pattern
 * (null or "") or setting is_recurring false ends the recurrence; giving a
 * pattern alone makes the event recurring.
 */
export function mergePatch(current: EventContent, patch: Partial<TEventFields>): EventContent {
  // Zone-less times in a patch are read in the patch's own timezone, else UTC (the contract's rule).
  const merged: FieldsWithTimes = {
    title: patch.title ?? current.title,
    description: patch.description ?? current.description,
    start_time: patch.start_time === undefined ? current.start_time : eventInstant(patch.start_time, patch.timezone),
    end_time: patch.end_time === undefined ? current.end_time : eventInstant(patch.end_time, patch.timezone),
    location: patch.location === undefined ? current.location : patch.location,
    timezone: patch.timezone ?? current.timezone,
    recurrence_pattern: (patch.recurrence_pattern === undefined
      ? current.recurrence_pattern
      : patch.recurrence_pattern) as TEventFields['recurrence_pattern'],
    is_recurring: patch.is_recurring,
    // A given tags or metadata replaces the stored one whole.
    tags: patch.tags ?? current.tags,
    metadata: patch.metadata ?? current.metadata,
    reminders: patch.reminders ?? current.reminders,
  };
  if (patch.is_recurring === false && patch.recurrence_pattern === undefined) merged.recurrence_pattern = null;
  if (patch.is_recurring === undefined) {
    merged.is_recurring = patch.recurrence_pattern === undefined ? current.is_recurring : !isEmptyRecurrence(patch.recurrence_pattern);
  }
  return requireContent(merged);
}

/** Equal in every compared field (the ones history diffs; object keys in any order); derived fields follow from them. */
export function sameContent(a: EventContent, b: EventContent): boolean {
  return CONTENT_FIELDS.every((key) => isDeepStrictEqual(normalize(a[key]), normalize(b[key])));
}

const normalize = (value: unknown) => (value instanceof Date ? value.getTime() : value);

/** Column values for events / event_versions rows. */
export function contentColumns(content: EventContent) {
  return {
    title: content.title,
    description: content.description,
    start_time: content.start_time,
    end_time: content.end_time,
    location: content.location,
    timezone: content.timezone,
    is_recurring: content.is_recurring,
    recurrence_pattern: content.recurrence_pattern === null ? null : JSON.stringify(content.recurrence_pattern),
    tags: content.tags,
    metadata: JSON.stringify(content.metadata),
    rrule: content.rrule,
    series_end: content.series_end,
    reminders: JSON.stringify(content.reminders),
  };
}
