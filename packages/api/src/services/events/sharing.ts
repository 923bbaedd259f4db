import type { Database, Role } from '@scheduler/db';
import type { TShareInput } from '@scheduler/shared';
import type { Kysely } from 'kysely';
import { AppError, validation } from '../../errors.ts';
import { audit } from '../audit.ts';
import { recordPermissionChange } from '../changes.ts';
import type { Actor, ServiceDeps } from '../types.ts';
import { inTransaction } from '../write.ts';
import { checkAccess, loadEventFor } from './access.ts';
import { permissionsOf } from './event-service.ts';

type Grant = { user_id?: number | undefined; username?: string | undefined; role: 'EDITOR' | 'VIEWER' };

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

async function resolveUser(db: Kysely<Database>, grant: Grant): Promise<{ id: number; username: string }> {
  let query = db.selectFrom('users').select(['id', 'username']);
  query = grant.user_id !== undefined ? query.where('id', '=', grant.user_id) : query.where('username', '=', grant.username!);
  const user = await query.executeTakeFirst();
  if (!user) throw new AppError('NOT_FOUND', `User ${grant.user_id ?? grant.username} not found`);
  return user;
}

export async function shareEvent(deps: ServiceDeps, actor: Actor, input: TShareInput) {
  const grants = grantsOf(input);
  return inTransaction(deps, async (trx) => {
    const { event } = await loadEventFor(trx, input.id, actor, 'share', { forUpdate: true });
    for (const grant of grants) {
      const user = await resolveUser(trx, grant);
      if (user.id === actor.id || user.id === event.owner_id) {
        throw validation('users', 'cannot include the owner', 'users: you cannot share an event with its owner');
      }
      const existing = await trx
        .selectFrom('event_permissions')
        .select('role')
        .where('event_id', '=', event.id)
        .where('user_id', '=', user.id)
        .executeTakeFirst();
      if (existing?.role === grant.role) continue;
      if (existing) {
        await trx
          .updateTable('event_permissions')
          .set({ role: grant.role, granted_by: actor.id })
          .where('event_id', '=', event.id)
          .where('user_id', '=', user.id)
          .execute();
      } else {
        await trx
          .insertInto('event_permissions')
          .values({ event_id: event.id, user_id: user.id, role: grant.role, granted_by: actor.id })
          .execute();
      }
      await recordPermissionChange(trx, {
        eventId: event.id,
        type: existing ? 'permission.updated' : 'permission.granted',
        actorId: actor.id,
        userId: user.id,
        role: grant.role,
      });
    }
    await audit(trx, deps.meta, { userId: actor.id, action: 'share', targetType: 'event', targetId: event.id });
    const permissions = (await permissionsOf(trx, event.id)).map(({ granted_at: _, ...p }) => p);
    return { message: 'Event shared successfully', permissions };
  });
}

export async function listParticipants(db: Kysely<Database>, actor: Actor, eventId: number) {
  await checkAccess(db, eventId, actor, 'read');
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
    await loadEventFor(trx, input.id, actor, 'manage_permissions', { forUpdate: true });
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
    await loadEventFor(trx, input.id, actor, leaving ? 'read' : 'manage_permissions', { forUpdate: true });
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
