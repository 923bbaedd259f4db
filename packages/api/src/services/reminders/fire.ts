import type { Database } from '@scheduler/db';
import { formatDateTime } from '@scheduler/shared';
import { sql, type Kysely } from 'kysely';
import { recordReminderMessages } from '../changes.ts';
import { reminderAfter, sendable } from './next-fire.ts';
import { insertRows, type PlannableEvent, type ScheduleRow } from './plan.ts';

/** The earliest fire time in the table, or null when it is empty: when the scheduler should look again. */
export async function nextFireAt(db: Kysely<Database>): Promise<Date | null> {
  const row = await db
    .selectFrom('reminder_schedule')
    .select((eb) => eb.fn.min('fire_at').as('next'))
    .executeTakeFirst();
  return row?.next ? new Date(row.next) : null;
}

type DueEvent = PlannableEvent & { version_id: number | null };

/**
 * Sends the reminders due at `now`, at most `limit` of them, in one short
 * transaction: the due rows that no other instance holds (SKIP LOCKED, so
 * this never waits on a row), one `event.reminder`
 * feed row for each that is less than an hour late, and each row advanced to
 * its next occurrence (deleted when the series is over). The claim and the
 * advance commit together, so each reminder is sent once whatever the number
 * of instances. Returns how many rows it handled and how many it sent.
 */
export async function fireDueReminders(db: Kysely<Database>, now: Date, limit = 200): Promise<{ handled: number; sent: number }> {
  return db.transaction().execute(async (trx) => {
    const due = await trx
      .selectFrom('reminder_schedule')
      .selectAll()
      .where('fire_at', '<=', now)
      .orderBy('fire_at')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute();
    if (due.length === 0) return { handled: 0, sent: 0 };
    const eventIds = [...new Set(due.map((r) => r.event_id))];
    const events = await trx
      .selectFrom('events as e')
      .select(['e.id', 'e.start_time', 'e.rrule', 'e.timezone', 'e.reminders', 'e.deleted_at'])
      .select((eb) =>
        eb
          .selectFrom('event_versions as v')
          .select((inner) => inner.fn.max('v.version_id').as('version_id'))
          .whereRef('v.event_id', '=', 'e.id')
          .as('version_id'),
      )
      .where('e.id', 'in', eventIds)
      .execute();
    const eventById = new Map<number, DueEvent>(events.map((e) => [e.id, e]));

    const messages: Array<{ eventId: number; versionId: number; payload: Record<string, unknown> }> = [];
    const advanced: ScheduleRow[] = [];
    for (const row of due) {
      const event = eventById.get(row.event_id);
      // A row its event no longer asks for (never left behind by a write, but harmless to drop).
      if (!event || event.deleted_at !== null || !event.reminders.includes(row.minutes_before)) continue;
      if (sendable(row.fire_at, now) && event.version_id !== null) {
        messages.push({
          eventId: event.id,
          versionId: event.version_id,
          payload: { occurrence_start: formatDateTime(row.occurrence_start), minutes_before: row.minutes_before },
        });
      }
      const next = reminderAfter(event, row.minutes_before, row.occurrence_start, now);
      if (next) advanced.push({ ...row, occurrence_start: next.occurrenceStart, fire_at: next.fireAt });
    }
    await sql`delete from reminder_schedule where (event_id, minutes_before) in (
      select * from unnest(${sql.val(due.map((r) => r.event_id))}::int[], ${sql.val(due.map((r) => r.minutes_before))}::int[]))`.execute(
      trx,
    );
    await insertRows(trx, advanced);
    await recordReminderMessages(trx, messages);
    return { handled: due.length, sent: messages.length };
  });
}
