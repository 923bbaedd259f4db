import type { Database, EventRow } from '@scheduler/db';
import { sql, type Kysely } from 'kysely';
import { firstReminder, isOccurrence, type ReminderSeries } from './next-fire.ts';

/**
 * The due-time table `reminder_schedule`: per event and offset, the next
 * reminder to send. Written in the transaction of every content change
 * (planReminders, planNewEvents) and advanced as reminders fire
 * (fire.ts), so finding what is due is one index range on fire_at.
 */

export type ScheduleRow = { event_id: number; minutes_before: number; occurrence_start: Date; fire_at: Date };

export type PlannableEvent = ReminderSeries & Pick<EventRow, 'id' | 'reminders' | 'deleted_at'>;

function plannedRows(event: PlannableEvent, now: Date, keep: Map<number, ScheduleRow>): ScheduleRow[] {
  if (event.deleted_at !== null) return [];
  return event.reminders.flatMap((minutes) => {
    // A reminder already due but not yet sent stays due when its occurrence survives the edit (a new title, say).
    const due = keep.get(minutes);
    if (due && due.fire_at <= now && isOccurrence(event, due.occurrence_start)) return [due];
    const next = firstReminder(event, minutes, now);
    return next ? [{ event_id: event.id, minutes_before: minutes, occurrence_start: next.occurrenceStart, fire_at: next.fireAt }] : [];
  });
}

const sameRows = (a: ScheduleRow[], b: ScheduleRow[]) =>
  a.length === b.length &&
  a.every((row, i) => {
    const other = b[i]!;
    return (
      row.minutes_before === other.minutes_before &&
      row.occurrence_start.getTime() === other.occurrence_start.getTime() &&
      row.fire_at.getTime() === other.fire_at.getTime()
    );
  });

export async function insertRows(trx: Kysely<Database>, rows: ScheduleRow[]): Promise<void> {
  if (rows.length === 0) return;
  const payload = JSON.stringify(
    rows.map((r) => ({ ...r, occurrence_start: r.occurrence_start.toISOString(), fire_at: r.fire_at.toISOString() })),
  );
  await sql`
    insert into reminder_schedule (event_id, minutes_before, occurrence_start, fire_at)
    select x.event_id, x.minutes_before, x.occurrence_start, x.fire_at
    from jsonb_to_recordset(${payload}::jsonb) as x(event_id int, minutes_before int, occurrence_start timestamptz, fire_at timestamptz)`.execute(
    trx,
  );
}

/**
 * Recomputes an event's reminders after a change (none once it is deleted).
 * Locks the event's rows first: a scheduler firing one of them finishes
 * before this reads it, so a reminder it just sent is never planned again.
 */
export async function planReminders(trx: Kysely<Database>, event: PlannableEvent, now = new Date()): Promise<void> {
  if (event.reminders.length === 0 || event.deleted_at !== null) {
    // Most events have none: one statement, which also waits for a scheduler holding a row.
    await trx.deleteFrom('reminder_schedule').where('event_id', '=', event.id).execute();
    return;
  }
  const existing = await trx
    .selectFrom('reminder_schedule')
    .selectAll()
    .where('event_id', '=', event.id)
    .orderBy('minutes_before')
    .forUpdate()
    .execute();
  const rows = plannedRows(event, now, new Map(existing.map((r) => [r.minutes_before, r])));
  if (sameRows(existing, rows)) return;
  if (existing.length > 0) await trx.deleteFrom('reminder_schedule').where('event_id', '=', event.id).execute();
  await insertRows(trx, rows);
}

/** The reminders of events a batch just created, in one statement. */
export async function planNewEvents(trx: Kysely<Database>, events: PlannableEvent[], now = new Date()): Promise<void> {
  const none = new Map<number, ScheduleRow>();
  await insertRows(
    trx,
    events.flatMap((event) => plannedRows(event, now, none)),
  );
}
