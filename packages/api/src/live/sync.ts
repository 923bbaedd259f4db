import type { Database } from '@scheduler/db';
import type { Kysely } from 'kysely';
import { validation } from '../errors.ts';
import { STATE_CHANGES } from '../services/changes.ts';
import { toEvent } from '../services/events/serialize.ts';
import { feedHead } from './messages.ts';
import { assertRetained } from './retention.ts';

const DEFAULT_LIMIT = 500;


/**
 * Offline sync over the change feed. Without a cursor: a snapshot of every
 * event the caller can see and a cursor at the feed's head. With one: every
 * event that changed for the caller since, collapsed to its state now —
 * `upsert` with the event, or `removed` when it was deleted or the caller
 * lost access.
 */
export async function sync(db: Kysely<Database>, userId: number, input: { cursor?: string | undefined; limit?: number | undefined }) {
  const head = await feedHead(db);
  if (input.cursor === undefined) {
    const rows = await db
      .selectFrom('events as e')
      .innerJoin('event_permissions as p', (join) => join.onRef('p.event_id', '=', 'e.id').on('p.user_id', '=', userId))
      .selectAll('e')
      .select('p.role as my_role')
      .where('e.deleted_at', 'is', null)
      .orderBy('e.id')
      .execute();
    const versions = await latestVersionIds(
      db,
      rows.map((r) => r.id),
    );
    return {
      changes: rows.map(({ my_role, ...row }) => ({
        event_id: row.id,
        version_id: versions.get(row.id) ?? null,
        type: 'upsert' as const,
        event: toEvent(row, my_role),
      })),
      next_cursor: String(head),
      has_more: false,
    };
  }

  const cursor = parseCursor(input.cursor);
  if (cursor > head) throw badCursor();
  await assertRetained(db, cursor, 'cursor');
  const limit = input.limit ?? DEFAULT_LIMIT;
  // Changes about events the caller can see now, or that removed the caller's access.
  const touched = await db
    .selectFrom('changes as c')
    .select(['c.id', 'c.event_id'])
    .where('c.id', '>', cursor)
    .where('c.type', 'in', STATE_CHANGES)
    .where('c.recipient_id', 'is', null)
    .$narrowType<{ event_id: number }>()
    .where((eb) =>
      eb.or([
        eb.exists(
          eb
            .selectFrom('event_permissions as p')
            .select('p.user_id')
            .whereRef('p.event_id', '=', 'c.event_id')
            .where('p.user_id', '=', userId),
        ),
        eb('c.subject_user_id', '=', userId),
      ]),
    )
    .orderBy('c.id')
    .limit(limit + 1)
    .execute();
  const hasMore = touched.length > limit;
  const page = touched.slice(0, limit);
  const nextCursor = page.length ? page.at(-1)!.id : head;
  const eventIds = [...new Set(page.map((c) => c.event_id))];
  const visible = eventIds.length
    ? await db
        .selectFrom('events as e')
        .innerJoin('event_permissions as p', (join) => join.onRef('p.event_id', '=', 'e.id').on('p.user_id', '=', userId))
        .selectAll('e')
        .select('p.role as my_role')
        .where('e.id', 'in', eventIds)
        .where('e.deleted_at', 'is', null)
        .execute()
    : [];
  const byId = new Map(visible.map((row) => [row.id, row]));
  const versions = await latestVersionIds(db, eventIds);
  // The newest change of each event decides its order in the answer.
  const lastChange = new Map<number, number>();
  for (const c of page) lastChange.set(c.event_id, c.id);
  const ordered = [...lastChange.entries()].sort((a, b) => a[1] - b[1]).map(([eventId]) => eventId);
  return {
    changes: ordered.map((eventId) => {
      const row = byId.get(eventId);
      if (!row) return { event_id: eventId, version_id: versions.get(eventId) ?? null, type: 'removed' as const };
      const { my_role, ...event } = row;
      return { event_id: eventId, version_id: versions.get(eventId) ?? null, type: 'upsert' as const, event: toEvent(event, my_role) };
    }),
    next_cursor: String(hasMore ? nextCursor : Math.max(nextCursor, head, cursor)),
    has_more: hasMore,
  };
}

async function latestVersionIds(db: Kysely<Database>, eventIds: number[]): Promise<Map<number, number>> {
  if (eventIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('event_versions')
    .select(['event_id', (eb) => eb.fn.max('version_id').as('version_id')])
    .where('event_id', 'in', eventIds)
    .groupBy('event_id')
    .execute();
  return new Map(rows.map((r) => [r.event_id, Number(r.version_id)]));
}

function parseCursor(cursor: string): number {
  if (!/^\d{1,15}$/.test(cursor)) throw badCursor();
  return Number(cursor);
}

const badCursor = () => validation('cursor', 'is not valid', 'cursor: is not a cursor this server gave out');
