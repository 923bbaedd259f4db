import type { Database, Role } from '@scheduler/db';
import type { TShareInput } from '@scheduler/shared';
import type { Kysely } from 'kysely';
import { AppError, validation } from '../../errors.ts';
import { audit } from '../audit.ts';
import { recordPermissionChange } from '../changes.ts';
import type { Actor, ServiceDeps } from '../types.ts';
import { inTransaction } from '../write.ts';
import { checkAccess, loadEventFor, roleOf } from './access.ts';
import { forgetRsvp } from './rsvp.ts';
import { permissionsOf } from './event-service.ts';

type Grant = { user_id?: number | undefined; username?: string | undefined; role: 'EDITOR' | 'VIEWER' };
type UserName = { user_id?: number | undefined; username?: string | undefined };

/** Seed 001 sends `{users:[...]}`, seed 000 a single `{user_id, role}`. */
function grantsOf(input: TShareInput): Grant[] {
  if (input.users) return input.users;
  if (input.user_id === undefined && input.username === undefined) {
    throw validation('users', 'is required (or user_id and role)', 'users: give users:[{user_id, role}] or user_id and role');
  }
  if (!input.role) {
    throw validation('role', 'is required');
  }
  return [{ user_id: input.user_id, username: input.username, role: input.role }];
}

/** The user an input names by `user_id` or `username`; 404 when there is none. */
export async function resolveUser(db: Kysely<Database>, grant: UserName): Promise<{ id: number; username: string }> {
  let query = db.selectFrom('users').select(['id', 'username']);
  query = grant.user_id !== undefined ? query.where('id', '=', grant.user_id) : query.where('username', '=', grant.username!);
  const user = await query.executeTakeFirst();
  if (!user) throw new AppError('NOT_FOUND', `User ${grant.user_id ?? grant.username} not found`);
  return user;
}

const STRENGTH: Record<Role, number> = { OWNER: 3, EDITOR: 2, VIEWER: 1 };

/**
 * Grants a user their own role on an event, inside the caller's transaction:
 * the permission row, the feed row (`permission.granted` or `.updated`, which
 * is also the history of permissions and drops cached roles) and, for
 * someone who had no access, a fresh RSVP. The one path for personal grants
 * (sharing, accepted invitations). `keepStronger`: a user who already holds
 * an equal or stronger role keeps it. The caller has checked the event.
 */
export async function grantPersonalRole(
  trx: Kysely<Database>,
  grant: { eventId: number; userId: number; role: Exclude<Role, 'OWNER'>; actorId: number; grantedBy?: number; keepStronger?: boolean },
): Promise<'granted' | 'updated' | 'unchanged'> {
  const existing = await trx
    .selectFrom('event_permissions')
    .select('role')
    .where('event_id', '=', grant.eventId)
    .where('user_id', '=', grant.userId)
    .executeTakeFirst();
  if (existing && (existing.role === grant.role || (grant.keepStronger && STRENGTH[existing.role] >= STRENGTH[grant.role]))) {
    return 'unchanged';
  }
  const grantedBy = grant.grantedBy ?? grant.actorId;
  if (existing) {
    await trx
      .updateTable('event_permissions')
      .set({ role: grant.role, granted_by: grantedBy })
      .where('event_id', '=', grant.eventId)
      .where('user_id', '=', grant.userId)
      .execute();
  } else {
    // An answer given before access was lost does not come back with a new grant.
    if ((await roleOf(trx, grant.eventId, grant.userId)) === null) await forgetRsvp(trx, grant.eventId, grant.userId);
    await trx
      .insertInto('event_permissions')
      .values({ event_id: grant.eventId, user_id: grant.userId, role: grant.role, granted_by: grantedBy })
      .execute();
  }
  await recordPermissionChange(trx, {
    eventId: grant.eventId,
    type: existing ? 'permission.updated' : 'permission.granted',
    actorId: grant.actorId,
    userId: grant.userId,
    role: grant.role,
  });
  return existing ? 'updated' : 'granted';
}

export async function shareEvent(deps: ServiceDeps, actor: Actor, input: TShareInput) {
  const grants = grantsOf(input);
  return inTransaction(deps, async (trx) => {
    const { event } = await loadEventFor(trx, input.id, actor.id, 'share', { forUpdate: true });
    for (const grant of grants) {
      const user = await resolveUser(trx, grant);
      if (user.id === actor.id || user.id === event.owner_id) {
        throw validation('users', 'cannot include the owner', 'users: you cannot share an event with its owner');
      }
      await grantPersonalRole(trx, { eventId: event.id, userId: user.id, role: grant.role, actorId: actor.id });
    }
    await audit(trx, deps.meta, { userId: actor.id, action: 'share', targetType: 'event', targetId: event.id });
    const permissions = (await permissionsOf(trx, event.id)).map(({ user_id, username, role }) => ({ user_id, username, role }));
    return { message: 'Event shared successfully', permissions };
  });
}

export async function listParticipants(db: Kysely<Database>, actor: Actor, eventId: number) {
  await checkAccess(db, eventId, actor.id, 'read');
  return { participants: await permissionsOf(db, eventId) };
}

async function targetPermission(trx: Kysely<Database>, eventId: number, userId: number): Promise<Role> {
  const row = await trx
    .selectFrom('event_permissions')
    .select('role')
    .where('event_id', '=', eventId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND', 'That user has no permission on this event');
  if (row.role === 'OWNER') {
    throw validation('user_id', 'is the owner', 'The owner’s role cannot be changed or removed');
  }
  return row.role;
}

export async function updatePermission(deps: ServiceDeps, actor: Actor, input: { id: number; user_id: number; role: 'EDITOR' | 'VIEWER' }) {
  return inTransaction(deps, async (trx) => {
    await loadEventFor(trx, input.id, actor.id, 'manage_permissions', { forUpdate: true });
    const current = await targetPermission(trx, input.id, input.user_id);
    if (current !== input.role) {
      await trx
        .updateTable('event_permissions')
        .set({ role: input.role, granted_by: actor.id })
        .where('event_id', '=', input.id)
        .where('user_id', '=', input.user_id)
        .execute();
      await recordPermissionChange(trx, {
        eventId: input.id,
        type: 'permission.updated',
        actorId: actor.id,
        userId: input.user_id,
        role: input.role,
      });
    }
    await audit(trx, deps.meta, { userId: actor.id, action: 'permission.update', targetType: 'event', targetId: input.id });
    return { message: 'User permission updated', user_id: input.user_id, role: input.role };
  });
}

/** The owner removes anyone but themselves; anyone else may remove only themselves (leave). */
export async function removePermission(deps: ServiceDeps, actor: Actor, input: { id: number; user_id: number }) {
  return inTransaction(deps, async (trx) => {
    const leaving = input.user_id === actor.id;
    await loadEventFor(trx, input.id, actor.id, leaving ? 'read' : 'manage_permissions', { forUpdate: true });
    await targetPermission(trx, input.id, input.user_id);
    await trx.deleteFrom('event_permissions').where('event_id', '=', input.id).where('user_id', '=', input.user_id).execute();
    await recordPermissionChange(trx, {
      eventId: input.id,
      type: 'permission.revoked',
      actorId: actor.id,
      userId: input.user_id,
      role: null,
    });
    await audit(trx, deps.meta, { userId: actor.id, action: 'permission.remove', targetType: 'event', targetId: input.id });
    return { message: 'User removed from the event.' };
  });
}
