import type { Database, EventRow, Role } from '@scheduler/db';
import { formatDateTime, MAX_OCCURRENCE_WINDOW_MS, type TEvent, type TEventList, type TListEventsInput } from '@scheduler/shared';
import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import { validation } from '../../errors.ts';
import { cooperative } from '../cooperate.ts';
import { likePattern } from '../users.ts';
import { eventsVisibleAt } from './as-of.ts';
import { expandOccurrences } from './recurrence.ts';
import { toEvent } from './serialize.ts';

/** Bounds for an open window side: the range accepted times can take (and date arithmetic survives). */
const BEGINNING_OF_TIME = new Date('0001-01-01T00:00:00Z');
const END_OF_TIME = new Date('9999-12-31T23:59:59Z');

/**
 * At most this many occurrence rows for `expand=true` (400 beyond: narrow the
 * window or filter). With the window bounded too, this bounds the work.
 */
const MAX_EXPANDED_ROWS = 50_000;

interface Page {
  offset: number;
  size: number;
  number: number;
}

/** A page of the listing: page numbers only; links are the REST edge's business. */
export type EventPage = Omit<TEventList, 'next' | 'previous'>;

/** page/page_size, or seed 000's skip/limit. */
export function pageOf(input: Pick<TListEventsInput, 'page' | 'page_size' | 'skip' | 'limit'>): Page {
  if (input.page === undefined && (input.skip !== undefined || input.limit !== undefined)) {
    const size = input.limit ?? input.page_size ?? 10;
    const offset = input.skip ?? 0;
    return { offset, size, number: Math.floor(offset / size) + 1 };
  }
  const size = input.page_size ?? input.limit ?? 10;
  const number = input.page ?? 1;
  return { offset: (number - 1) * size, size, number };
}

/** The one envelope every listing answers with. */
function pageEnvelope(results: TEvent[], count: number, page: Page): EventPage {
  return { results, count, num_pages: Math.max(1, Math.ceil(count / page.size)), current_page: page.number };
}

const pageSlice = <T>(all: T[], page: Page): T[] => all.slice(page.offset, page.offset + page.size);

function windowOf(input: TListEventsInput): { from: Date | null; to: Date | null } | null {
  const from = input.start_date ?? null;
  const to = input.end_date ?? null;
  if (input.expand) {
    if (!from || !to) throw validation('expand', 'needs both start_date and end_date');
    if (to.getTime() - from.getTime() > MAX_OCCURRENCE_WINDOW_MS) {
      throw validation('end_date', 'with expand=true the window may span at most 2 years');
    }
  }
  if (!from && !to) return null;
  if (from && to && to < from) throw validation('end_date', 'must not be before start_date');
  return { from, to };
}

type Row = EventRow & { my_role: Role };

/**
 * The caller's events, filtered, sorted and paginated. Visibility is the join
 * on the caller's permission rows (the access rule: a row means access).
 * Recurring events match a window when one of their occurrences does.
 */
export async function listEvents(db: Kysely<Database>, userId: number, input: TListEventsInput): Promise<EventPage> {
  const page = pageOf(input);
  const window = windowOf(input);
  if (input.as_of) return listAsOf(db, userId, input, page, window);

  // Visibility is the caller's permission rows (the access rule: a row means access), read in the
  // same statement as a materialized CTE by the (user_id, event_id) index, the events then fetched
  // by primary key: a user sees a small share of all events, and a plain join lets the planner
  // start from the events table whenever a LIMIT or a text filter misleads its estimates.
  const visible = db.with(
    (cte) => cte('visible').materialized(),
    (inner) => {
      let permissions = inner.selectFrom('event_permissions').select(['event_id', 'role']).where('user_id', '=', userId);
      if (input.role) permissions = permissions.where('role', '=', input.role);
      return permissions;
    },
  );
  let base = visible
    .selectFrom('visible as v')
    .innerJoin('events as e', 'e.id', 'v.event_id')
    .where('e.deleted_at', 'is', null);
  if (input.q) {
    const pattern = `%${likePattern(input.q)}%`;
    base = base.where((eb) =>
      eb.or([eb('e.title', 'ilike', pattern), eb('e.description', 'ilike', pattern), eb('e.location', 'ilike', pattern)]),
    );
  }
  if (input.location) base = base.where('e.location', 'ilike', `%${likePattern(input.location)}%`);
  if (input.is_recurring !== undefined) base = base.where('e.is_recurring', '=', input.is_recurring);

  if (window) {
    const range = sql`tstzrange(${window.from}, ${window.to}, '[]')`;
    const candidates = await base
      .select(['e.id', 'e.start_time', 'e.end_time', 'e.rrule', 'e.timezone'])
      .where('e.is_recurring', '=', true)
      .where(sql<SqlBool>`e.span && ${range}`)
      .execute();
    const matching = (await occurringWithin(candidates, window.from, window.to ?? END_OF_TIME)).map((c) => c.id);
    base = base.where((eb) => {
      const oneOff: Expression<SqlBool> = eb.and([eb('e.is_recurring', '=', false), sql<SqlBool>`e.span && ${range}`]);
      return matching.length > 0 ? eb.or([oneOff, eb('e.id', 'in', matching)]) : oneOff;
    });
  }

  // Materialized so the LIMIT below cannot talk the planner into walking the time index.
  const ordered = db
    .with(
      (cte) => cte('matched').materialized(),
      () => base.selectAll('e').select('v.role as my_role'),
    )
    .selectFrom('matched as e')
    .selectAll('e');
  const sorted = (() => {
    switch (input.sort ?? 'start_time') {
      case '-start_time':
        return ordered.orderBy('e.start_time', 'desc').orderBy('e.id', 'desc');
      case 'updated_at':
        return ordered.orderBy('e.updated_at', 'asc').orderBy('e.id', 'asc');
      case '-updated_at':
        return ordered.orderBy('e.updated_at', 'desc').orderBy('e.id', 'desc');
      case 'title':
        return ordered.orderBy('e.title', 'asc').orderBy('e.id', 'asc');
      default:
        return ordered.orderBy('e.start_time', 'asc').orderBy('e.id', 'asc');
    }
  })();

  if (input.expand && window?.from && window.to) {
    // Every row matched the window, so each gives at least one occurrence: more rows than the cap is over it.
    const rows = await sorted.limit(MAX_EXPANDED_ROWS + 1).execute();
    return expandedPage(rows, window.from, window.to, input.sort, page);
  }

  const rows = (
    await sorted
      .select(sql<number>`count(*) over ()`.as('total_count'))
      .limit(page.size)
      .offset(page.offset)
      .execute()
  );
  let count = rows[0]?.total_count;
  if (count === undefined) {
    const counted = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    count = Number(counted?.n ?? 0);
  }
  return pageEnvelope(
    rows.map(({ total_count: _, my_role, ...row }) => toEvent(row, my_role)),
    Number(count),
    page,
  );
}

