import { nextOccurrenceStart } from '../events/recurrence.ts';

/** A reminder more than this late (every instance was down) is skipped, not sent. */
const REMINDER_LATENESS_LIMIT_MS = 3_600_000;

const MINUTE_MS = 60_000;

/** What a reminder's timing depends on: the event's series. */
export interface ReminderSeries {
  start_time: Date;
  rrule: string | null;
  timezone: string;
}

/** One reminder due: the occurrence it is for and when it fires (occurrence start minus the offset). */
export interface PlannedReminder {
  occurrenceStart: Date;
  fireAt: Date;
}

function reminderFor(series: ReminderSeries, minutesBefore: number, occurrenceAfter: Date): PlannedReminder | null {
  const occurrence = nextOccurrenceStart({
    start: series.start_time,
    rrule: series.rrule,
    timezone: series.timezone,
    after: occurrenceAfter,
  });
  return occurrence && { occurrenceStart: occurrence, fireAt: new Date(occurrence.getTime() - minutesBefore * MINUTE_MS) };
}

/** The first reminder at `minutesBefore` that fires at or after `now` (an event just written or changed). */
export function firstReminder(series: ReminderSeries, minutesBefore: number, now: Date): PlannedReminder | null {
  return reminderFor(series, minutesBefore, new Date(now.getTime() + minutesBefore * MINUTE_MS));
}

/**
 * The reminder after the one for `firedOccurrence` (sent or skipped). Those
 * already past the lateness limit are passed over at once, so a long
 * downtime costs one step, not one per missed occurrence.
 */
export function reminderAfter(series: ReminderSeries, minutesBefore: number, firedOccurrence: Date, now: Date): PlannedReminder | null {
  const stillSendable = now.getTime() - REMINDER_LATENESS_LIMIT_MS + minutesBefore * MINUTE_MS;
  return reminderFor(series, minutesBefore, new Date(Math.max(firedOccurrence.getTime() + 1, stillSendable)));
}

/** Whether a reminder due at `fireAt` may still be sent at `now`. */
export const sendable = (fireAt: Date, now: Date): boolean => now.getTime() - fireAt.getTime() < REMINDER_LATENESS_LIMIT_MS;

/** Whether `occurrence` is still an occurrence of the series (a due reminder survives an edit that keeps it). */
export function isOccurrence(series: ReminderSeries, occurrence: Date): boolean {
  return (
    nextOccurrenceStart({ start: series.start_time, rrule: series.rrule, timezone: series.timezone, after: occurrence })?.getTime() ===
    occurrence.getTime()
  );
}
