import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '@scheduler/db';
import type { TCalendarFeed, TCalendarFeedUrl } from '@scheduler/shared';
import { sql, type Kysely } from 'kysely';
import { AppError } from '../../errors.ts';
import { audit } from '../audit.ts';
import { eventsAllowedFor } from '../events/access.ts';
import type { Actor, ServiceDeps } from '../types.ts';
import { inTransaction } from '../write.ts';
import { writeCalendar } from './ics-export.ts';

/** Bumped when the feed's text changes shape, so every client's cached copy is refetched. */
const FORMAT_VERSION = 2;

const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** The feed URL of a secret, under the origin the caller reached the API by. */
const feedUrl = (origin: string, secret: string): string => `${origin}/api/calendar/${secret}.ics`;

/**
 * Creates the user's feed, or rotates its secret: the old URL stops working
 * at once. Only the secret's hash is stored; the URL is shown this once.
 */
export async function createFeed(deps: ServiceDeps, actor: Actor, origin: string): Promise<TCalendarFeedUrl> {
  const secret = randomBytes(32).toString('base64url');
  await inTransaction(deps, async (trx) => {
    const replaced = await trx
      .insertInto('calendar_feeds')
      .values({ user_id: actor.id, secret_hash: hashSecret(secret) })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ secret_hash: hashSecret(secret), created_at: sql`now()` }))
      .returning(sql<boolean>`xmax <> 0`.as('rotated'))
      .executeTakeFirstOrThrow();
    await audit(trx, deps.meta, {
      userId: actor.id,
      action: replaced.rotated ? 'calendar.feed_rotate' : 'calendar.feed_create',
      targetType: 'user',
      targetId: actor.id,
    });
  });
  return { url: feedUrl(origin, secret) };
}

/** Turns the user's feed off (its URL answers 404). */
export async function deleteFeed(deps: ServiceDeps, actor: Actor): Promise<{ message: string }> {
  return inTransaction(deps, async (trx) => {
    const deleted = await trx.deleteFrom('calendar_feeds').where('user_id', '=', actor.id).executeTakeFirst();
    if (deleted.numDeletedRows === 0n) throw new AppError('NOT_FOUND', 'You have no calendar feed');
    await audit(trx, deps.meta, { userId: actor.id, action: 'calendar.feed_delete', targetType: 'user', targetId: actor.id });
    return { message: 'Calendar feed turned off' };
  });
}

const feedNotFound = () => new AppError('NOT_FOUND', 'No such calendar feed');

/**
 * The feed of a secret: its ETag, and the calendar unless `ifNoneMatch`
 * already names that ETag (then the text is not built at all). The ETag is
 * a hash of the secret's hash and the newest change-feed row that touches
 * the user's calendar: a change to an event they can read, a grant, a
 * revocation or a deletion moves it. A wrong secret is 404.
 */
export async function readFeed(db: Kysely<Database>, secret: string, ifNoneMatch: string | null): Promise<TCalendarFeed> {
  // Secrets are base64url; anything else cannot be one (and is not worth a query).
  if (!/^[\w-]{16,128}$/.test(secret)) throw feedNotFound();
  const secretHash = hashSecret(secret);
  const feed = await db
    .selectFrom('calendar_feeds as f')
    .innerJoin('users as u', 'u.id', 'f.user_id')
    .select(['f.user_id', 'u.username'])
    .select((eb) =>
      eb
        .fn<string | null>('greatest', [
          sql`(select max(c.id) from changes c where c.event_id in (select p.event_id from event_permissions p where p.user_id = f.user_id))`,
          sql`(select max(c.id) from changes c where c.subject_user_id = f.user_id)`,
        ])
        .as('last_change'),
    )
    .where('f.secret_hash', '=', secretHash)
    .executeTakeFirst();
  if (!feed) throw feedNotFound();
  const tag = createHash('sha256')
    .update(`${FORMAT_VERSION}:${secretHash}:${feed.last_change ?? 0}`)
    .digest('base64url')
    .slice(0, 27);
  const etag = `"${tag}"`;
  if (ifNoneMatch !== null && matches(ifNoneMatch, etag)) return { etag, calendar: null };

  const readable = await eventsAllowedFor(db, { id: feed.user_id }, 'read');
  const ids = [...readable.keys()];
  const events =
    ids.length === 0
      ? []
      : await db
          .selectFrom('events')
          .selectAll()
          .where(sql<boolean>`id = any(${sql.val(ids)}::int[])`)
          .orderBy('start_time')
          .orderBy('id')
          .execute();
  return { etag, calendar: await writeCalendar(events, `${feed.username} (Event Scheduler)`) };
}

/** If-None-Match: `*`, or a list of tags compared weakly (RFC 9110 13.1.2). */
function matches(header: string, etag: string): boolean {
  return header.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed.replace(/^W\//, '') === etag;
  });
}
