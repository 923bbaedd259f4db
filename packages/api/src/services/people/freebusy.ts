import type { Database } from '@scheduler/db';
import {
  DEFAULT_WORKING_HOURS,
  formatDateTime,
  type TFreeBusyInput,
  type TFreeBusyResult,
  type TSuggestInput,
  type TSuggestResult,
  type TTimeSpan,
} from '@scheduler/shared';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { AppError, validation } from '../../errors.ts';
import { cooperative } from '../cooperate.ts';
import { sharedEventsOf } from '../events/access.ts';
import { expandOccurrences, isValidTimeZone } from '../events/recurrence.ts';
import type { Actor } from '../types.ts';
import { clipInterval, mergeIntervals, type Interval } from './intervals.ts';
import { suggestSlots } from './suggest.ts';

/**
 * Free/busy: when people are busy, never what they are doing. A user's
 * calendar is `calendarEventsSql`; whom a caller may ask about is `askable`.
 */

type UserKey = number | string;

/**
 * The users among `userIds` the caller may ask about: the caller, and people
 * who share a team with the caller.
 */
async function askable(db: Kysely<Database>, caller: Actor, userIds: readonly number[]): Promise<Set<number>> {
  const others = userIds.filter((id) => id !== caller.id);
  const allowed = new Set(userIds.filter((id) => id === caller.id));
  if (others.length === 0) return allowed;
  const teammates = await db
    .selectFrom('team_members as mine')
    .innerJoin('team_members as theirs', 'theirs.team_id', 'mine.team_id')
    .select('theirs.user_id')
    .distinct()
    .where('mine.user_id', '=', caller.id)
    .where('theirs.user_id', '=', sql<number>`any(${sql.val(others)}::int[])`)
    .execute();
  for (const row of teammates) allowed.add(row.user_id);
  return allowed;
}

interface CalendarRow {
  user_id: number;
  start_time: Date;
  end_time: Date;
  rrule: string | null;
  timezone: string;
}

/**
 * The events on the calendars of `userIds` that may be busy inside
 * `[from, to)`, one row per (user, event), in one query: the events each user
 * owns, and the events shared with them (personally or through a team) that
 * they may read now and whose RSVP is `accepted`. Deleted and zero-length
 * events are left out; the `span` range (start to the end of the series)
 * narrows recurring events to those that may occur in the window.
 */
function calendarEventsSql(userIds: readonly number[], from: Date, to: Date): RawBuilder<CalendarRow> {
  const ids = sql.val([...userIds]);
  const busyInWindow = sql`e.deleted_at is null and e.end_time > e.start_time and e.span && tstzrange(${from}, ${to}, '[)')`;
  return sql<CalendarRow>`
    select e.owner_id as user_id, e.start_time, e.end_time, e.rrule, e.timezone
      from events e
     where e.owner_id = any(${ids}::int[]) and ${busyInWindow}
    union all
    select s.user_id, e.start_time, e.end_time, e.rrule, e.timezone
      from (${sharedEventsOf(userIds)}) s
      join event_rsvps r on r.event_id = s.event_id and r.user_id = s.user_id and r.response = 'accepted'
      join events e on e.id = s.event_id
     where ${busyInWindow}`;
}

/**
 * The user ids the keys name, in order, without repeats. Unknown users and
 * users the caller may not ask about get the same 404, each named in `details`,
 * so the answer never tells whether a user exists.
 */
