import { z } from 'zod';
import { parseDateTime } from './time.ts';

/** A positive integer id (the REST layer turns path and query strings into numbers). */
export const ZId = z
  .number({ error: 'must be a positive integer' })
  .int('must be a positive integer')
  .positive('must be a positive integer')
  .max(2_147_483_647, 'is too large');

/** An id as written in a URL outside the REST routes (WebSocket paths, the event stream's query). */
export const ZIdText = z
  .string()
  .regex(/^\d{1,10}$/, 'must be a positive integer')
  .transform(Number)
  .pipe(ZId);

/** A time in any accepted input form, parsed to a Date (see parseDateTime). */
export const ZDateTimeInput = z
  .string()
  .max(64)
  .transform((value, ctx) => {
    const date = parseDateTime(value);
    if (!date) {
      ctx.addIssue({ code: 'custom', message: 'must be an RFC 3339 / ISO 8601 time, e.g. 2025-04-27T08:05:00Z' });
      return z.NEVER;
    }
    return date;
  })
  .describe('RFC 3339 time; zone-less forms such as "2025-04-27 08:05" are read as UTC');

/**
 * An event's start or end as the client wrote it, checked but kept as text:
 * a zone-less time is read in the event's `timezone` (see parseDateTime),
 * which the field alone does not know.
 */
export const ZEventTimeInput = z
  .string()
  .max(64)
  .refine((value) => parseDateTime(value) !== null, 'must be an RFC 3339 / ISO 8601 time, e.g. 2025-04-27T08:05:00Z')
  .describe(
    'RFC 3339 time with Z or an offset, or a wall-clock time without one ("2025-04-27 08:05", "2025-04-27T08:05:00") read in the timezone given in the same body, else UTC',
  );

/** A time as the API writes it: RFC 3339 UTC, second precision. */
export const ZDateTime = z.string().describe('RFC 3339 UTC, e.g. 2025-04-27T08:05:00Z');

export const ROLES = ['OWNER', 'EDITOR', 'VIEWER'] as const;
export type TRole = (typeof ROLES)[number];
export const ZRole = z.enum(ROLES);

/** The spellings of a word the typed client accepts where the server ignores case: EDITOR, editor, Editor. */
export type CaseVariants<T extends string> = Uppercase<T> | Lowercase<T> | Capitalize<Lowercase<T>>;

/**
 * An enum read case-insensitively. The server accepts any case; the typed
 * input is the usual spellings, so a typo fails to compile.
 */
export function caseInsensitiveEnum<const T extends readonly [string, ...string[]]>(
  values: T,
  convert: (value: string) => string,
  params?: { error: string },
) {
  const inner = z.enum(values, params);
  // At run time any value reaches the check below; the parameter type is what the typed client may send.
  return z.preprocess((value: CaseVariants<T[number]>) => (typeof value === 'string' ? convert(value) : value), inner);
}

/** Roles a permission can be granted with (case-insensitive on input). */
export const ZGrantableRole = caseInsensitiveEnum(['EDITOR', 'VIEWER'], (v) => v.toUpperCase(), { error: 'must be EDITOR or VIEWER' });

/** Any role, case-insensitive (used by filters, where OWNER is meaningful). */
export const ZRoleFilter = caseInsensitiveEnum(ROLES, (v) => v.toUpperCase());

/**
 * A boolean flag. Query strings ("true"/"false", "1"/"0", "yes"/"no") are
 * turned into booleans by the REST layer, so the typed input stays `boolean`.
 */
export const ZQueryBoolean = z.boolean();

/** A JSON boolean, strictly (the REST layer converts only query and form strings). */
export const ZStrictBoolean = z.boolean();

export const ZMessage = z.object({ message: z.string() });

export const ZUserRef = z.object({ id: z.number().int(), username: z.string() });
export type TUserRef = z.infer<typeof ZUserRef>;

export const ZPageInput = z.object({
  page: z.number().int().min(1).max(1_000_000).optional().describe('1-based page number, default 1'),
  page_size: z.number().int().min(1).max(100).optional().describe('default 10, at most 100'),
});