/**
 * The listing as it was at `as_of`, answered from history. The snapshot set
 * is one user's events, so the filters run over it in memory with the same
 * meaning as the SQL ones above.
 */
async function listAsOf(
  db: Kysely<Database>,
  userId: number,
  input: TListEventsInput,
  page: Page,
  window: { from: Date | null; to: Date | null } | null,
): Promise<EventPage> {
  const q = input.q?.toLowerCase();
  const location = input.location?.toLowerCase();
  const filtered: Row[] = (await eventsVisibleAt(db, userId, input.as_of!))
    .map(({ event, role }) => ({ ...event, my_role: role }))
    .filter(
      (e) =>
        (!q || [e.title, e.description, e.location ?? ''].some((text) => text.toLowerCase().includes(q))) &&
        (!location || (e.location ?? '').toLowerCase().includes(location)) &&
        (input.is_recurring === undefined || e.is_recurring === input.is_recurring) &&
        (!input.role || e.my_role === input.role),
    );
  const rows = window ? await occurringWithin(filtered, window.from ?? BEGINNING_OF_TIME, window.to ?? END_OF_TIME) : filtered;
  const key: Record<string, (e: Row) => number | string> = {
    start_time: (e) => e.start_time.getTime(),
    updated_at: (e) => e.updated_at.getTime(),
    title: (e) => e.title,
  };
  const sort = input.sort ?? 'start_time';
  const direction = sort.startsWith('-') ? -1 : 1;
  const by = key[sort.replace('-', '')]!;
  rows.sort((a, b) => direction * (by(a) < by(b) ? -1 : by(a) > by(b) ? 1 : a.id - b.id));
  if (input.expand && window?.from && window.to) return expandedPage(rows, window.from, window.to, input.sort, page);
  return pageEnvelope(
    pageSlice(rows, page).map(({ my_role, ...row }) => toEvent(row, my_role)),
    rows.length,
    page,
  );
}

type Timing = Pick<EventRow, 'start_time' | 'end_time' | 'rrule' | 'timezone'>;

/** The events with an occurrence in [from, to] (`from` null: from each event's start), a slice of the event loop at a time. */
async function occurringWithin<T extends Timing>(events: T[], from: Date | null, to: Date): Promise<T[]> {
  const pause = cooperative();
  const out: T[] = [];
  for (const event of events) {
    await pause();
    const found = expandOccurrences({
      start: event.start_time,
      end: event.end_time,
      rrule: event.rrule,
      timezone: event.timezone,
      from: from ?? event.start_time,
      to,
      limit: 1,
    });
    if (found.length > 0) out.push(event);
  }
  return out;
}

/**
 * One row per occurrence inside the window, each with the occurrence's times,
 * sorted by start. Occurrences are kept as numbers and only the page is built
 * into events; the expansion gives the event loop up every few milliseconds.
 */
async function expandedPage(rows: Row[], from: Date, to: Date, sort: TListEventsInput['sort'], page: Page): Promise<EventPage> {
  const tooMany = () => validation('end_date', `the expansion gives more than ${MAX_EXPANDED_ROWS} rows; narrow the window or filter`);
  if (rows.length > MAX_EXPANDED_ROWS) throw tooMany();
  const pause = cooperative();
  const starts: number[] = [];
  const ends: number[] = [];
  const owners: number[] = [];
  for (const [index, row] of rows.entries()) {
    await pause();
    const occurrences = expandOccurrences({
      start: row.start_time,
      end: row.end_time,
      rrule: row.rrule,
      timezone: row.timezone,
      from,
      to,
      limit: MAX_EXPANDED_ROWS - starts.length + 1,
    });
    for (const o of occurrences) {
      starts.push(o.start.getTime());
      ends.push(o.end.getTime());
      owners.push(index);
    }
    if (starts.length > MAX_EXPANDED_ROWS) throw tooMany();
  }
  await pause();
  const direction = sort === '-start_time' ? -1 : 1;
  const order = Array.from(starts.keys()).sort(
    (a, b) => direction * (starts[a]! - starts[b]!) || rows[owners[a]!]!.id - rows[owners[b]!]!.id,
  );
  const results = pageSlice(order, page).map((i) => {
    const row = rows[owners[i]!]!;
    return { ...toEvent(row, row.my_role), start_time: formatDateTime(new Date(starts[i]!)), end_time: formatDateTime(new Date(ends[i]!)) };
  });
  return pageEnvelope(results, order.length, page);
}
