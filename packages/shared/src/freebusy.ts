import { z } from 'zod';
import { ZDateTime, ZDateTimeInput, ZId } from './common.ts';

/** Most people one free/busy question may name. */
export const MAX_FREEBUSY_USERS = 50;
/** Longest window a free/busy question may cover, in days. */
export const MAX_FREEBUSY_WINDOW_DAYS = 62;
const MAX_FREEBUSY_WINDOW_MS = MAX_FREEBUSY_WINDOW_DAYS * 86_400_000;
/** Longest meeting a suggestion may be for: a day. */
export const MAX_SUGGEST_DURATION_MINUTES = 1440;
export const MAX_SUGGEST_LIMIT = 50;

const ZUserKey = z
  .union([ZId, z.string().min(1).max(150)], { error: 'must be a user id or a username' })
  .describe('A user id or a username');

const ZUsers = z
  .array(ZUserKey)
  .min(1, 'must name at least one user')
  .max(MAX_FREEBUSY_USERS, `may name at most ${MAX_FREEBUSY_USERS} users`)
  .describe(`User ids or usernames (1–${MAX_FREEBUSY_USERS}): the caller, or people who share a team with the caller`);

const ZWindow = z.object({
  users: ZUsers,
  start: ZDateTimeInput.describe('Window start (RFC 3339)'),
  end: ZDateTimeInput.describe(`Window end, after start, at most ${MAX_FREEBUSY_WINDOW_DAYS} days after it`),
});

/** The window is not empty and not longer than MAX_FREEBUSY_WINDOW_DAYS. */
const checkWindow = (value: { start: Date; end: Date }, ctx: z.RefinementCtx) => {
  const span = value.end.getTime() - value.start.getTime();
  if (span <= 0) ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
  else if (span > MAX_FREEBUSY_WINDOW_MS) {
    ctx.addIssue({ code: 'custom', path: ['end'], message: `the window may span at most ${MAX_FREEBUSY_WINDOW_DAYS} days` });
  }
};

export const ZFreeBusyInput = ZWindow.superRefine(checkWindow);
export type TFreeBusyInput = z.infer<typeof ZFreeBusyInput>;

export const ZTimeSpan = z.object({ start: ZDateTime, end: ZDateTime });
export type TTimeSpan = z.infer<typeof ZTimeSpan>;

export const ZFreeBusyResult = z.object({
  users: z
    .record(z.string(), z.object({ busy: z.array(ZTimeSpan).describe('Merged busy intervals inside the window, in order') }))
    .describe('Keyed by user id'),
});
export type TFreeBusyResult = z.infer<typeof ZFreeBusyResult>;

/** A wall-clock time of day, `HH:MM`; `24:00` is the end of the day. */
const ZClock = z.string().regex(/^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/, 'must be a time of day HH:MM, e.g. 09:00');

/** Minutes since midnight of an `HH:MM` text. */
export function clockMinutes(clock: string): number {
  const [hours = '0', minutes = '0'] = clock.split(':');
  return Number(hours) * 60 + Number(minutes);
}

export const ZWorkingHours = z
  .object({ start: ZClock.describe('Local start of the working day, default 09:00'), end: ZClock.describe('Local end, default 17:00') })
  .superRefine((hours, ctx) => {
    if (clockMinutes(hours.end) <= clockMinutes(hours.start))
      ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
  });
export type TWorkingHours = z.infer<typeof ZWorkingHours>;
export const DEFAULT_WORKING_HOURS: TWorkingHours = { start: '09:00', end: '17:00' };

export const ZSuggestInput = ZWindow.extend({
  duration_minutes: z
    .number()
    .int('must be a whole number of minutes')
    .min(1, 'must be at least 1')
    .max(MAX_SUGGEST_DURATION_MINUTES, `must be at most ${MAX_SUGGEST_DURATION_MINUTES} (a day)`),
  timezone: z.string().min(1).max(64).optional().describe('IANA zone the working hours are in, default UTC'),
  working_hours: ZWorkingHours.optional().describe('Default 09:00–17:00'),
  limit: z.number().int().min(1).max(MAX_SUGGEST_LIMIT).optional().describe('Most slots to return, default 5'),
}).superRefine((value, ctx) => {
  checkWindow(value, ctx);
  const hours = value.working_hours ?? DEFAULT_WORKING_HOURS;
  const length = clockMinutes(hours.end) - clockMinutes(hours.start);
  if (length > 0 && value.duration_minutes > length) {
    ctx.addIssue({
      code: 'custom',
      path: ['duration_minutes'],
      message: `is longer than the working hours (${hours.start}–${hours.end}, ${length} minutes)`,
    });
  }
});
export type TSuggestInput = z.infer<typeof ZSuggestInput>;

export const ZSuggestResult = z.object({
  slots: z.array(ZTimeSpan).describe('The earliest times everyone is free, in order; none overlaps another'),
});
export type TSuggestResult = z.infer<typeof ZSuggestResult>;
