import type { Database, EventVersionRow } from '@scheduler/db';
import { formatDateTime, type TUserRef } from '@scheduler/shared';
import { sql, type AliasedRawBuilder, type Kysely } from 'kysely';
import { AppError } from '../../errors.ts';
import { audit } from '../audit.ts';
import { checkAccess, loadEventFor } from '../events/access.ts';
import { contentOf, sameContent, type EventContent } from '../events/content.ts';
import { checkVersion, writeEventContent } from '../events/event-service.ts';
import { toEvent } from '../events/serialize.ts';
import type { Actor, ServiceDeps } from '../types.ts';
import { inTransaction } from '../write.ts';
import { changedFields, detailedDiff, diffSnapshots } from './diff.ts';

const DEFAULT_PAGE = 100;

type VersionWithActor = EventVersionRow & { changed_by_username: string | null };

/** Versions (the table, or a page of it) with their authors' names. */
function withAuthors(db: Kysely<Database>, versions: AliasedRawBuilder<EventVersionRow, 'v'>) {
  return db.selectFrom(versions).leftJoin('users as u', 'u.id', 'v.changed_by').selectAll('v').select('u.username as changed_by_username');
}

function versionsOf(db: Kysely<Database>, eventId: number) {
  return withAuthors(db, sql<EventVersionRow>`event_versions`.as('v')).where('v.event_id', '=', eventId);
}

const actorOf = (v: VersionWithActor): TUserRef | null =>
  v.changed_by === null ? null : { id: v.changed_by, username: v.changed_by_username ?? '' };

/** The compared content of a version: what diff and changelog look at. */
function snapshotContent(v: EventVersionRow): Record<string, unknown> {
  return {
    title: v.title,
    description: v.description,
    start_time: v.start_time,
    end_time: v.end_time,
    location: v.location,
    timezone: v.timezone,
    is_recurring: v.is_recurring,
    recurrence_pattern: v.recurrence_pattern ?? null,
    tags: v.tags,
    metadata: v.metadata,
    reminders: v.reminders,
  };
}

function entry(v: VersionWithActor) {
  return {
    version_id: v.version_id,
    version: v.version,
    event_id: v.event_id,
    history_type: v.history_type,
    history_date: formatDateTime(v.history_date),
    changed_by: actorOf(v),
    change_reason: v.change_reason,
  };
}

type PageInput = { id: number; limit?: number | undefined; cursor?: number | undefined };

/** Newest first, one indexed page at a time. */
export async function listHistory(db: Kysely<Database>, actor: Actor, input: PageInput) {
  return (await versionPage(db, actor, input, 'desc')).map(entry);
}

/**
 * One page of an event's versions after the cursor, in either direction, for
 * a reader of its history: `event_versions_page` walks the event's index in
 * version order and stops after the page, however many versions the event has.
 */
async function versionPage(db: Kysely<Database>, actor: Actor, input: PageInput, order: 'asc' | 'desc') {
  await checkAccess(db, input.id, actor, 'read_history');
  const page = sql<EventVersionRow>`event_versions_page(${input.id}, ${input.cursor || null}, ${input.limit ?? DEFAULT_PAGE}, ${order === 'desc'})`;
  return withAuthors(db, page.as('v')).orderBy('v.version_id', order).execute();
}

async function loadVersion(db: Kysely<Database>, eventId: number, versionId: number): Promise<VersionWithActor> {
  const version = await versionsOf(db, eventId).where('v.version_id', '=', versionId).executeTakeFirst();
  if (!version) {
    throw new AppError(
      'NOT_FOUND',
      `version_id ${versionId} of event ${eventId} not found; the event's version_ids are listed by GET /api/events/${eventId}/history`,
    );
  }
  return version;
}

export async function getVersion(db: Kysely<Database>, actor: Actor, input: { id: number; version_id: number }) {
  await checkAccess(db, input.id, actor, 'read_history');
  const v = await loadVersion(db, input.id, input.version_id);
  return {
    ...entry(v),
    id: v.event_id,
    title: v.title,
    description: v.description,
    start_time: formatDateTime(v.start_time),
    end_time: formatDateTime(v.end_time),
    location: v.location,
    timezone: v.timezone,
    is_recurring: v.is_recurring,
    recurrence_pattern: v.recurrence_pattern ?? null,
    tags: v.tags,
    metadata: v.metadata,
    rrule: v.rrule,
    reminders: v.reminders,
    owner_id: v.owner_id,
  };
}

/** Oldest first; each entry lists what changed from the version before it. */
export async function changelog(db: Kysely<Database>, actor: Actor, input: PageInput) {
  const versions = await versionPage(db, actor, input, 'asc');
  let previous: EventVersionRow | undefined;
  if (versions[0] && versions[0].version > 1) {
    previous = await versionsOf(db, input.id)
      .where('v.version', '=', versions[0].version - 1)
      .executeTakeFirst();
  }
  return versions.map((v) => {
    const fields = v.history_type === '-' ? {} : changedFields(previous ? snapshotContent(previous) : null, snapshotContent(v));
    previous = v;
    return {
      history_id: v.version_id,
      version: v.version,
      history_date: formatDateTime(v.history_date),
      history_type: v.history_type,
      changed_by: actorOf(v),
      change_reason: v.change_reason,
      changed_fields: fields,
    };
  });
}

export async function diffVersions(
  db: Kysely<Database>,
  actor: Actor,
  input: { id: number; version_id1: number; version_id2: number; detail?: boolean | undefined },
) {
  await checkAccess(db, input.id, actor, 'read_history');
  const [a, b] = await Promise.all([loadVersion(db, input.id, input.version_id1), loadVersion(db, input.id, input.version_id2)]);
  return input.detail ? detailedDiff(snapshotContent(a), snapshotContent(b)) : diffSnapshots(snapshotContent(a), snapshotContent(b));
}

function versionContent(v: EventVersionRow): EventContent {
  return contentOf(v);
}

/** A new version equal to the chosen snapshot; history is never rewritten. */
export async function rollback(
  deps: ServiceDeps,
  actor: Actor,
  input: { id: number; version_id: number; version?: number | undefined; on_conflict?: 'reject' | 'allow' | undefined },
) {
  return inTransaction(deps, async (trx) => {
    const { event: current, role } = await loadEventFor(trx, input.id, actor, 'rollback', { forUpdate: true });
    checkVersion(input.version, current.version);
    const target = await loadVersion(trx, input.id, input.version_id);
    const next = versionContent(target);
    if (sameContent(contentOf(current), next)) {
      return { message: 'Event rolled back successfully', event: toEvent(current, role) };
    }
    const { event, conflicts } = await writeEventContent(trx, current, next, {
      actorId: actor.id,
      type: 'event.rolled_back',
      reason: `Rollback to version ${target.version}`,
      onConflict: input.on_conflict,
    });
    await audit(trx, deps.meta, { userId: actor.id, action: 'rollback', targetType: 'event', targetId: input.id });
    const result = { message: 'Event rolled back successfully', event: toEvent(event, role) };
    return conflicts.length ? { ...result, conflicts } : result;
  });
}
