import type { Database } from '@scheduler/db';
import { sql, type Kysely } from 'kysely';

/** Escapes LIKE wildcards so user text matches literally. */
export function likePattern(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Up to 20 users whose username starts with `prefix`, for finding people to share with. */
export async function searchUsers(db: Kysely<Database>, prefix: string | undefined, callerId: number) {
  let query = db
    .selectFrom('users')
    .select(['id', 'username'])
    .where('id', '!=', callerId)
    .orderBy(sql`lower(username)`)
    .limit(20);
  if (prefix) query = query.where(sql`lower(username)`, 'like', `${likePattern(prefix.toLowerCase())}%`);
  return query.execute();
}
