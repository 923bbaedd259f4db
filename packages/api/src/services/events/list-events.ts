import type { Database, EventRow, Role } from '@scheduler/db';
import { formatDateTime, type TEvent, type TEventList, type TListEventsInput } from '@scheduler/shared';
import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import { AppError } from '../../errors.ts';
import { likePattern } from '../users.ts';
import { eventsVisibleAt } from '../history/as-of.ts';
import { expandOccurrences } from './recurrence.ts';
import { toEvent } from './serialize.ts';

/** Bounds for an open window side: the range accepted times can take (and date arithmetic survives). */
const BEGINNING_OF_TIME = new Date('0001-01-01T00:00:00Z');
const END_OF_TIME = new Date('9999-12-31T23:59:59Z');

/** At most this many occurrence rows are built for `expand=true`. */
export const MAX_EXPANDED_ROWS = 10_000;

interface Page {
  offset: number;
  size: number;
  number: number;
}

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

/** Relative links to the neighbouring pages, keeping every other parameter. */
export function pageLinks(path: string, params: Record<string, unknown>, page: Page, count: number) {
  const numPages = Math.max(1, Math.ceil(count / page.size));
  const link = (n: number) => {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value === undefined || value === null || ['page', 'page_size', 'skip', 'limit'].includes(key)) continue;
      // Full precision: a link must name the same moment (as_of) and window as this page.
      query.set(key, value instanceof Date ? value.toISOString() : String(value));
    }
    query.set('page', String(n));
    query.set('page_size', String(page.size));
    return `${path}?${query.toString()}`;
  };
  return {
    num_pages: numPages,
    next: page.number < numPages ? link(page.number + 1) : null,
    previous: page.number > 1 ? link(Math.min(page.number - 1, numPages)) : null,
  };
}

function windowOf(input: TListEventsInput): { from: Date | null; to: Date | null } | null {
  const from = input.start_date ?? null;
  const to = input.end_date ?? null;
  if (!from && !to) return null;
  if (from && to && to < from) {
    throw new AppError('VALIDATION_ERROR', 'end_date: must not be before start_date', {
      details: [{ path: 'end_date', message: 'must not be before start_date' }],
    });
  }
  return { from, to };
}

type Row = EventRow & { my_role: Role };

/**
 * The caller's events, filtered, sorted and paginated. Visibility is the join
 * on the caller's permission rows (the access rule: a row means access).
 * Recurring events match a window when one of their occurrences does.
 */
