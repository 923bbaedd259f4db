import type { Database } from '@scheduler/db';
import { formatDateTime, type TConflict } from '@scheduler/shared';
import { sql, type Kysely } from 'kysely';
import type { EventContent } from './content.ts';
import { expandOccurrences } from './recurrence.ts';

/** How far ahead a series is checked for overlaps (an endless series would never finish). */
const CONFLICT_HORIZON_MS = 2 * 366 * 24 * 3600 * 1000;
const OWNER_LOCK_SPACE = 7301;

/**
 * Serializes writes to one owner's calendar for the rest of the transaction,
 * so two concurrent writes cannot both pass the overlap check.
 */
export async function lockOwnerCalendar(trx: Kysely<Database>, ownerId: number): Promise<void> {
  await sql`select pg_advisory_xact_lock(${OWNER_LOCK_SPACE}, ${ownerId})`.execute(trx);
}

export interface ItemConflicts {
  /** Stored events of the owner that overlap the item. */
  existing: TConflict[];
  /** Earlier items of the same batch that overlap the item. */
  items: number[];
}

interface Tagged {
  start: number;
  end: number;
  item?: number;
  existing?: TConflict;
}

type ConflictFields = Pick<EventContent, 'start_time' | 'end_time' | 'rrule' | 'timezone' | 'series_end'>;

function occurrencesOf(content: ConflictFields, from: Date, to: Date) {
  return expandOccurrences({
    start: content.start_time,
    end: content.end_time,
    rrule: content.rrule,
    timezone: content.timezone,
    from,
    to,
  });
}

/**
 * Finds overlaps on the owner's calendar for each item, set-based: one query
 * fetches the owner's events in the items' overall window, then one sweep over
 * all occurrences (half-open intervals; zero-length ones never conflict).
 */
export async function findConflicts(
  trx: Kysely<Database>,
  ownerId: number,
  items: readonly ConflictFields[],
  excludeEventIds: readonly number[] = [],
): Promise<ItemConflicts[]> {
  const result: ItemConflicts[] = items.map(() => ({ existing: [], items: [] }));
  const intervals: Tagged[] = [];
  items.forEach((content, index) => {
    const horizon = new Date(content.start_time.getTime() + CONFLICT_HORIZON_MS);
    const until = content.series_end && content.series_end < horizon ? content.series_end : horizon;
    for (const occurrence of occurrencesOf(content, content.start_time, until)) {
      if (occurrence.end > occurrence.start) {
        intervals.push({ start: occurrence.start.getTime(), end: occurrence.end.getTime(), item: index });
      }
    }
  });
  if (intervals.length === 0) return result;

  let [min, max] = [Infinity, -Infinity];
  for (const interval of intervals) {
    min = Math.min(min, interval.start);
    max = Math.max(max, interval.end);
  }
  const windowStart = new Date(min);
  const windowEnd = new Date(max);
  let query = trx
    .selectFrom('events')
    .select(['id', 'title', 'start_time', 'end_time', 'rrule', 'timezone', 'series_end'])
    .where('owner_id', '=', ownerId)
    .where('deleted_at', 'is', null)
    .where(sql<boolean>`span && tstzrange(${windowStart}, ${windowEnd}, '[)')`)
    .where(sql<boolean>`end_time > start_time`);
  if (excludeEventIds.length > 0) query = query.where('id', 'not in', [...excludeEventIds]);
  for (const row of await query.execute()) {
    const summary: TConflict = {
      id: row.id,
      title: row.title,
      start_time: formatDateTime(row.start_time),
      end_time: formatDateTime(row.end_time),
    };
    for (const occurrence of occurrencesOf(row, windowStart, windowEnd)) {
      intervals.push({ start: occurrence.start.getTime(), end: occurrence.end.getTime(), existing: summary });
    }
  }

  intervals.sort((a, b) => a.start - b.start || (a.item === undefined ? -1 : 1));
  let active: Tagged[] = [];
  const seen = result.map(() => new Set<number>());
  const seenItems = result.map(() => new Set<number>());
  for (const current of intervals) {
    active = active.filter((other) => other.end > current.start);
    for (const other of active) {
      const [a, b] = [current, other];
      if (a.item !== undefined && b.existing) note(a.item, b.existing);
      else if (b.item !== undefined && a.existing) note(b.item, a.existing);
      else if (a.item !== undefined && b.item !== undefined && a.item !== b.item) {
        const later = Math.max(a.item, b.item);
        const earlier = Math.min(a.item, b.item);
        if (!seenItems[later]!.has(earlier)) {
          seenItems[later]!.add(earlier);
          result[later]!.items.push(earlier);
        }
      }
    }
    active.push(current);
  }
  return result;

  function note(item: number, conflict: TConflict) {
    if (seen[item]!.has(conflict.id)) return;
    seen[item]!.add(conflict.id);
    result[item]!.existing.push(conflict);
  }
}
