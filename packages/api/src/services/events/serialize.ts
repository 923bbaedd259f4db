import type { EventRow, Role } from '@scheduler/db';
import { formatDateTime, type TEvent } from '@scheduler/shared';

/** The API's event object from a row and the caller's role. */
export function toEvent(row: EventRow, role: Role): TEvent {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    start_time: formatDateTime(row.start_time),
    end_time: formatDateTime(row.end_time),
    location: row.location,
    timezone: row.timezone,
    is_recurring: row.is_recurring,
    recurrence_pattern: row.recurrence_pattern ?? null,
    rrule: row.rrule,
    tags: row.tags,
    metadata: row.metadata,
    reminders: row.reminders,
    owner_id: row.owner_id,
    version: row.version,
    my_role: role,
    created_at: formatDateTime(row.created_at),
    updated_at: formatDateTime(row.updated_at),
  };
}
