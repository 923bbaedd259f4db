import type { Database, EventRow, Role } from '@scheduler/db';
import {
  formatDateTime,
  MAX_OCCURRENCE_WINDOW_MS,
  type TConflict,
  type TCreateEventInput,
  type TEventDetail,
  type TEventMutationResult,
  type TPermission,
  type TRsvpStatus,
  type TUpdateEventInput,
} from '@scheduler/shared';
import { sql, type Kysely } from 'kysely';
import { AppError, validation } from '../../errors.ts';
import { audit } from '../audit.ts';
import { recordEventChange, recordNewEvent, recordNewEventIfCalendarAt } from '../changes.ts';
import { planNewEvents } from '../reminders/plan.ts';
import type { Actor, ServiceDeps } from '../types.ts';
import { inSingleStatements, inTransaction } from '../write.ts';
import { eventAsOf, permissionsAt } from './as-of.ts';
import { compiledOnce } from '../compiled.ts';
import { checkAccess, eventNotFound, judge, judgeCreate, loadEventFor, roleOnEvent, type Principal } from './access.ts';
import { bodyGeneration, cachedBody, keepBody } from './detail-cache.ts';
import { contentColumns, contentOf, mergePatch, requireContent, sameContent, type EventContent } from './content.ts';
import { conflictWindow, conflictsWithVersion, findConflicts, lockOwnerCalendar } from './conflicts.ts';
import { expandOccurrences } from './recurrence.ts';
import { writeNewEventIfFree } from './new-event-writer.ts';
import { RSVP_OF_PARTICIPANT } from './rsvp.ts';
import { toEvent } from './serialize.ts';

type OnConflict = 'reject' | 'allow' | undefined;

function conflictError(conflicts: TConflict[]): AppError {
  return new AppError('EVENT_CONFLICT', 'The event overlaps other events on the owner’s calendar', { conflicts });
}

/** Checks the owner's calendar under the owner's lock; throws 409 unless overlaps are allowed. */
async function checkOverlaps(
  trx: Kysely<Database>,
  ownerId: number,
  content: EventContent,
  onConflict: OnConflict,
  excludeId?: number,
): Promise<TConflict[]> {
  await lockOwnerCalendar(trx, ownerId);
  const [found] = await findConflicts(trx, ownerId, [content], excludeId === undefined ? [] : [excludeId]);
  const conflicts = found?.existing ?? [];
  if (conflicts.length > 0 && onConflict !== 'allow') throw conflictError(conflicts);
  return conflicts;
}

const withConflicts = (result: Omit<TEventMutationResult, 'conflicts'>, conflicts: TConflict[]): TEventMutationResult =>
  conflicts.length > 0 ? { ...result, conflicts } : result;

export async function createEvent(deps: ServiceDeps, actor: Actor, input: TCreateEventInput): Promise<TEventMutationResult> {
  const content = requireContent(input);
  judgeCreate(actor, content.tags);
  const columns = { ...contentColumns(content), owner_id: actor.id };
  const created = (event: EventRow, conflicts: TConflict[]) =>
    withConflicts({ message: 'Event created successfully', event: toEvent(event, 'OWNER') }, conflicts);
  // Most events have no reminders and nothing near them on the calendar: one statement, shared with
  // the other creates under way, looks and writes. Otherwise, still without a transaction or a lock,
  // one statement looks (overlaps and the calendar's version) and the next writes if the calendar has not moved.
  if (content.reminders.length === 0) {
    const free = await writeNewEventIfFree(deps, { columns, actorId: actor.id, meta: deps.meta, window: conflictWindow(content) });
    if (free) return created(free.event, []);
    const written = await inSingleStatements(deps, async (db) => {
      const { existing, calendarVersion } = await conflictsWithVersion(db, actor.id, content);
      if (existing.length > 0 && input.on_conflict !== 'allow') throw conflictError(existing);
      const recorded = await recordNewEventIfCalendarAt(db, { columns, actorId: actor.id, meta: deps.meta, calendarVersion });
      return recorded && created(recorded.event, existing);
    });
    if (written) return written;
  }
  // The calendar moved meanwhile (or reminders are to be planned): the owner's calendar is locked, checked and written.
  return inTransaction(deps, async (trx) => {
    const conflicts = await checkOverlaps(trx, actor.id, content, input.on_conflict);
    const { event } = await recordNewEvent(trx, { columns, actorId: actor.id, meta: deps.meta });
    await planNewEvents(trx, [event]);
    return created(event, conflicts);
  });
}

