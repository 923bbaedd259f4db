import type { Database } from '@scheduler/db';
import { formatDateTime, type TCreateInvitationInput, type TInvitation, type TListInvitationsInput } from '@scheduler/shared';
import type { Kysely } from 'kysely';
import { AppError, validation } from '../../errors.ts';
import { audit } from '../audit.ts';
import { recordNotice } from '../changes.ts';
import { isUniqueViolation } from '../db-errors.ts';
import type { Actor, ServiceDeps } from '../types.ts';
import { inTransaction } from '../write.ts';
import { checkAccess, loadEventFor, roleAllows, roleOf } from './access.ts';
import { recordRsvp } from './rsvp.ts';
import { grantPersonalRole, resolveUser } from './sharing.ts';
import { toEvent } from './serialize.ts';

/**
 * Invitations: a grant that waits for the invitee's answer (sharing grants at
 * once). The owner invites; the invitee accepts (the role is granted through
 * the sharing path) or declines; the inviter or the owner cancels while it is
 * pending. Until they accept, the invitee sees the invitation and the event's
 * title, nothing else. An invitation is visible to its invitee, its inviter
 * and whoever may share the event; to everyone else it does not exist (404),
 * and so it is once its event is deleted.
 */

function invitations(db: Kysely<Database>) {
  return db
    .selectFrom('invitations as i')
    .innerJoin('events as e', 'e.id', 'i.event_id')
    .innerJoin('users as f', 'f.id', 'i.inviter_id')
    .innerJoin('users as t', 't.id', 'i.invitee_id')
    .select([
      'i.id',
      'i.event_id',
      'e.title as event_title',
      'e.owner_id',
      'i.role',
      'i.status',
      'i.message',
      'i.inviter_id',
      'f.username as inviter_username',
      'i.invitee_id',
      't.username as invitee_username',
      'i.created_at',
      'i.responded_at',
    ])
    .where('e.deleted_at', 'is', null);
}

type Row = NonNullable<Awaited<ReturnType<ReturnType<typeof invitations>['executeTakeFirst']>>>;

function toInvitation(row: Row): TInvitation {
  return {
    id: row.id,
    event_id: row.event_id,
    event_title: row.event_title,
    role: row.role,
    status: row.status,
    message: row.message,
    inviter: { id: row.inviter_id, username: row.inviter_username },
    invitee: { id: row.invitee_id, username: row.invitee_username },
    created_at: formatDateTime(row.created_at),
    responded_at: row.responded_at === null ? null : formatDateTime(row.responded_at),
  };
}

const invitationNotFound = () => new AppError('NOT_FOUND', 'Invitation not found');

async function readInvitation(db: Kysely<Database>, id: number): Promise<Row> {
  const row = await invitations(db).where('i.id', '=', id).executeTakeFirst();
  if (!row) throw invitationNotFound();
  return row;
}

/**
 * The invitation for one of the caller's actions, under a row lock taken
 * after the event's (the order every invitation write follows). 404 for
 * someone who may not see it, 403 for someone who may see it but not take
 * this action, 409 once it is no longer pending.
 */
async function invitationFor(trx: Kysely<Database>, id: number, actor: Actor, action: 'answer' | 'cancel'): Promise<Row> {
  const seen = await readInvitation(trx, id);
  const role = await roleOf(trx, seen.event_id, actor);
  const manages = actor.id === seen.inviter_id || (role !== null && roleAllows(role, 'share'));
  if (actor.id !== seen.invitee_id && !manages) throw invitationNotFound();
  if (action === 'answer' && actor.id !== seen.invitee_id) throw new AppError('FORBIDDEN', 'Only the invitee may answer an invitation');
  if (action === 'cancel' && !manages)
    throw new AppError('FORBIDDEN', 'Only the inviter or the event’s owner may cancel an invitation; decline it instead');
  await trx.selectFrom('events').select('id').where('id', '=', seen.event_id).forUpdate().execute();
  await trx.selectFrom('invitations').select('id').where('id', '=', id).forUpdate().execute();
  // Read again under the locks: a concurrent answer may have come first.
  const row = await readInvitation(trx, id);
  if (row.status !== 'pending') throw new AppError('CONFLICT', `The invitation is no longer pending (it was ${row.status})`);
  return row;
}

async function settle(trx: Kysely<Database>, id: number, status: 'accepted' | 'declined' | 'cancelled'): Promise<TInvitation> {
  await trx.updateTable('invitations').set({ status, responded_at: new Date() }).where('id', '=', id).execute();
  return toInvitation(await readInvitation(trx, id));
}

