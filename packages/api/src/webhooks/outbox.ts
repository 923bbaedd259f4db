import type { ChangeRow, Database, WebhookRow } from '@scheduler/db';
import { sql, type Insertable, type Kysely } from 'kysely';
import type { WebhookDeliveriesTable } from '@scheduler/db';
import { prepareChanges, readFeed } from '../live/messages.ts';
import { recordNotice } from '../services/changes.ts';

/** Feed rows turned into deliveries per transaction. */
export const ENQUEUE_BATCH = 500;
/** Attempts of one message before it is marked failed (the contract's eight). */
export const MAX_ATTEMPTS = 8;

/** The `webhook-id` of the message a feed row becomes: the same for every attempt. */
const messageIdOf = (changeId: number) => `msg_${changeId}`;

/** Whether a hook wants a feed row (its type and event filters; its tags are stored, not applied yet). */
function wants(hook: WebhookRow, change: ChangeRow): boolean {
  if (hook.created_at > change.at) return false; // a hook hears what happens after it was made
  if (hook.types && !hook.types.includes(change.type)) return false;
  if (hook.event_id !== null && hook.event_id !== change.event_id) return false;
  return true;
}

/**
 * Turns the feed rows after the cursor into deliveries, one per message and
 * matching active hook of a recipient, and moves the cursor, in one
 * transaction. The cursor row is locked, so instances take turns; the unique
 * (webhook, change) pair keeps a message from being queued twice anyway.
 * Recipients are decided as the live feed decides them (`prepareChanges`):
 * whoever may read the event now; an addressed row reaches its recipient.
 * Returns how many feed rows were read.
 */
export async function enqueueFromFeed(db: Kysely<Database>): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const cursor = await trx
      .selectFrom('webhook_feed_cursor')
      .select('last_change_id')
      .where('id', '=', 1)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const rows = await readFeed(trx, Number(cursor.last_change_id), ENQUEUE_BATCH);
    if (rows.length === 0) return 0;
    const hooks = await trx.selectFrom('webhooks').selectAll().where('active', '=', true).execute();
    if (hooks.length > 0) {
      const hooksOf = new Map<number, WebhookRow[]>();
      for (const hook of hooks) hooksOf.set(hook.user_id, [...(hooksOf.get(hook.user_id) ?? []), hook]);
      const wanted = rows.filter((row) => hooks.some((hook) => wants(hook, row)));
      const rowById = new Map(rows.map((row) => [row.id, row]));
      // A hook with tags hears about events carrying one of them now (as a tag-scoped token sees them).
      const taggedEventIds = [...new Set(wanted.map((row) => row.event_id).filter((id): id is number => id !== null))];
      const tagsOf = new Map<number, string[]>();
      if (hooks.some((hook) => hook.tags?.length) && taggedEventIds.length > 0) {
        for (const e of await trx.selectFrom('events').select(['id', 'tags']).where('id', 'in', taggedEventIds).execute())
          tagsOf.set(e.id, e.tags);
      }
      const values: Insertable<WebhookDeliveriesTable>[] = [];
      for (const prepared of await prepareChanges(trx, wanted)) {
        const change = rowById.get(prepared.id)!;
        for (const [userId, role] of prepared.recipients) {
          for (const hook of hooksOf.get(userId) ?? []) {
            if (!wants(hook, change)) continue;
            if (hook.tags?.length) {
              const tags = change.event_id === null ? undefined : tagsOf.get(change.event_id);
              if (!tags?.some((tag) => hook.tags!.includes(tag))) continue;
            }
            // Checked again when sending: the owner must still be allowed to hear about the event.
            // Not for a message addressed to them, nor for the notice that they lost access.
            const guarded = change.recipient_id === null && !(change.type === 'permission.revoked' && change.subject_user_id === userId);
            values.push({
              webhook_id: hook.id,
              change_id: change.id,
              message_id: messageIdOf(change.id),
              type: change.type,
              payload: JSON.stringify(prepared.message(role)),
              event_id: guarded ? change.event_id : null,
            });
          }
        }
      }
      for (let i = 0; i < values.length; i += 500) {
        await trx
          .insertInto('webhook_deliveries')
          .values(values.slice(i, i + 500))
          .onConflict((oc) => oc.columns(['webhook_id', 'change_id']).doNothing())
          .execute();
      }
    }
    await trx
      .updateTable('webhook_feed_cursor')
      .set({ last_change_id: rows[rows.length - 1]!.id })
      .where('id', '=', 1)
      .execute();
    return rows.length;
  });
}

