import { randomBytes } from 'node:crypto';
import type { ApiTokenRow } from '@scheduler/db';
import {
  formatDateTime,
  MAX_API_TOKENS_PER_USER,
  type TApiToken,
  type TCreateApiTokenInput,
  type TCreatedApiToken,
} from '@scheduler/shared';
import type { Database } from '@scheduler/db';
import type { Kysely } from 'kysely';
import { AppError, validation } from '../../errors.ts';
import { audit } from '../audit.ts';
import type { Actor, ServiceDeps } from '../types.ts';
import { inTransaction } from '../write.ts';
import { API_TOKEN_PREFIX, hashApiToken, type ApiTokenStore } from './api-token-store.ts';

/** A request made with an API token carries its scope: such a request may not manage tokens. */
function refuseTokenCaller(actor: Actor): void {
  if (actor.scope) throw new AppError('FORBIDDEN', 'API tokens cannot manage API tokens; sign in with your password to do this');
}

const tokenNotFound = () => new AppError('NOT_FOUND', 'API token not found');

function toApiToken(row: ApiTokenRow, unwrittenUse?: Date): TApiToken {
  const lastUsed = unwrittenUse && (!row.last_used_at || unwrittenUse > row.last_used_at) ? unwrittenUse : row.last_used_at;
  return {
    id: row.id,
    name: row.name,
    access: row.access,
    tags: row.tags,
    event_ids: row.event_ids,
    expires_at: row.expires_at ? formatDateTime(row.expires_at) : null,
    created_at: formatDateTime(row.created_at),
    last_used_at: lastUsed ? formatDateTime(lastUsed) : null,
  };
}

/** Creates a token for the caller; the token itself is in this answer only (only its hash is stored). */
export async function createApiToken(deps: ServiceDeps, actor: Actor, input: TCreateApiTokenInput): Promise<TCreatedApiToken> {
  refuseTokenCaller(actor);
  if (input.expires_at && input.expires_at.getTime() <= Date.now()) throw validation('expires_at', 'must be in the future');
  const token = API_TOKEN_PREFIX + randomBytes(32).toString('base64url');
  return inTransaction(deps, async (trx) => {
    // One creation at a time per user, so the limit holds under concurrent requests.
    await trx.selectFrom('users').select('id').where('id', '=', actor.id).forUpdate().executeTakeFirstOrThrow();
    const { count } = await trx
      .selectFrom('api_tokens')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('user_id', '=', actor.id)
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', new Date())]))
      .executeTakeFirstOrThrow();
    if (Number(count) >= MAX_API_TOKENS_PER_USER) {
      throw new AppError('CONFLICT', `You have ${MAX_API_TOKENS_PER_USER} active API tokens, the most allowed; revoke one first`);
    }
    const row = await trx
      .insertInto('api_tokens')
      .values({
        user_id: actor.id,
        name: input.name,
        token_hash: hashApiToken(token),
        access: input.access,
        tags: input.tags ? [...new Set(input.tags)] : null,
        event_ids: input.event_ids ? [...new Set(input.event_ids)] : null,
        expires_at: input.expires_at ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, deps.meta, { userId: actor.id, action: 'token.create', targetType: 'api_token', targetId: row.id });
    return { ...toApiToken(row), token };
  });
}

/** The caller's tokens that are not revoked (expired ones included), newest first, without the tokens themselves. */
export async function listApiTokens(db: Kysely<Database>, store: ApiTokenStore, actor: Actor): Promise<TApiToken[]> {
  refuseTokenCaller(actor);
  const rows = await db
    .selectFrom('api_tokens')
    .selectAll()
    .where('user_id', '=', actor.id)
    .where('revoked_at', 'is', null)
    .orderBy('id', 'desc')
    .execute();
  return rows.map((row) => toApiToken(row, store.unwrittenUse(row.id)));
}

/** Revokes one of the caller's tokens: refused from then on, on every instance (others' tokens: 404). */
export async function revokeApiToken(deps: ServiceDeps, store: ApiTokenStore, actor: Actor, id: number): Promise<{ message: string }> {
  refuseTokenCaller(actor);
  await inTransaction(deps, async (trx) => {
    const row = await trx
      .updateTable('api_tokens')
      .set({ revoked_at: new Date() })
      .where('id', '=', id)
      .where('user_id', '=', actor.id)
      .where('revoked_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (!row) throw tokenNotFound();
    await audit(trx, deps.meta, { userId: actor.id, action: 'token.revoke', targetType: 'api_token', targetId: id });
  });
  store.revoked(id);
  return { message: 'Token revoked' };
}