export async function listEvents(db: Kysely<Database>, userId: number, input: TListEventsInput): Promise<TEventList> {
  const page = pageOf(input);
  const window = windowOf(input);
  if (input.expand && (!window?.from || !window.to)) {
    throw new AppError('VALIDATION_ERROR', 'expand: needs both start_date and end_date', {
      details: [{ path: 'expand', message: 'needs both start_date and end_date' }],
    });
  }
  if (input.as_of) return listAsOf(db, userId, input, page, window);

  // Visibility is the caller's permission rows (the access rule: a row means access). They are
  // read first, by the (user_id, event_id) index, and the events fetched by primary key: a user
  // sees a small share of all events, and a single join lets the planner start from the events
  // table whenever a LIMIT or a text filter misleads its estimates, walking every row.
  let permissions = db.selectFrom('event_permissions').select(['event_id', 'role']).where('user_id', '=', userId);
  if (input.role) permissions = permissions.where('role', '=', input.role);
  const visible = await permissions.execute();
  const roleOf = new Map(visible.map((p) => [p.event_id, p.role]));
  if (visible.length === 0) {
    return { results: [], count: 0, current_page: page.number, ...pageLinks('/api/events', { ...input }, page, 0) };
  }
  let base = db
    .selectFrom('events as e')
    .where('e.id', '=', sql<number>`any(${sql.val(visible.map((p) => p.event_id))}::int[])`)
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
    const matching = candidates
      .filter((c) => occursWithin(c, window.from ?? c.start_time, window.to ?? END_OF_TIME))
      .map((c) => c.id);
    base = base.where((eb) => {
      const oneOff: Expression<SqlBool> = eb.and([eb('e.is_recurring', '=', false), sql<SqlBool>`e.span && ${range}`]);
      return matching.length > 0 ? eb.or([oneOff, eb('e.id', 'in', matching)]) : oneOff;
    });
  }

  // Materialized so the LIMIT below cannot talk the planner into walking the time index.
  const ordered = db
    .with((cte) => cte('matched').materialized(), () => base.selectAll('e'))
    .selectFrom('matched as e')
    .selectAll('e');
  const withRole = <T extends EventRow>(row: T): T & { my_role: Role } => ({ ...row, my_role: roleOf.get(row.id)! });
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

  const params = { ...input } as Record<string, unknown>;
  if (input.expand && window?.from && window.to) {
    const rows = (await sorted.limit(MAX_EXPANDED_ROWS).execute()).map(withRole);
    const expanded = expandRows(rows, window.from, window.to, input.sort);
    const count = expanded.length;
    return {
      results: expanded.slice(page.offset, page.offset + page.size),
      count,
      current_page: page.number,
      ...pageLinks('/api/events', params, page, count),
    };
  }

  const rows = (await sorted.select(sql<number>`count(*) over ()`.as('total_count')).limit(page.size).offset(page.offset).execute()).map(
    withRole,
  );
  let count = rows[0]?.total_count;
  if (count === undefined) {
    const counted = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    count = Number(counted?.n ?? 0);
  }
  return {
    results: rows.map(({ total_count: _, my_role, ...row }) => toEvent(row, my_role)),
    count: Number(count),
    current_page: page.number,
    ...pageLinks('/api/events', params, page, Number(count)),
  };
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
): Promise<TEventList> {
  const q = input.q?.toLowerCase();
  const location = input.location?.toLowerCase();
  const rows: Row[] = (await eventsVisibleAt(db, userId, input.as_of!))
    .map(({ event, role }) => ({ ...event, my_role: role }))
    .filter(
      (e) =>
        (!q || [e.title, e.description, e.location ?? ''].some((text) => text.toLowerCase().includes(q))) &&
        (!location || (e.location ?? '').toLowerCase().includes(location)) &&
        (input.is_recurring === undefined || e.is_recurring === input.is_recurring) &&
        (!input.role || e.my_role === input.role) &&
        (!window || occursWithin(e, window.from ?? BEGINNING_OF_TIME, window.to ?? END_OF_TIME)),
    );
  const key: Record<string, (e: Row) => number | string> = {
    start_time: (e) => e.start_time.getTime(),
    updated_at: (e) => e.updated_at.getTime(),
    title: (e) => e.title,
  };
  const sort = input.sort ?? 'start_time';
  const direction = sort.startsWith('-') ? -1 : 1;
  const by = key[sort.replace('-', '')]!;
  rows.sort((a, b) => direction * (by(a) < by(b) ? -1 : by(a) > by(b) ? 1 : a.id - b.id));
  const params = { ...input } as Record<string, unknown>;
  if (input.expand && window?.from && window.to) {
    const expanded = expandRows(rows, window.from, window.to, input.sort);
    return {
      results: expanded.slice(page.offset, page.offset + page.size),
      count: expanded.length,
      current_page: page.number,
      ...pageLinks('/api/events', params, page, expanded.length),
    };
  }
  return {
    results: rows.slice(page.offset, page.offset + page.size).map(({ my_role, ...row }) => toEvent(row, my_role)),
    count: rows.length,
    current_page: page.number,
    ...pageLinks('/api/events', params, page, rows.length),
  };
}

function occursWithin(event: Pick<EventRow, 'start_time' | 'end_time' | 'rrule' | 'timezone'>, from: Date, to: Date): boolean {
  return (
    expandOccurrences({ start: event.start_time, end: event.end_time, rrule: event.rrule, timezone: event.timezone, from, to, limit: 1 })
      .length > 0
  );
}

/** One row per occurrence inside the window, each with the occurrence's times. */
function expandRows(rows: Row[], from: Date, to: Date, sort: TListEventsInput['sort']): TEvent[] {
  const out: Array<{ at: number; event: TEvent }> = [];
  for (const row of rows) {
    const base = toEvent(row, row.my_role);
    const occurrences = expandOccurrences({
      start: row.start_time,
      end: row.end_time,
      rrule: row.rrule,
      timezone: row.timezone,
      from,
      to,
      limit: MAX_EXPANDED_ROWS,
    });
    for (const o of occurrences) {
      out.push({ at: o.start.getTime(), event: { ...base, start_time: formatDateTime(o.start), end_time: formatDateTime(o.end) } });
      if (out.length >= MAX_EXPANDED_ROWS) break;
    }
  }
  const direction = sort === '-start_time' ? -1 : 1;
  out.sort((a, b) => direction * (a.at - b.at) || a.event.id - b.event.id);
  return out.map((o) => o.event);
}
