import type { Database } from '@scheduler/db';
import type { TRsvpInput, TRsvpStatus } from '@scheduler/shared';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { audit } from '../audit.ts';
import { recordNotice } from '../changes.ts';
import type { Actor, ServiceDeps } from '../types.ts';
import { inTransaction } from '../write.ts';
import { loadEventFor, sharedEventIds } from './access.ts';

/**
 * RSVPs: each participant's answer to an event. An answer is news, not a
 * change of the event: it makes no version, is not part of sync, and reaches
 * the event's readers live as `rsvp.updated`. It counts only while its author
 * may read the event (the participants list and the calendar of accepted
 * events are joined with access), and a new grant after lost access starts
 * again at `needs_action`.
 */

/**
 * A participant's RSVP in SQL, for a query with the permission as `p` and a
 * left join of event_rsvps as `r`: the answer given, else `accepted` for the
 * owner and `needs_action` for everyone else.
 */
export const RSVP_OF_PARTICIPANT: RawBuilder<TRsvpStatus> = sql<TRsvpStatus>`coalesce(r.response, case when p.role = 'OWNER' then 'accepted' else 'needs_action' end)`;

/** Records the caller's answer; anyone who may read the event may answer. */
export async function setRsvp(deps: ServiceDeps, actor: Actor, input: TRsvpInput) {
  return inTransaction(deps, async (trx) => {
    const { event } = await loadEventFor(trx, input.id, actor, 'read');
    const previous = await trx
      .selectFrom('event_rsvps')
      .select('response')
      .where('event_id', '=', event.id)
      .where('user_id', '=', actor.id)
      .executeTakeFirst();
    // The same answer again changes nothing and tells nobody.
    if (previous?.response !== input.response) {
      await trx
        .insertInto('event_rsvps')
        .values({ event_id: event.id, user_id: actor.id, response: input.response, updated_at: new Date() })
        .onConflict((oc) => oc.columns(['event_id', 'user_id']).doUpdateSet({ response: input.response, updated_at: new Date() }))
        .execute();
      await audit(trx, deps.meta, { userId: actor.id, action: 'rsvp', targetType: 'event', targetId: event.id });
      await recordNotice(trx, {
        eventId: event.id,
        type: 'rsvp.updated',
        actorId: actor.id,
        payload: { user: { id: actor.id, username: actor.username }, response: input.response },
      });
    }
    return { event_id: event.id, user_id: actor.id, response: input.response };
  });
}

/** Sets an answer inside the caller's transaction without telling anyone (an accepted invitation says it itself). */
export async function recordRsvp(trx: Kysely<Database>, eventId: number, userId: number, response: TRsvpInput['response']): Promise<void> {
  await trx
    .insertInto('event_rsvps')
    .values({ event_id: eventId, user_id: userId, response, updated_at: new Date() })
    .onConflict((oc) => oc.columns(['event_id', 'user_id']).doUpdateSet({ response, updated_at: new Date() }))
    .execute();
}

/** Drops users' answers to an event (stale ones, from before they lost access). */
export async function forgetRsvps(trx: Kysely<Database>, eventId: number, userIds: readonly number[]): Promise<void> {
  if (userIds.length === 0) return;
  await trx
    .deleteFrom('event_rsvps')
    .where('event_id', '=', eventId)
    .where('user_id', '=', sql<number>`any(${[...userIds]}::int[])`)
    .execute();
}

/**
 * Events shared with a user (not owned by them) that they may read now and
 * whose RSVP is `accepted`, as SQL for `where e.id in (...)`: with the
 * events they own, their calendar for free/busy.
 */
export function acceptedSharedEventIdsSql(userId: number): RawBuilder<{ event_id: number }> {
  return sql<{ event_id: number }>`select r.event_id from event_rsvps r
    where r.user_id = ${userId} and r.response = 'accepted' and r.event_id in (${sharedEventIds(userId)})`;
}

/** The same as a list of ids (see acceptedSharedEventIdsSql). */
export async function acceptedSharedEventIds(db: Kysely<Database>, userId: number): Promise<number[]> {
  const { rows } = await sql<{ event_id: number }>`${acceptedSharedEventIdsSql(userId)} order by r.event_id`.execute(db);
  return rows.map((r) => r.event_id);
}