/** A delivery claimed for sending, with what sending needs from its hook. */
export interface ClaimedDelivery {
  id: number;
  webhookId: number;
  userId: number;
  url: string;
  secret: string;
  messageId: string;
  type: string;
  payload: Record<string, unknown>;
  eventId: number | null;
  attempt: number;
}

/**
 * Claims due deliveries: locks them (skipping those another instance is
 * claiming), counts the attempt and sets a lease, and commits before anything
 * is sent. A sender that dies leaves the lease to expire; the next claim
 * after that sends again with the same message id.
 */
export async function claimDue(db: Kysely<Database>, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  if (limit <= 0) return [];
  return db.transaction().execute(async (trx) => {
    const due = await trx
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
      .select('d.id')
      .where('d.status', '=', 'pending')
      .where('d.next_attempt_at', '<=', sql<Date>`now()`)
      .where((eb) => eb.or([eb('d.lease_until', 'is', null), eb('d.lease_until', '<', sql<Date>`now()`)]))
      // A switched-off hook sends nothing but the pings its owner asks for.
      .where((eb) => eb.or([eb('w.active', '=', true), eb('d.change_id', 'is', null)]))
      .orderBy('d.next_attempt_at')
      .orderBy('d.id')
      .limit(limit)
      .forUpdate('d')
      .skipLocked()
      .execute();
    if (due.length === 0) return [];
    const claimed = await trx
      .updateTable('webhook_deliveries')
      .set((eb) => ({
        attempt: eb('attempt', '+', 1),
        lease_until: sql<Date>`now() + make_interval(secs => ${leaseMs / 1000})`,
      }))
      .where(
        'id',
        'in',
        due.map((d) => d.id),
      )
      .returning(['id', 'webhook_id', 'message_id', 'type', 'payload', 'event_id', 'attempt'])
      .execute();
    const hooks = await trx
      .selectFrom('webhooks')
      .select(['id', 'user_id', 'url', 'secret'])
      .where('id', 'in', [...new Set(claimed.map((d) => d.webhook_id))])
      .execute();
    const hookById = new Map(hooks.map((h) => [h.id, h]));
    return claimed.map((d) => {
      const hook = hookById.get(d.webhook_id)!;
      return {
        id: d.id,
        webhookId: d.webhook_id,
        userId: hook.user_id,
        url: hook.url,
        secret: hook.secret,
        messageId: d.message_id,
        type: d.type,
        payload: d.payload,
        eventId: d.event_id,
        attempt: d.attempt,
      };
    });
  });
}

export type Outcome =
  | { kind: 'delivered'; statusCode: number }
  | { kind: 'failed'; statusCode: number | null; error: string; retryAfterSeconds?: number | undefined }
  /** Not sent: the hook's owner may no longer hear about the event. */
  | { kind: 'dropped'; error: string };

export interface RetryPolicy {
  retryMs: number;
  disableAfterSeconds: number;
  /** Longest wait a receiver's Retry-After may impose (ms). */
  maxRetryAfterMs: number;
}

