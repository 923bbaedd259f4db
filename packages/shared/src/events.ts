import { z } from 'zod';
import { ZConflict, type TErrorDetail } from './errors.ts';
import { parseDateTime } from './time.ts';
import {
  caseInsensitiveEnum,
  type CaseVariants,
  ZDateTime,
  ZDateTimeInput,
  ZEventTimeInput,
  ZId,
  ZPageInput,
  ZQueryBoolean,
  ZRole,
  ZRoleFilter,
  ZStrictBoolean,
} from './common.ts';

export const FREQUENCIES = ['daily', 'weekly', 'monthly', 'yearly'] as const;
/** RFC 5545 weekday codes, Monday first (rrule.js counts weekdays the same way). */
export const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
/** Limits of a recurrence, in every form it is written (object form here, RRULE text on the server). */
export const MAX_RECURRENCE_INTERVAL = 1000;
export const MAX_RECURRENCE_COUNT = 100_000;
/** Full day names, also accepted in `by_weekday` (their first two letters count). */
type DayName = 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday' | 'sunday';

/** The object form of a recurrence (seeds 000 and 004). */
export const ZRecurrenceObject = z
  .object({
    frequency: caseInsensitiveEnum(FREQUENCIES, (v) => v.toLowerCase(), { error: 'must be daily, weekly, monthly or yearly' }).optional(),
    interval: z.number().int().min(1).max(MAX_RECURRENCE_INTERVAL).optional(),
    by_weekday: z
      .array(
        z.preprocess(
          (v: CaseVariants<(typeof WEEKDAYS)[number] | DayName>) => (typeof v === 'string' ? v.slice(0, 2).toUpperCase() : v),
          z.enum(WEEKDAYS, { error: 'must be a weekday such as MO or monday' }),
        ),
      )
      .max(7)
      .optional(),
    count: z.number().int().min(1).max(MAX_RECURRENCE_COUNT).optional(),
    until: z.string().max(64).optional(),
  })
  .strict()
  // `{}` means "no recurrence" (seed 000 sends it); anything else needs a frequency.
  .refine((o) => Object.keys(o).length === 0 || o.frequency !== undefined, {
    message: 'is required',
    path: ['frequency'],
  });
export type TRecurrenceObject = z.infer<typeof ZRecurrenceObject>;

/**
 * A recurrence as clients send it: a shorthand (`"weekly"`), an RFC 5545 rule
 * (`"FREQ=WEEKLY;BYDAY=MO,WE"`), the object form, or null / `""` / `{}` for none.
 * It is echoed back as given; the normalized rule is the event's `rrule`.
 */
export const ZRecurrencePattern = z
  .union([z.string().max(1000), ZRecurrenceObject, z.null()])
  .describe('"daily" | "weekly" | "monthly" | "yearly", an RRULE string, or {frequency, interval?, by_weekday?, count?, until?}');
export type TRecurrencePattern = z.infer<typeof ZRecurrencePattern>;

export const ON_CONFLICT = ['reject', 'allow'] as const;
export const ZOnConflict = z.enum(ON_CONFLICT).optional().describe('reject (default): 409 on overlap; allow: save and list the overlaps');

const title = z
  .string()
  .max(200, 'must be at most 200 characters')
  .refine((value) => value.trim().length > 0, 'must not be empty');
const description = z.string().max(100_000, 'must be at most 100000 characters');
const location = z.string().max(500, 'must be at most 500 characters').nullable();
const timezone = z.string().min(1).max(64).describe('IANA time zone, default UTC');

export const MAX_TAGS = 20;
export const MAX_TAG_LENGTH = 40;
/** Largest metadata object, measured as its JSON text in UTF-8 bytes. */
export const MAX_METADATA_BYTES = 8 * 1024;

