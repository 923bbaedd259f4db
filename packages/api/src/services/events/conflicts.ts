import type { Database, EventRow } from '@scheduler/db';
import { formatDateTime, type TConflict } from '@scheduler/shared';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { EventContent } from './content.ts';
import { compiledStatement } from '../compiled.ts';
import { expandOccurrences } from './recurrence.ts';

/** How far ahead a series is checked for overlaps (an endless series would never finish). */
const CONFLICT_HORIZON_MS = 2 * 366 * 24 * 3600 * 1000;
/**
 * Serializes overlap-checked writes to one owner's calendar for the rest of
 * the transaction, so two concurrent writes cannot both pass the overlap
 * check: the owner's calendar version is bumped, and its row stays locked
 * until commit. A create that looked at the calendar without this lock sees
 * the version moved and looks again (see `conflictsWithVersion`).
 */
export async function lockOwnerCalendar(trx: Kysely<Database>, ownerId: number): Promise<void> {
  await trx
    .insertInto('calendar_versions')
    .values({ owner_id: ownerId, version: 1 })
    .onConflict((oc) => oc.column('owner_id').doUpdateSet({ version: sql`calendar_versions.version + 1` }))
    .execute();
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

/** Every occurrence of the items to check, and the window that holds them all. */
interface SweepPlan {
  intervals: Tagged[];
  windowStart: Date;
  windowEnd: Date;
}

function planSweep(items: readonly ConflictFields[]): SweepPlan | undefined {
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
  if (intervals.length === 0) return undefined;
  let [min, max] = [Infinity, -Infinity];
  for (const interval of intervals) {
    min = Math.min(min, interval.start);
    max = Math.max(max, interval.end);
  }
  return { intervals, windowStart: new Date(min), windowEnd: new Date(max) };
}

/** The owner's events that may overlap the window (their occurrences are checked in the sweep). */
function candidatesIn(trx: Kysely<Database>, ownerId: number, plan: SweepPlan, excludeEventIds: readonly number[]) {
  let query = trx
    .selectFrom('events')
    .select(['id', 'title', 'start_time', 'end_time', 'rrule', 'timezone', 'series_end'])
    .where('owner_id', '=', ownerId)
    .where('deleted_at', 'is', null)
    .where(sql<boolean>`span && tstzrange(${plan.windowStart}, ${plan.windowEnd}, '[)')`)
    .where(sql<boolean>`end_time > start_time`);
  if (excludeEventIds.length > 0) query = query.where('id', 'not in', [...excludeEventIds]);
  return query;
}

type Candidate = Pick<EventRow, 'id' | 'title' | 'start_time' | 'end_time' | 'rrule' | 'timezone' | 'series_end'>;

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
  const plan = planSweep(items);
  if (!plan) return items.map(() => ({ existing: [], items: [] }));
  return sweep(items.length, plan, await candidatesIn(trx, ownerId, plan, excludeEventIds).execute());
}

/** Where a new item's overlaps are looked for: the span of its occurrences (a zero-length item overlaps nothing: an empty window). */
export function conflictWindow(item: ConflictFields): { windowStart: Date; windowEnd: Date } {
  return planSweep([item]) ?? { windowStart: item.start_time, windowEnd: item.start_time };
}

/**
 * True when none of the owner's events lies in the window, so nothing there
 * can overlap: the gate of a create that checks and writes in one statement.
 * `windowStart` and `windowEnd` may be a compiled statement's stand-ins.
 * `offset 0` keeps it a probe per owner through an index: flattened into an
 * anti-join and planned on statistics older than the table (a new database,
 * a burst of creates between two autovacuum visits), it read every event.
 */
export function nothingInWindow(db: Kysely<Database>, ownerId: unknown, windowStart: unknown, windowEnd: unknown): RawBuilder<boolean> {
  const window = { intervals: [], windowStart: windowStart as Date, windowEnd: windowEnd as Date };
  return sql<boolean>`not exists (${candidatesIn(db, ownerId as number, window, []).offset(0)})`;
}

/**
 * One new item's overlaps and the owner's calendar version, read in one
 * statement (one snapshot), without a lock: a create that then writes only
 * while the version is still this one was checked against everything it
 * could overlap (`recordNewEvent`'s `ifCalendarAt`).
 */
export async function conflictsWithVersion(
  db: Kysely<Database>,
  ownerId: number,
  item: ConflictFields,
): Promise<{ existing: TConflict[]; calendarVersion: number }> {
  // A zero-length item overlaps nothing: an empty window reads the version alone.
  const plan = planSweep([item]) ?? { intervals: [], ...conflictWindow(item) };
  const { rows } = await db.executeQuery(conflictsWithVersionQuery(db, ownerId, plan.windowStart, plan.windowEnd));
  const candidates = rows.filter((row): row is typeof row & Candidate => row.id !== null);
  return { existing: sweep(1, plan, candidates)[0]!.existing, calendarVersion: Number(rows[0]!.calendar_version) };
}

/** The owner's calendar version (0 before its first write) beside each candidate in the window (none: one row of nulls). */
const conflictsWithVersionQuery = compiledStatement(3, (anyDb, ownerId: number, windowStart: Date, windowEnd: Date) => {
  const db = anyDb as Kysely<Database>;
  const version = db
    .selectNoFrom((eb) =>
      eb.fn
        .coalesce(eb.selectFrom('calendar_versions').select('version').where('owner_id', '=', ownerId), eb.lit(0))
        .as('calendar_version'),
    )
    .as('cv');
  return db
    .selectFrom(version)
    .leftJoin(candidatesIn(db, ownerId, { intervals: [], windowStart, windowEnd }, []).as('e'), (join) => join.onTrue())
    .select(['cv.calendar_version', 'e.id', 'e.title', 'e.start_time', 'e.end_time', 'e.rrule', 'e.timezone', 'e.series_end'])
    .compile();
});

function sweep(itemCount: number, plan: SweepPlan, candidates: readonly Candidate[]): ItemConflicts[] {
  const result: ItemConflicts[] = Array.from({ length: itemCount }, () => ({ existing: [], items: [] }));
  const { windowStart, windowEnd } = plan;
  const intervals = [...plan.intervals];
  for (const row of candidates) {
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