async function resolveAskable(db: Kysely<Database>, caller: Actor, keys: readonly UserKey[]): Promise<number[]> {
  const ids = keys.filter((key): key is number => typeof key === 'number');
  const names = keys.filter((key): key is string => typeof key === 'string').map((name) => name.toLowerCase());
  const rows = await db
    .selectFrom('users')
    .select(['id', 'username'])
    .where((eb) =>
      eb.or([
        eb('id', '=', sql<number>`any(${sql.val(ids)}::int[])`),
        eb(sql<string>`lower(username)`, '=', sql<string>`any(${sql.val(names)}::text[])`),
      ]),
    )
    .execute();
  const byId = new Set(rows.map((row) => row.id));
  const byName = new Map(rows.map((row) => [row.username.toLowerCase(), row.id]));
  const found = keys.map((key) => (typeof key === 'number' ? (byId.has(key) ? key : undefined) : byName.get(key.toLowerCase())));
  const allowed = await askable(
    db,
    caller,
    found.filter((id): id is number => id !== undefined),
  );
  const refused = keys.flatMap((key, index) => {
    const id = found[index];
    return id !== undefined && allowed.has(id) ? [] : [{ index, key: JSON.stringify(key) }];
  });
  if (refused.length > 0) {
    throw new AppError('NOT_FOUND', `No user you may ask about: ${refused.map((r) => r.key).join(', ')}`, {
      details: refused.map((r) => ({
        path: `users.${r.index}`,
        message: `no user ${r.key} you may ask about (unknown, or not in a team with you)`,
      })),
    });
  }
  return [...new Set(found as number[])];
}

/**
 * Each user's merged busy intervals inside `[from, to)`: one query for every
 * user's candidate events, then each recurring event expanded in its own zone
 * (the window is bounded, so the expansion is too), clipped and merged.
 */
async function busyIntervals(db: Kysely<Database>, userIds: readonly number[], from: Date, to: Date): Promise<Map<number, Interval[]>> {
  const busy = new Map<number, Interval[]>(userIds.map((id) => [id, []]));
  if (userIds.length === 0) return busy;
  const { rows } = await calendarEventsSql(userIds, from, to).execute(db);
  const pause = cooperative();
  const [lo, hi] = [from.getTime(), to.getTime()];
  for (const row of rows) {
    await pause();
    const list = busy.get(row.user_id);
    if (!list) continue;
    const occurrences = expandOccurrences({ start: row.start_time, end: row.end_time, rrule: row.rrule, timezone: row.timezone, from, to });
    for (const o of occurrences) {
      const clipped = clipInterval({ start: o.start.getTime(), end: o.end.getTime() }, lo, hi);
      if (clipped) list.push(clipped);
    }
  }
  for (const [id, list] of busy) busy.set(id, mergeIntervals(list));
  return busy;
}

const toSpan = (interval: Interval): TTimeSpan => ({
  start: formatDateTime(new Date(interval.start)),
  end: formatDateTime(new Date(interval.end)),
});

/** `POST /api/freebusy`: each user's busy intervals in the window, keyed by id. */
export async function freeBusy(db: Kysely<Database>, caller: Actor, input: TFreeBusyInput): Promise<TFreeBusyResult> {
  const ids = await resolveAskable(db, caller, input.users);
  const busy = await busyIntervals(db, ids, input.start, input.end);
  const users: TFreeBusyResult['users'] = {};
  for (const id of ids) users[String(id)] = { busy: (busy.get(id) ?? []).map(toSpan) };
  return { users };
}

/** `POST /api/freebusy/suggest`: the earliest slots when every user is free, inside working hours. */
export async function suggestTimes(db: Kysely<Database>, caller: Actor, input: TSuggestInput): Promise<TSuggestResult> {
  const timezone = input.timezone ?? 'UTC';
  if (!isValidTimeZone(timezone)) throw validation('timezone', `unknown time zone "${timezone}"`);
  const ids = await resolveAskable(db, caller, input.users);
  const busy = await busyIntervals(db, ids, input.start, input.end);
  const slots = suggestSlots({
    busy: [...busy.values()].flat(),
    from: input.start.getTime(),
    to: input.end.getTime(),
    durationMs: input.duration_minutes * 60_000,
    timezone,
    workingHours: input.working_hours ?? DEFAULT_WORKING_HOURS,
    limit: input.limit ?? 5,
  });
  return { slots: slots.map(toSpan) };
}