/** The wait before attempt `attempt + 1`: WEBHOOK_RETRY_MS doubling, ±20 % jitter, or the receiver's Retry-After (capped). */
export function retryDelayMs(attempt: number, policy: RetryPolicy, retryAfterSeconds?: number): number {
  if (retryAfterSeconds !== undefined) return Math.min(retryAfterSeconds * 1000, policy.maxRetryAfterMs);
  const base = policy.retryMs * 2 ** (attempt - 1);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/**
 * Records an attempt and what follows from it, in one transaction: delivered,
 * retried later, failed for good, or dropped. A hook that has failed without
 * a success for longer than the policy allows is switched off and its owner
 * is told in their feed. Returns true when the feed was written.
 */
export async function recordOutcome(
  db: Kysely<Database>,
  delivery: ClaimedDelivery,
  outcome: Outcome,
  policy: RetryPolicy,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    // The hook's row before the delivery's: an outcome that switches the hook off fails its other
    // pending deliveries, so outcomes of one hook that locked their deliveries first deadlocked.
    await trx.selectFrom('webhooks').select('id').where('id', '=', delivery.webhookId).forUpdate().execute();
    // The hook (and its deliveries) may have been deleted while the request was in flight.
    const exists = await trx.selectFrom('webhook_deliveries').select('id').where('id', '=', delivery.id).forUpdate().executeTakeFirst();
    if (!exists) return false;
    await trx
      .insertInto('webhook_attempts')
      .values({
        delivery_id: delivery.id,
        attempt: delivery.attempt,
        status_code: outcome.kind === 'dropped' ? null : outcome.statusCode,
        ok: outcome.kind === 'delivered',
        error: outcome.kind === 'delivered' ? null : outcome.error,
      })
      .execute();
    // Only while the delivery is still this claim's (a lease that ran out may have been claimed again).
    const mine = trx
      .updateTable('webhook_deliveries')
      .where('id', '=', delivery.id)
      .where('attempt', '=', delivery.attempt)
      .where('status', '=', 'pending');
    if (outcome.kind === 'delivered') {
      await mine.set({ status: 'delivered', lease_until: null }).execute();
      await trx.updateTable('webhooks').set({ failing_since: null }).where('id', '=', delivery.webhookId).execute();
      return false;
    }
    if (outcome.kind === 'dropped') {
      await mine.set({ status: 'dropped', lease_until: null }).execute();
      return false;
    }
    const delayMs = retryDelayMs(delivery.attempt, policy, outcome.retryAfterSeconds);
    await mine
      .set(
        delivery.attempt >= MAX_ATTEMPTS
          ? { status: 'failed', lease_until: null }
          : { lease_until: null, next_attempt_at: sql<Date>`now() + make_interval(secs => ${delayMs / 1000})` },
      )
      .execute();
    const hook = await trx
      .updateTable('webhooks')
      .set({ failing_since: sql<Date>`coalesce(failing_since, now())` })
      .where('id', '=', delivery.webhookId)
      .returning([
        'id',
        'user_id',
        'url',
        'active',
        sql<boolean>`failing_since < now() - make_interval(secs => ${policy.disableAfterSeconds})`.as('expired'),
      ])
      .executeTakeFirst();
    if (!hook?.active || !hook.expired) return false;
    const reason = `Every delivery failed for ${describeSeconds(policy.disableAfterSeconds)}; the last error: ${outcome.error}`;
    await trx.updateTable('webhooks').set({ active: false, disabled_reason: reason }).where('id', '=', hook.id).execute();
    await trx
      .updateTable('webhook_deliveries')
      .set({ status: 'failed', lease_until: null })
      .where('webhook_id', '=', hook.id)
      .where('status', '=', 'pending')
      .execute();
    await recordNotice(trx, {
      eventId: null,
      actorId: null,
      recipientId: hook.user_id,
      type: 'webhook.disabled',
      payload: { webhook: { id: hook.id, url: hook.url }, reason },
    });
    return true;
  });
}

function describeSeconds(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400} day${seconds === 86400 ? '' : 's'}`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}`;
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}

/** When the earliest pending delivery falls due (null: none waits), read from the database's clock. */
export async function nextDueInMs(db: Kysely<Database>): Promise<number | null> {
  const row = await db
    .selectFrom('webhook_deliveries')
    .select(
      sql<number | null>`extract(epoch from (min(greatest(next_attempt_at, coalesce(lease_until, next_attempt_at))) - now())) * 1000`.as(
        'ms',
      ),
    )
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return row?.ms === null || row?.ms === undefined ? null : Math.max(0, Number(row.ms));
}
