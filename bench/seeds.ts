/**
 * Data the benchmarks seed, set-based in SQL (shared by the single scripts and by the suite).
 */
import type pg from 'pg';

/**
 * `events` events of 100 owners spread over ~5 years (every 40th weekly-recurring, 10
 * occurrences), one OWNER permission row per event, one extra VIEWER/EDITOR share per event
 * among the other owners, and shares to the measured user `meId`: with 100,000 events that
 * user owns 600 and has 400 shared, so sees exactly 1,000. Then ANALYZE.
 */
export async function seedListing(
  pool: pg.Pool,
  meId: number,
  events: number,
): Promise<{ events: number; permissions: number; mine: number }> {
  const others = await pool.query<{ id: number }>(
    `insert into users (username, email, password_hash)
     select 'owner_' || $1 || '_' || i, 'owner_' || $1 || '_' || i || '@bench.test', 'x' from generate_series(1, 99) i order by i returning id`,
    [`${process.pid}_${meId}`],
  );
  const ids = [meId, ...others.rows.map((r) => r.id)]; // owner index 0 is the measured user
  // Owner index i % 100, except that the measured user's events past number 60,000 go to others: 600 of theirs.
  await pool.query(
    `insert into events (owner_id, title, description, location, start_time, end_time, timezone,
                         is_recurring, recurrence_pattern, rrule, series_end, version, created_at, updated_at)
     select ($1::int[])[1 + s.owner_index],
            'Event ' || i || ' ' || (array['Planning', 'Standup', 'Design review', 'Retro', 'Customer call'])[1 + (i / 7) % 5],
            'Notes for event ' || i || case when i % 3 = 0 then ', with agenda and minutes' else '' end,
            case when i % 4 = 0 then 'Room ' || (i % 13) end,
            s.start, s.start + interval '45 minutes', 'UTC',
            s.recurring,
            case when s.recurring then '{"frequency": "weekly", "count": 10}'::jsonb end,
            case when s.recurring then 'FREQ=WEEKLY;INTERVAL=1;COUNT=10' end,
            s.start + interval '45 minutes' + case when s.recurring then interval '9 weeks' else interval '0' end,
            1, s.start - interval '30 days',
            timestamptz '2026-06-01' - ((i * 7919) % $2) * interval '1 minute'
     from (select i,
                  case when i % 100 = 0 and i > 60000 then 1 + (i / 100) % 99 else i % 100 end as owner_index,
                  timestamptz '2025-01-01' + i * interval '26 minutes' as start,
                  i % 40 = 1 as recurring
           from generate_series(1, $2::int) i) s
     order by i`,
    [ids, events],
  );
  await pool.query(
    `insert into event_permissions (event_id, user_id, role, own_role) select id, owner_id, 'OWNER', 'OWNER' from events e
     where owner_id = any($1::int[]) and not exists (select 1 from event_permissions p where p.event_id = e.id)`,
    [ids],
  );
  // One more share per event among the other 99 users (never the measured user)...
  await pool.query(
    `insert into event_permissions (event_id, user_id, role, own_role)
     select e.id, u.id, r.role, r.role
     from events e cross join lateral (select ($1::int[])[1 + ((e.id % 100) + 37) % 100] as id) u
     cross join lateral (select case when e.id % 3 = 0 then 'EDITOR' else 'VIEWER' end as role) r
     where e.owner_id = any($1::int[]) and u.id <> e.owner_id and u.id <> $2`,
    [ids, meId],
  );
  // ...and 400 events of others shared with the measured user, spread over the whole range.
  await pool.query(
    `insert into event_permissions (event_id, user_id, role, own_role)
     select id, $1, r.role, r.role from events cross join lateral (select case when id % 2 = 0 then 'EDITOR' else 'VIEWER' end as role) r
     where id % 250 = 1 and owner_id <> $1 and owner_id = any($2::int[])`,
    [meId, ids],
  );
  await pool.query('analyze');
  const sizes = await pool.query<{ events: number; permissions: number; mine: number }>(
    `select (select count(*) from events)::int as events, (select count(*) from event_permissions)::int as permissions,
            (select count(*) from event_permissions where user_id = $1)::int as mine`,
    [meId],
  );
  return sizes.rows[0]!;
}

/**
 * Versions 2..`versions` of event `eventId` inserted into event_versions (each with a different
 * title and description, some with other times or location), and the event row brought to the
 * last one. Then ANALYZE. Returns the first and last version_id.
 */
export async function seedHistory(pool: pg.Pool, eventId: number, versions: number): Promise<{ n: number; first: number; last: number }> {
  await pool.query(
    `insert into event_versions (event_id, version, history_type, owner_id, title, description, start_time, end_time,
                                 location, timezone, is_recurring, recurrence_pattern, rrule, series_end, changed_by, change_reason, history_date)
     select e.id, v, '~', e.owner_id, 'Deep history rev ' || v,
            'version ' || v || ' of a long description with words ' || repeat('lorem ', v % 50),
            e.start_time + (v % 3) * interval '1 hour', e.end_time + (v % 3) * interval '1 hour',
            case when v % 10 = 0 then 'Room ' || (v % 7) end, e.timezone, e.is_recurring, e.recurrence_pattern, e.rrule,
            e.series_end + (v % 3) * interval '1 hour', e.owner_id, null, now() + v * interval '1 second'
     from events e, generate_series(2, $2::int) v where e.id = $1 order by v`,
    [eventId, versions],
  );
  // The event row is the last version.
  await pool.query(
    `update events e set version = v.version, title = v.title, description = v.description, start_time = v.start_time,
            end_time = v.end_time, location = v.location, series_end = v.series_end, updated_at = v.history_date
     from event_versions v where e.id = $1 and v.event_id = e.id and v.version = $2`,
    [eventId, versions],
  );
  await pool.query('analyze');
  const counted = await pool.query<{ n: number; first: number; last: number }>(
    `select count(*)::int as n, min(version_id)::int as first, max(version_id)::int as last from event_versions where event_id = $1`,
    [eventId],
  );
  return counted.rows[0]!;
}

/** `count` valid events one hour apart, not overlapping, starting `offsetDays` after 2030-01-01. */
export function batchItems(count: number, offsetDays: number): Array<Record<string, string | undefined>> {
  return Array.from({ length: count }, (_, i) => {
    const start = Date.UTC(2030, 0, 1) + offsetDays * 86_400_000 + i * 3_600_000;
    return {
      title: `Batch item ${i}`,
      description: 'Imported from the old calendar',
      location: i % 5 === 0 ? `Room ${i % 13}` : undefined,
      start_time: new Date(start).toISOString(),
      end_time: new Date(start + 1_800_000).toISOString(),
    };
  });
}
