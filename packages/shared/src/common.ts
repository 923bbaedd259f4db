import { z } from 'zod';
import { parseDateTime } from './time.ts';

/** A positive integer id; path and query strings are coerced. */
export const ZId = z.coerce
  .number({ error: 'must be a positive integer' })
  .int('must be a positive integer')
  .positive('must be a positive integer')
  .max(2_147_483_647, 'is too large');

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

/** Roles a permission can be granted with (case-insensitive on input). */
export const ZGrantableRole = z.preprocess(
  (value) => (typeof value === 'string' ? value.toUpperCase() : value),
  z.enum(['EDITOR', 'VIEWER'], { error: 'must be EDITOR or VIEWER' }),
);

/** Any role, case-insensitive (used by filters, where OWNER is meaningful). */
export const ZRoleFilter = z.preprocess(
  (value) => (typeof value === 'string' ? value.toUpperCase() : value),
  ZRole,
);

/** "true"/"false"/"1"/"0" in a query string, or a real boolean. */
export const ZQueryBoolean = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  const lower = value.toLowerCase();
  if (['true', '1', 'yes'].includes(lower)) return true;
  if (['false', '0', 'no'].includes(lower)) return false;
  return value;
}, z.boolean());

/**
 * A JSON boolean, strictly. (A bare z.boolean() at the top of a body would be
 * coerced by the REST adapter, turning the string "false" into true; a pipe
 * is left alone.)
 */
export const ZStrictBoolean = z.boolean().pipe(z.boolean());

export const ZMessage = z.object({ message: z.string() });

export const ZUserRef = z.object({ id: z.number().int(), username: z.string() });
export type TUserRef = z.infer<typeof ZUserRef>;

export const ZPageInput = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).optional().describe('1-based page number, default 1'),
  page_size: z.coerce.number().int().min(1).max(100).optional().describe('default 10, at most 100'),
});
