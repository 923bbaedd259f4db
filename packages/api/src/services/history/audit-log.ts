import type { Database } from '@scheduler/db';
import { formatDateTime } from '@scheduler/shared';
import type { Kysely } from 'kysely';

/** The caller's own audit entries, newest first. */
export async function listAudit(
  db: Kysely<Database>,
  userId: number,
  input: { page?: number | undefined; page_size?: number | undefined },
) {
  const size = input.page_size ?? 10;
  const page = input.page ?? 1;
  const [rows, total] = await Promise.all([
    db
      .selectFrom('audit_log')
      .select(['id', 'action', 'target_type', 'target_id', 'at', 'request_id', 'ip'])
      .where('user_id', '=', userId)
      .orderBy('id', 'desc')
      .limit(size)
      .offset((page - 1) * size)
      .execute(),
    db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow(),
  ]);
  const count = Number(total.n);
  return {
    results: rows.map((r) => ({ ...r, at: formatDateTime(r.at) })),
    count,
    num_pages: Math.max(1, Math.ceil(count / size)),
    current_page: page,
  };
}