/** The owner invites someone without access to the event; one pending invitation per person and event. */
export async function createInvitation(
  deps: ServiceDeps,
  actor: Actor,
  input: TCreateInvitationInput,
): Promise<{ invitation: TInvitation }> {
  try {
    return await inTransaction(deps, async (trx) => {
      const { event } = await loadEventFor(trx, input.id, actor, 'share', { forUpdate: true });
      const invitee = await resolveUser(trx, input);
      if (invitee.id === actor.id || invitee.id === event.owner_id) {
        throw validation('user_id', 'cannot be you', 'user_id: you cannot invite yourself (or the event’s owner)');
      }
      if ((await roleOf(trx, event.id, { id: invitee.id })) !== null) {
        throw new AppError('CONFLICT', `${invitee.username} already has access to the event`);
      }
      const pending = await trx
        .selectFrom('invitations')
        .select('id')
        .where('event_id', '=', event.id)
        .where('invitee_id', '=', invitee.id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (pending) throw alreadyInvited(invitee.username);
      const { id } = await trx
        .insertInto('invitations')
        .values({ event_id: event.id, inviter_id: actor.id, invitee_id: invitee.id, role: input.role, message: input.message ?? null })
        .returning('id')
        .executeTakeFirstOrThrow();
      const invitation = toInvitation(await readInvitation(trx, id));
      await audit(trx, deps.meta, { userId: actor.id, action: 'invitation.create', targetType: 'invitation', targetId: id });
      await recordNotice(trx, {
        eventId: event.id,
        type: 'invitation.created',
        actorId: actor.id,
        recipientId: invitee.id,
        payload: { invitation },
      });
      return { invitation };
    });
  } catch (error) {
    // The partial unique index: a pending invitation committed by a concurrent request.
    if (isUniqueViolation(error)) throw alreadyInvited(input.username ?? `User ${input.user_id}`);
    throw error;
  }
}

const alreadyInvited = (who: string) => new AppError('CONFLICT', `${who} already has a pending invitation to the event`);

/** Every invitation to an event, newest first (for whoever may share it). */
export async function listEventInvitations(db: Kysely<Database>, actor: Actor, eventId: number): Promise<TInvitation[]> {
  await checkAccess(db, eventId, actor, 'share');
  const rows = await invitations(db).where('i.event_id', '=', eventId).orderBy('i.id', 'desc').execute();
  return rows.map(toInvitation);
}

/** The invitations addressed to the caller, newest first; pending ones unless asked otherwise. */
export async function listMyInvitations(db: Kysely<Database>, actor: Actor, input: TListInvitationsInput): Promise<TInvitation[]> {
  const status = input.status ?? 'pending';
  let query = invitations(db).where('i.invitee_id', '=', actor.id);
  if (status !== 'all') query = query.where('i.status', '=', status);
  return (await query.orderBy('i.id', 'desc').execute()).map(toInvitation);
}

/**
 * The invitee accepts: the role is granted through the sharing path (with its
 * history, `permission.granted` and role cache), their RSVP becomes
 * `accepted`, and the owner is told. Someone who meanwhile got an equal or
 * stronger role keeps it.
 */
export async function acceptInvitation(deps: ServiceDeps, actor: Actor, id: number) {
  return inTransaction(deps, async (trx) => {
    const row = await invitationFor(trx, id, actor, 'answer');
    const invitation = await settle(trx, id, 'accepted');
    await audit(trx, deps.meta, { userId: actor.id, action: 'invitation.accept', targetType: 'invitation', targetId: id });
    await grantPersonalRole(trx, {
      eventId: row.event_id,
      userId: actor.id,
      role: row.role,
      actorId: actor.id,
      keepStronger: true,
    });
    // After the grant, which clears an answer left from earlier access.
    await recordRsvp(trx, row.event_id, actor.id, 'accepted');
    await recordNotice(trx, {
      eventId: row.event_id,
      type: 'invitation.accepted',
      actorId: actor.id,
      recipientId: row.owner_id,
      payload: { invitation },
    });
    const { event, role } = await loadEventFor(trx, row.event_id, actor, 'read');
    return { message: 'Invitation accepted', invitation, event: toEvent(event, role) };
  });
}

export async function declineInvitation(deps: ServiceDeps, actor: Actor, id: number) {
  return inTransaction(deps, async (trx) => {
    const row = await invitationFor(trx, id, actor, 'answer');
    const invitation = await settle(trx, id, 'declined');
    await audit(trx, deps.meta, { userId: actor.id, action: 'invitation.decline', targetType: 'invitation', targetId: id });
    await recordNotice(trx, {
      eventId: row.event_id,
      type: 'invitation.declined',
      actorId: actor.id,
      recipientId: row.owner_id,
      payload: { invitation },
    });
    return { message: 'Invitation declined', invitation };
  });
}

export async function cancelInvitation(deps: ServiceDeps, actor: Actor, id: number) {
  return inTransaction(deps, async (trx) => {
    const row = await invitationFor(trx, id, actor, 'cancel');
    const invitation = await settle(trx, id, 'cancelled');
    await audit(trx, deps.meta, { userId: actor.id, action: 'invitation.cancel', targetType: 'invitation', targetId: id });
    await recordNotice(trx, {
      eventId: row.event_id,
      type: 'invitation.cancelled',
      actorId: actor.id,
      recipientId: row.invitee_id,
      payload: { invitation },
    });
    return { message: 'Invitation cancelled' };
  });
}