/** One tag: trimmed and lower-cased first, then 1–40 of letters, digits and `- _ . :`. */
export const ZTag = z
  .string()
  .trim()
  .toLowerCase()
  .min(1, 'must not be empty')
  .max(MAX_TAG_LENGTH, `must be at most ${MAX_TAG_LENGTH} characters`)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'may contain only letters, digits and - _ . :');

/** Tags as written: each normalized, duplicates dropped (the first kept), order kept. */
export const ZTags = z
  .array(ZTag)
  .overwrite((tags) => [...new Set(tags)])
  .max(MAX_TAGS, `at most ${MAX_TAGS} tags`)
  .describe('Labels, lower-cased; duplicates dropped, order kept');

const jsonBytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length;

/** A JSON object the client owns; at most 8 KB as JSON text. */
export const ZMetadata = z
  .record(z.string(), z.unknown())
  .refine((value) => jsonBytes(value) <= MAX_METADATA_BYTES, `must be at most ${MAX_METADATA_BYTES} bytes as JSON`)
  .describe('Any JSON object, at most 8 KB as JSON');

/** Most reminders an event may have, and the earliest one: four weeks before the start. */
export const MAX_REMINDERS = 5;
export const MAX_REMINDER_MINUTES = 40_320;
const reminders = z
  .array(z.number().int().min(0).max(MAX_REMINDER_MINUTES, `must be at most ${MAX_REMINDER_MINUTES} minutes (four weeks)`))
  .max(MAX_REMINDERS, `at most ${MAX_REMINDERS} reminders`)
  .describe('Minutes before each occurrence’s start when an event.reminder message is sent; duplicates dropped, kept sorted');

/** The content of an event as a client writes it. */
export const ZEventFields = z.object({
  title,
  description: description.optional(),
  start_time: ZEventTimeInput,
  end_time: ZEventTimeInput,
  location: location.optional(),
  timezone: timezone.optional(),
  is_recurring: ZStrictBoolean.optional(),
  recurrence_pattern: ZRecurrencePattern.optional(),
  tags: ZTags.optional(),
  metadata: ZMetadata.optional(),
  reminders: reminders.optional(),
});
export type TEventFields = z.infer<typeof ZEventFields>;

/** A recurrence that means "none": absent, null, `""` or `{}`. */
export function isEmptyRecurrence(pattern: unknown): boolean {
  return (
    pattern === undefined ||
    pattern === null ||
    pattern === '' ||
    (typeof pattern === 'object' && !Array.isArray(pattern) && Object.keys(pattern).length === 0)
  );
}

/**
 * The one rule for an event's times as written: a zone-less time is a
 * wall-clock time in the timezone the same body gives, else UTC.
 */
export function eventInstant(value: string | Date, timezone: string | undefined): Date {
  return value instanceof Date ? value : (parseDateTime(value, timezone ?? 'UTC') ?? new Date(Number.NaN));
}

type CrossFields = Pick<TEventFields, 'is_recurring' | 'recurrence_pattern' | 'timezone'> & {
  start_time: string | Date;
  end_time: string | Date;
};

/** The event does not end before it starts. */
export function timeOrderProblems(fields: Pick<CrossFields, 'start_time' | 'end_time' | 'timezone'>): TErrorDetail[] {
  const start = eventInstant(fields.start_time, fields.timezone);
  const end = eventInstant(fields.end_time, fields.timezone);
  return end.getTime() < start.getTime() ? [{ path: 'end_time', message: 'must not be before start_time' }] : [];
}

/** `is_recurring` and `recurrence_pattern` agree (a missing `is_recurring` follows the pattern). */
export function recurrenceFlagProblems(fields: Pick<CrossFields, 'is_recurring' | 'recurrence_pattern'>): TErrorDetail[] {
  const hasPattern = !isEmptyRecurrence(fields.recurrence_pattern);
  if (fields.is_recurring === true && !hasPattern)
    return [{ path: 'recurrence_pattern', message: 'is required when is_recurring is true' }];
  if (fields.is_recurring === false && hasPattern)
    return [{ path: 'is_recurring', message: 'must be true when a recurrence_pattern is given' }];
  return [];
}

