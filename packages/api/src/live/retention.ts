import type { Database } from '@scheduler/db';
import { sql, type Kysely } from 'kysely';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';

/** One pruner at a time across instances (transaction-scoped, so a crashed pruner frees it). */
const PRUNE_LOCK = 7303;

/**
 * Prunes the change feed: content changes older than `maxAgeSeconds` go.
 * Kept: permission changes (as_of reconstructs who could see an event at any
 * past moment from them; event content lives on in event_versions), the
 * newest row (the feed's head, which cursors are measured against) and rows
 * the webhook outbox has not read yet. The
 * horizon records the highest id that may be gone. Returns the rows deleted,
 * or undefined when another instance holds the pruning lock.
 */
export async function pruneFeed(db: Kysely<Database>, maxAgeSeconds: number): Promise<number | undefined> {
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${PRUNE_LOCK}) as locked`.execute(trx);
    if (!rows[0]?.locked) return undefined;
    const cutoff = new Date(Date.now() - maxAgeSeconds * 1000);
    const bound = await trx
      .selectFrom('changes')
      .select((eb) => eb.fn.max('id').as('through'))
      .where('at', '<', cutoff)
      .where('id', '<', (eb) => eb.selectFrom('changes').select((inner) => inner.fn.max('id').as('head')))
      // Rows not yet turned into webhook deliveries stay.
      .where('id', '<=', (eb) => eb.selectFrom('webhook_feed_cursor').select('last_change_id').where('id', '=', 1))
      .executeTakeFirst();
    const through = Number(bound?.through ?? 0);
    if (through === 0) return 0;
    const deleted = await trx
      .deleteFrom('changes')
      .where('id', '>', 0)
      .where('id', '<=', through)
      .where('subject_user_id', 'is', null)
      .executeTakeFirst();
    await trx
      .updateTable('feed_horizon')
      .set({ pruned_through: sql<number>`greatest(pruned_through, ${through})` })
      .where('id', '=', 1)
      .execute();
    return Number(deleted.numDeletedRows);
  });
}

/** The highest feed id that may have been pruned: positions below it cannot be resumed. */
async function prunedThrough(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('feed_horizon').select('pruned_through').where('id', '=', 1).executeTakeFirst();
  return Number(row?.pruned_through ?? 0);
}

/** A sync cursor or resume id older than the retained feed: the client starts again from a snapshot. */
export async function assertRetained(db: Kysely<Database>, position: number, what: 'cursor' | 'resume'): Promise<void> {
  if (position >= (await prunedThrough(db))) return;
  throw new AppError(
    'GONE',
    what === 'cursor'
      ? 'The cursor is older than the retained change feed; start again without a cursor'
      : 'The resume position is older than the retained change feed; some changes can no longer be replayed. Reload (GET /api/sync without a cursor) and subscribe again without a last event id',
  );
}

/**
 * Runs `pruneFeed` every `intervalSeconds` (first run soon after start-up).
 * Every instance runs the job; the advisory lock lets one prune at a time.
 */
export function startFeedRetention(db: Kysely<Database>, logger: Logger, options: { maxAgeSeconds: number; intervalSeconds: number }) {
  let running: Promise<void> | undefined;
  const run = () => {
    running ??= pruneFeed(db, options.maxAgeSeconds)
      .then((deleted) => {
        if (deleted) logger.info({ deleted }, 'change feed pruned');
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'change feed pruning failed; will try again'))
      .finally(() => (running = undefined));
  };
  const first = setTimeout(run, 10_000);
  const timer = setInterval(run, options.intervalSeconds * 1000);
  first.unref();
  timer.unref();
  return {
    /** Stops the schedule and waits for a run in progress. */
    async stop(): Promise<void> {
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
