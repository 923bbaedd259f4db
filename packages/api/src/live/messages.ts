import type { ChangeRow, Database, Role } from '@scheduler/db';
import { formatDateTime, type TLiveMessage } from '@scheduler/shared';
import type { Kysely } from 'kysely';
import { compiledOnce } from '../services/compiled.ts';
import { cachedReadersOf } from '../services/events/access.ts';
import { toEvent } from '../services/events/serialize.ts';
import { versionAsEvent } from '../services/events/as-of.ts';

/** A change ready to send: the message without the per-recipient parts, and who may receive it now. */
export interface PreparedChange {
  id: number;
  eventId: number | null;
  /** The event as API token scopes see it now (see `scopeAdmits`). */
  event: { id: number | null; tags: string[] };
  /** Everyone allowed to read the event at this moment, with their role; plus a revoked subject (null). Shared: read only. */
  recipients: ReadonlyMap<number, Role | null>;
  message(role: Role | null): TLiveMessage;
}

const NO_ONE: ReadonlyMap<number, Role | null> = new Map();

/**
 * Turns feed rows into messages with three queries for the whole set: the
 * current permission holders of the events, the versions the changes refer
 * to, and the actors' names. Visibility is decided here, when sending.
 */
export async function prepareChanges(db: Kysely<Database>, changes: ChangeRow[]): Promise<PreparedChange[]> {
  if (changes.length === 0) return [];
  const eventIds = [...new Set(changes.map((c) => c.event_id).filter((id): id is number => id !== null))];
  const versionIds = changes.map((c) => c.version_id).filter((id): id is number => id !== null);
  // Actors and the users whose access a permission change is about, named in one query.
  const actorIds = [...new Set(changes.flatMap((c) => [c.actor_id, c.subject_user_id]).filter((id): id is number => id !== null))];

  const [holdersByEvent, versions, actors, created] = await Promise.all([
    cachedReadersOf(db, eventIds),
    versionIds.length ? db.selectFrom('event_versions').selectAll().where('version_id', 'in', versionIds).execute() : Promise.resolve([]),
    actorIds.length ? db.selectFrom('users').select(['id', 'username']).where('id', 'in', actorIds).execute() : Promise.resolve([]),
    eventIds.length
      ? db.selectFrom('events').select(['id', 'created_at', 'tags']).where('id', 'in', eventIds).execute()
      : Promise.resolve([]),
  ]);
  const versionById = new Map(versions.map((v) => [v.version_id, v]));
  const actorById = new Map(actors.map((a) => [a.id, a]));
  const createdById = new Map(created.map((e) => [e.id, e.created_at]));
  const tagsById = new Map(created.map((e) => [e.id, e.tags]));

  return changes.map((change) => {
    // An addressed message reaches its recipient only; otherwise everyone who may read the event now
    // (the readers' map itself, shared by every change of the event, unless a revoked subject joins them).
    let recipients: ReadonlyMap<number, Role | null> =
      change.recipient_id !== null
        ? new Map([[change.recipient_id, null]])
        : (change.event_id !== null && holdersByEvent.get(change.event_id)) || NO_ONE;
    if (change.type === 'permission.revoked' && change.subject_user_id !== null && !recipients.has(change.subject_user_id)) {
      recipients = new Map([...recipients, [change.subject_user_id, null]]);
    }
    const version = change.version_id === null ? undefined : versionById.get(change.version_id);
    const row =
      version && change.type !== 'event.deleted'
        ? versionAsEvent(version, (change.event_id !== null && createdById.get(change.event_id)) || version.history_date)
        : undefined;
    const actor = change.actor_id === null ? null : (actorById.get(change.actor_id) ?? null);
    const base = {
      type: change.type,
      event_id: change.event_id,
      version_id: change.version_id,
      actor: actor ? { id: actor.id, username: actor.username } : null,
      at: formatDateTime(change.at),
    };
    // permission.*: whose access changed and their role after it; each recipient also gets its own role.
    const subject = change.subject_user_id === null ? undefined : actorById.get(change.subject_user_id);
    const permission = change.type.startsWith('permission.')
      ? { user: subject ? { id: subject.id, username: subject.username } : null, role: change.role }
      : undefined;
    return {
      id: change.id,
      eventId: change.event_id,
      event: { id: change.event_id, tags: (change.event_id !== null && tagsById.get(change.event_id)) || [] },
      recipients,
      message: (myRole) => ({
        ...base,
        ...change.payload,
        ...(row && myRole ? { event: toEvent(row, myRole) } : {}),
        ...(permission ? { ...permission, my_role: myRole } : {}),
      }),
    };
  });
}

/** Numbered feed rows after `afterId`, in order (provisional ids, below zero, are not yet part of the feed). */
export async function readFeed(db: Kysely<Database>, afterId: number, limit: number): Promise<ChangeRow[]> {
  return db.selectFrom('changes').selectAll().where('id', '>', Math.max(afterId, 0)).orderBy('id').limit(limit).execute();
}

/** The newest numbered feed id (0 for an empty feed): where a fresh subscription or sync starts. */
export async function feedHead(db: Kysely<Database>): Promise<number> {
  const { rows } = await db.executeQuery(feedHeadQuery(db));
  return Number(rows[0]?.max ?? 0);
}

/** Every subscription and cursor asks for the head: built and compiled once. */
const feedHeadQuery = compiledOnce(0, (db: Kysely<Database>) =>
  db
    .selectFrom('changes')
    .select((eb) => eb.fn.max('id').as('max'))
    .where('id', '>', 0),
);