/**
 * The rules between an event's fields, one definition for every place that
 * checks them: the input schemas below, and the server after it merges a
 * partial update into the stored event.
 */
export function eventFieldProblems(fields: CrossFields): TErrorDetail[] {
  return [...timeOrderProblems(fields), ...recurrenceFlagProblems(fields)];
}

const checkFieldRules = (fields: CrossFields, ctx: z.RefinementCtx) => {
  for (const problem of eventFieldProblems(fields)) ctx.addIssue({ code: 'custom', path: [problem.path], message: problem.message });
};

/** A complete event as written (one batch item): the fields and the rules between them. */
export const ZNewEventFields = ZEventFields.superRefine(checkFieldRules);

export const ZCreateEventInput = ZEventFields.extend({ on_conflict: ZOnConflict }).superRefine(checkFieldRules);
export type TCreateEventInput = z.infer<typeof ZCreateEventInput>;

/** PUT and PATCH are both partial. `version` is the optimistic-concurrency check (If-Match). */
export const ZUpdateEventInput = ZEventFields.partial().extend({
  id: ZId,
  version: z.number().int().min(0).optional().describe('Expected current version (same as If-Match)'),
  on_conflict: ZOnConflict,
});
export type TUpdateEventInput = z.infer<typeof ZUpdateEventInput>;

export const ZEvent = z
  .object({
    id: z.number().int(),
    title: z.string(),
    description: z.string(),
    start_time: ZDateTime,
    end_time: ZDateTime,
    location: z.string().nullable(),
    timezone: z.string(),
    is_recurring: z.boolean(),
    recurrence_pattern: z
      .union([z.string(), z.record(z.string(), z.unknown())])
      .nullable()
      .describe('As sent by the client'),
    rrule: z.string().nullable().describe('Normalized RFC 5545 rule'),
    tags: z.array(z.string()).describe('Normalized tags, in the order given'),
    metadata: z.record(z.string(), z.unknown()).describe('The JSON object the client stored'),
    reminders: z.array(z.number().int()).describe('Minutes before each occurrence’s start, ascending'),
    owner_id: z.number().int(),
    version: z.number().int(),
    my_role: ZRole,
    created_at: ZDateTime,
    updated_at: ZDateTime,
  })
  .meta({ id: 'Event' });
export type TEvent = z.infer<typeof ZEvent>;

export const ZPermission = z.object({ user_id: z.number().int(), username: z.string(), role: ZRole });
export type TPermission = z.infer<typeof ZPermission>;

/** A participant's answer to an event (Google Calendar's responseStatus). */
export const RSVP_RESPONSES = ['accepted', 'declined', 'tentative'] as const;
export type TRsvpResponse = (typeof RSVP_RESPONSES)[number];
export const ZRsvpStatus = z
  .enum(['needs_action', ...RSVP_RESPONSES])
  .describe('The participant’s answer: needs_action until they answer; the owner is accepted unless they say otherwise');
export type TRsvpStatus = z.infer<typeof ZRsvpStatus>;

export const ZEventDetail = ZEvent.extend({
  permissions: z.array(
    ZPermission.extend({ rsvp: ZRsvpStatus.optional().describe('The participant’s answer (absent with as_of: answers have no history)') }),
  ),
}).meta({ id: 'EventDetail' });
export type TEventDetail = z.infer<typeof ZEventDetail>;

export const ZEventMutationResult = z.object({
  message: z.string(),
  event: ZEvent,
  conflicts: z.array(ZConflict).optional().describe('Overlaps saved anyway with on_conflict=allow'),
});
export type TEventMutationResult = z.infer<typeof ZEventMutationResult>;

export const ZGetEventInput = z.object({
  id: ZId,
  as_of: ZDateTimeInput.optional().describe('Answer with the event as it was at this time'),
});