/** Fails with 412 when the client's expected version is not the current one. */
export function checkVersion(expected: number | undefined, current: number): void {
  if (expected !== undefined && expected !== current) {
    throw new AppError('PRECONDITION_FAILED', `The event is at version ${current}, not ${expected}`);
  }
}

const TIMING_FIELDS = ['start_time', 'end_time', 'rrule', 'timezone'] as const;

/**
 * Writes new content as a new version of the event, through the one change
 * path. Used by update, rollback and collaborative edits.
 */
export async function writeEventContent(
  trx: Kysely<Database>,
  current: EventRow,
  next: EventContent,
  change: { actorId: number | null; type: 'event.updated' | 'event.rolled_back'; reason?: string | null; onConflict: OnConflict },
): Promise<{ event: EventRow; conflicts: TConflict[]; versionId: number }> {
  const timingChanged = TIMING_FIELDS.some((field) => String(contentOf(current)[field]) !== String(next[field]));
  const conflicts = timingChanged ? await checkOverlaps(trx, current.owner_id, next, change.onConflict, current.id) : [];
  const event = await trx
    .updateTable('events')
    .set({ ...contentColumns(next), version: current.version + 1, updated_at: new Date() })
    .where('id', '=', current.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const { versionId } = await recordEventChange(trx, {
    event,
    historyType: '~',
    type: change.type,
    actorId: change.actorId,
    reason: change.reason ?? null,
  });
  return { event, conflicts, versionId };
}

export async function updateEvent(deps: ServiceDeps, actor: Actor, input: TUpdateEventInput): Promise<TEventMutationResult> {
  const { id, version, on_conflict, ...patch } = input;
  return inTransaction(deps, async (trx) => {
    const { event: current, role } = await loadEventFor(trx, id, actor, 'update', { forUpdate: true });
    checkVersion(version, current.version);
    const next = mergePatch(contentOf(current), patch);
    if (sameContent(contentOf(current), next)) {
      return { message: 'Event updated successfully', event: toEvent(current, role) };
    }
    await audit(trx, deps.meta, { userId: actor.id, action: 'event.update', targetType: 'event', targetId: id });
    const { event, conflicts } = await writeEventContent(trx, current, next, {
      actorId: actor.id,
      type: 'event.updated',
      onConflict: on_conflict,
    });
    return withConflicts({ message: 'Event updated successfully', event: toEvent(event, role) }, conflicts);
  });
}

export async function deleteEvent(deps: ServiceDeps, actor: Actor, id: number): Promise<{ message: string }> {
  return inTransaction(deps, async (trx) => {
    const { event: current } = await loadEventFor(trx, id, actor, 'delete', { forUpdate: true });
    const event = await trx
      .updateTable('events')
      .set({ deleted_at: new Date(), version: current.version + 1, updated_at: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, deps.meta, { userId: actor.id, action: 'event.delete', targetType: 'event', targetId: id });
    await recordEventChange(trx, { event, historyType: '-', type: 'event.deleted', actorId: actor.id });
    return { message: 'Event deleted successfully' };
  });
}

/** The order participants are listed in: the owner, editors, viewers, each by username. */
const PARTICIPANT_ORDER = sql`case p.role when 'OWNER' then 0 when 'EDITOR' then 1 else 2 end, u.username`;

/** Everyone with access to an event, the owner first, with their RSVP. */
export async function permissionsOf(
  db: Kysely<Database>,
  eventId: number,
): Promise<Array<TPermission & { granted_at: string; rsvp: TRsvpStatus }>> {
  const rows = await db
    .selectFrom('event_permissions as p')
    .innerJoin('users as u', 'u.id', 'p.user_id')
    .leftJoin('event_rsvps as r', (join) => join.onRef('r.event_id', '=', 'p.event_id').onRef('r.user_id', '=', 'p.user_id'))
    .select(['p.user_id', 'u.username', 'p.role', 'p.granted_at', RSVP_OF_PARTICIPANT.as('rsvp')])
    .where('p.event_id', '=', eventId)
    .orderBy(PARTICIPANT_ORDER)
    .execute();
  return rows.map((r) => ({
    user_id: r.user_id,
    username: r.username,
    role: r.role,
    granted_at: formatDateTime(r.granted_at),
    rsvp: r.rsvp,
  }));
}

/**
 * One round trip for GET: the event, the caller's role (the access rule's SQL)
 * and the participants as JSON, compiled once.
 */
const eventWithParticipantsFor = (db: Kysely<Database>, eventId: number, who: Principal) =>
  db
    .selectFrom('events as e')
    .selectAll('e')
    .select(roleOnEvent(who.id, who.scope).as('role'))
    .select(
      sql<Array<TPermission & { rsvp: TRsvpStatus }>>`(select coalesce(json_agg(json_build_object(
          'user_id', p.user_id, 'username', u.username, 'role', p.role, 'rsvp', ${RSVP_OF_PARTICIPANT}) order by ${PARTICIPANT_ORDER}), '[]'::json)
        from event_permissions p join users u on u.id = p.user_id
        left join event_rsvps r on r.event_id = p.event_id and r.user_id = p.user_id
        where p.event_id = e.id)`.as('permissions'),
    )
    .where('e.id', '=', eventId);
const eventWithParticipants = compiledOnce(2, (db: Kysely<Database>, eventId: number, userId: number) =>
  eventWithParticipantsFor(db, eventId, { id: userId }),
);

export async function getEvent(db: Kysely<Database>, actor: Actor, id: number, asOf?: Date): Promise<TEventDetail> {
  if (asOf) {
    // The event as it was then, with the people who had access then.
    const { event, role } = await eventAsOf(db, id, actor, asOf);
    return { ...toEvent(event, role), permissions: await permissionsAt(db, id, event.owner_id, asOf) };
  }
  // A cached body is handed out only after the access rule has said yes.
  const cached = cachedBody(db, id);
  if (cached) return detailOf(cached, await checkAccess(db, id, actor, 'read'));
  const generation = bodyGeneration(db);
  // A token's scope shapes the query (see roleOnEvent), so only the unscoped form is compiled once.
  const query = actor.scope ? eventWithParticipantsFor(db, id, actor).compile() : eventWithParticipants(db, id, actor.id);
  const row = (await db.executeQuery(query)).rows[0];
  if (!row) throw eventNotFound();
  const { role, permissions, ...event } = row;
  const myRole = judge({ role, deleted: event.deleted_at !== null }, 'read', actor.scope);
  return detailOf(keepBody(db, generation, { event, permissions }), myRole);
}

/** The answer for a role, built once per cached body. */
function detailOf(entry: ReturnType<typeof keepBody>, role: Role): TEventDetail {
  let detail = entry.detail.get(role);
  if (!detail) entry.detail.set(role, (detail = { ...toEvent(entry.body.event, role), permissions: entry.body.permissions }));
  return detail;
}

const DEFAULT_OCCURRENCE_WINDOW_MS = 366 * 24 * 3600 * 1000;

export async function listOccurrences(
  db: Kysely<Database>,
  actor: Actor,
  input: { id: number; from?: Date | undefined; to?: Date | undefined },
): Promise<Array<{ start_time: string; end_time: string }>> {
  const { event } = await loadEventFor(db, input.id, actor, 'read');
  const from = input.from ?? event.start_time;
  const to = input.to ?? new Date(from.getTime() + DEFAULT_OCCURRENCE_WINDOW_MS);
  if (to < from) throw validation('to', 'must not be before from');
  if (to.getTime() - from.getTime() > MAX_OCCURRENCE_WINDOW_MS) throw validation('to', 'the window may span at most 2 years');
  return expandOccurrences({ start: event.start_time, end: event.end_time, rrule: event.rrule, timezone: event.timezone, from, to }).map(
    (o) => ({ start_time: formatDateTime(o.start), end_time: formatDateTime(o.end) }),
  );
}
