import type { Database } from '@scheduler/db';
import type { TTagCount } from '@scheduler/shared';
import { sql, type Kysely } from 'kysely';
import { inScope, type Principal } from './access.ts';

/**
 * The tags of the events the caller can read now (not deleted), each with how
 * many of those events carry it: most used first, then alphabetical (byte
 * order, the same on every database). Visibility is the caller's permission
 * rows, as in the listing (see access.ts).
 */
export async function tagCounts(db: Kysely<Database>, who: Principal): Promise<TTagCount[]> {
  const { rows } = await sql<TTagCount>`
    select t.tag, count(*)::int as count
    from event_permissions p
    join events e on e.id = p.event_id
    cross join lateral unnest(e.tags) as t(tag)
    where p.user_id = ${who.id} and e.deleted_at is null and ${inScope(who.scope)}
    group by t.tag
    order by count(*) desc, t.tag collate "C" asc`.execute(db);
  return rows;
}