export const ZEventIdInput = z.object({ id: ZId });

export const TAGS_MODES = ['any', 'all'] as const;

export const SORTS = ['start_time', '-start_time', 'updated_at', '-updated_at', 'title'] as const;

export const ZListEventsInput = ZPageInput.extend({
  skip: z.number().int().min(0).max(10_000_000).optional().describe('Offset (seed 000 style)'),
  limit: z.number().int().min(1).max(100).optional().describe('Page size (seed 000 style)'),
  start_date: ZDateTimeInput.optional().describe('Window start: events overlapping [start_date, end_date]'),
  end_date: ZDateTimeInput.optional().describe('Window end'),
  q: z.string().max(200).optional().describe('Text in title, description or location'),
  location: z.string().max(500).optional(),
  is_recurring: ZQueryBoolean.optional(),
  role: ZRoleFilter.optional().describe('Only events where my role is this'),
  sort: z.enum(SORTS).optional().describe('Default start_time'),
  expand: ZQueryBoolean.optional().describe('One row per occurrence inside the window'),
  as_of: ZDateTimeInput.optional().describe('List what the caller could see at this time'),
  tags: z.array(ZTag).max(MAX_TAGS).optional().describe('Comma-separated: events with any of these tags (all of them with tags_mode=all)'),
  tags_mode: z.enum(TAGS_MODES).optional().describe('any (default) or all'),
});
export type TListEventsInput = z.infer<typeof ZListEventsInput>;

export const ZEventList = z.object({
  results: z.array(ZEvent),
  count: z.number().int(),
  num_pages: z.number().int(),
  current_page: z.number().int(),
  // Links belong to REST (always present there); tRPC callers page with current_page and num_pages.
  next: z.string().nullable().optional().describe('Link to the next page, null on the last (REST)'),
  previous: z.string().nullable().optional().describe('Link to the previous page, null on the first (REST)'),
});
export type TEventList = z.infer<typeof ZEventList>;

/** Longest window an expansion may cover (occurrences, `expand=true`): two years. */
export const MAX_OCCURRENCE_WINDOW_MS = 2 * 366 * 24 * 3600 * 1000;

export const ZOccurrencesInput = z.object({
  id: ZId,
  from: ZDateTimeInput.optional().describe('Default: the event start'),
  to: ZDateTimeInput.optional().describe('Default: one year after from; at most two years after from'),
});
export const ZOccurrence = z.object({ start_time: ZDateTime, end_time: ZDateTime });
export const ZOccurrenceList = z.array(ZOccurrence);

export const BATCH_LIMIT = 10_000;
export const ZBatchInput = z.object({
  // Items are validated one by one (each failure is reported with its index), so the schema takes
  // any value; the typed client still sends event fields.
  events: z.array(z.unknown()).max(BATCH_LIMIT, `at most ${BATCH_LIMIT} events per batch`) as unknown as z.ZodType<
    unknown[],
    Array<z.input<typeof ZEventFields>>
  >,
  atomic: ZQueryBoolean.optional().describe('Default true: any invalid item fails the whole batch'),
  on_conflict: ZOnConflict,
});
export type TBatchInput = z.infer<typeof ZBatchInput>;

export const ZBatchError = z.object({
  index: z.number().int(),
  error: z.string(),
  code: z.string().optional(),
  details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  conflicts: z.array(ZConflict).optional(),
  conflicting_items: z.array(z.number().int()).optional().describe('Earlier items of this batch that overlap this one'),
});
export const ZBatchResult = z.object({
  created_events: z.array(ZEvent),
  errors: z.array(ZBatchError),
});
export type TBatchResult = z.infer<typeof ZBatchResult>;

export const ZTagCount = z.object({ tag: z.string(), count: z.number().int() });
/** Tags over the events the caller can read, most used first, then alphabetical. */
export const ZTagCounts = z.array(ZTagCount);
export type TTagCount = z.infer<typeof ZTagCount>;
