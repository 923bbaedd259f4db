import { randomBytes } from 'node:crypto';
import type { Database, WebhookRow } from '@scheduler/db';
import { formatDateTime, MAX_WEBHOOKS_PER_USER, type TCreateWebhookInput, type TWebhook } from '@scheduler/shared';
import type { Kysely } from 'kysely';
import { AppError, validation } from '../errors.ts';
import { resolvesToPrivate } from '../webhooks/address-policy.ts';
import { newSecret } from '../webhooks/send.ts';
import { audit } from './audit.ts';
import { checkAccess } from './events/access.ts';
import type { Actor, ServiceDeps } from './types.ts';
import { inTransaction } from './write.ts';

/** How many entries of the delivery log one request returns. */
const LOG_LIMIT = 100;

const notFound = () => new AppError('NOT_FOUND', 'Webhook not found');

function toWebhook(row: WebhookRow): TWebhook {
  return {
    id: row.id,
    url: row.url,
    types: row.types,
    event_id: row.event_id,
    tags: row.tags,
    active: row.active,
    created_at: formatDateTime(row.created_at),
    disabled_reason: row.disabled_reason,
  };
}

/**
 * Creates a hook. Its URL must not lead to a private address unless those
 * are allowed (checked here by resolving the name, and again by every
 * delivery when it connects); an `event_id` must be an event the caller can read.
 */
export async function createWebhook(deps: ServiceDeps & { allowPrivate: boolean }, actor: Actor, input: TCreateWebhookInput) {
  const url = new URL(input.url);
  if (!deps.allowPrivate) {
    const address = await resolvesToPrivate(url.hostname);
    if (address !== undefined) {
      throw validation(
        'url',
        `leads to ${address}, a loopback, private or link-local address`,
        `url: ${url.hostname} leads to ${address}, a loopback, private or link-local address; webhooks go to public addresses only`,
      );
    }
  }
  if (input.event_id !== undefined && input.event_id !== null) await checkAccess(deps.db, input.event_id, actor, 'read');
  return inTransaction(deps, async (trx) => {
    // One creation at a time per user, so the limit holds.
    await trx.selectFrom('users').select('id').where('id', '=', actor.id).forUpdate().execute();
    const { count } = await trx
      .selectFrom('webhooks')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('user_id', '=', actor.id)
      .executeTakeFirstOrThrow();
    if (Number(count) >= MAX_WEBHOOKS_PER_USER) {
      throw new AppError('CONFLICT', `You already have ${MAX_WEBHOOKS_PER_USER} webhooks, the most allowed; delete one first`);
    }
    const row = await trx
      .insertInto('webhooks')
      .values({
        user_id: actor.id,
        url: url.toString(),
        secret: newSecret(),
        types: input.types ? [...new Set(input.types)] : null,
        event_id: input.event_id ?? null,
        tags: input.tags ? [...new Set(input.tags)] : null,
        failing_since: null,
        disabled_reason: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, deps.meta, { userId: actor.id, action: 'webhook.create', targetType: 'webhook', targetId: row.id });
    return { ...toWebhook(row), secret: row.secret };
  });
}

async function ownHook(db: Kysely<Database>, actor: Actor, id: number): Promise<WebhookRow> {
  const row = await db.selectFrom('webhooks').selectAll().where('id', '=', id).where('user_id', '=', actor.id).executeTakeFirst();
  if (!row) throw notFound();
  return row;
}

export async function listWebhooks(db: Kysely<Database>, actor: Actor): Promise<TWebhook[]> {
  const rows = await db.selectFrom('webhooks').selectAll().where('user_id', '=', actor.id).orderBy('id').execute();
  return rows.map(toWebhook);
}

export async function getWebhook(db: Kysely<Database>, actor: Actor, id: number): Promise<TWebhook> {
  return toWebhook(await ownHook(db, actor, id));
}

/** Deletes a hook with its queue and log; a delivery in flight finishes but records nothing. */
export async function deleteWebhook(deps: ServiceDeps, actor: Actor, id: number) {
  return inTransaction(deps, async (trx) => {
    const deleted = await trx.deleteFrom('webhooks').where('id', '=', id).where('user_id', '=', actor.id).executeTakeFirst();
    if (Number(deleted.numDeletedRows) === 0) throw notFound();
    await audit(trx, deps.meta, { userId: actor.id, action: 'webhook.delete', targetType: 'webhook', targetId: id });
    return { message: 'Webhook deleted' };
  });
}

/** The delivery log: every attempt, newest first. */
export async function listDeliveries(db: Kysely<Database>, actor: Actor, id: number) {
  await ownHook(db, actor, id);
  const rows = await db
    .selectFrom('webhook_attempts as a')
    .innerJoin('webhook_deliveries as d', 'd.id', 'a.delivery_id')
    .select(['a.id', 'd.message_id', 'd.type', 'a.attempt', 'a.status_code', 'a.ok', 'a.error', 'a.at'])
    .where('d.webhook_id', '=', id)
    .orderBy('a.id', 'desc')
    .limit(LOG_LIMIT)
    .execute();
  return rows.map((r) => ({ ...r, at: formatDateTime(r.at) }));
}

/** Queues a `{"type":"ping"}` message for the hook (sent even when the hook was switched off). */
export async function pingWebhook(deps: ServiceDeps, actor: Actor, id: number) {
  return inTransaction(deps, async (trx) => {
    await ownHook(trx, actor, id);
    const messageId = `msg_ping_${randomBytes(12).toString('base64url')}`;
    await trx
      .insertInto('webhook_deliveries')
      .values({
        webhook_id: id,
        change_id: null,
        message_id: messageId,
        type: 'ping',
        payload: JSON.stringify({ type: 'ping' }),
        event_id: null,
      })
      .execute();
    return { message: 'Ping queued', message_id: messageId };
  });
}
