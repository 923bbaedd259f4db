import type { ChangeType, Database, EventRow, HistoryType, Role } from '@scheduler/db';
import { sql, type CompiledQuery, type Kysely, type RawBuilder } from 'kysely';
import { accessChanging, changesAccess } from './events/access.ts';
import { bodyChanging } from './events/detail-cache.ts';
import { nothingInWindow } from './events/conflicts.ts';
import { listingsChanging } from './events/listing-cache.ts';
import { FEED_NUMBERING_LOCK, feedWriting } from './feed-numbering.ts';
import type { RequestMeta } from './audit.ts';
import { compiledStatement } from './compiled.ts';
import { CONTENT_FIELDS, type contentColumns } from './events/content.ts';
import { planReminders } from './reminders/plan.ts';

/** Feed rows that change what an event is or who may see it; the rest (reminders, addressed messages) is news, not state. */
export const STATE_CHANGES: readonly ChangeType[] = [
  'event.created',
  'event.updated',
  'event.deleted',
  'event.rolled_back',
  'permission.granted',
  'permission.updated',
  'permission.revoked',
];

export const isStateChange = (row: { type: ChangeType; recipient_id?: number | null }): boolean =>
  STATE_CHANGES.includes(row.type) && (row.recipient_id ?? null) === null;

/**
 * The one change path. Every change to an event writes, in the transaction
 * that makes it, a version row (the full snapshot, for history) and a row in
 * the change feed (for live updates and sync). Nothing else writes them.
 * The event's reminders are planned again in the same transaction.
 */
export async function recordEventChange(
  trx: Kysely<Database>,
  change: { event: EventRow; historyType: HistoryType; type: ChangeType; actorId: number | null; reason?: string | null },
): Promise<{ versionId: number }> {
  const { event } = change;
  const version = await trx
    .insertInto('event_versions')
    .values({
      event_id: event.id,
      version: event.version,
      history_type: change.historyType,
      owner_id: event.owner_id,
      title: event.title,
      description: event.description,
      start_time: event.start_time,
      end_time: event.end_time,
      location: event.location,
      timezone: event.timezone,
      is_recurring: event.is_recurring,
      recurrence_pattern: event.recurrence_pattern === null ? null : JSON.stringify(event.recurrence_pattern),
      tags: event.tags,
      metadata: JSON.stringify(event.metadata),
      rrule: event.rrule,
      series_end: event.series_end,
      reminders: JSON.stringify(event.reminders),
      changed_by: change.actorId,
      change_reason: change.reason ?? null,
    })
    .returning('version_id')
    .executeTakeFirstOrThrow();
  await planReminders(trx, event);
  await recordFeedEntry(trx, {
    eventId: event.id,
    type: change.type,
    actorId: change.actorId,
    versionId: version.version_id,
  });
  return { versionId: version.version_id };
}

/** A new event's columns, as `contentColumns` gives them, and its owner. */
export type NewEventColumns = ReturnType<typeof contentColumns> & { owner_id: number };

/**
 * A new event in one statement (one round trip instead of six): the event,
 * its owner's permission, the audit row, version 1 and the feed row, the same
 * rows recordEventChange and `audit` write, compiled once. Reminders are
 * planned by the caller (most events have none).
 */
export async function recordNewEvent(
  trx: Kysely<Database>,
  input: { columns: NewEventColumns; actorId: number; meta: RequestMeta },
): Promise<{ event: EventRow; versionId: number }> {
  const recorded = await runNewEvent(trx, newEventStatement(trx, ...newEventArguments(input)));
  if (!recorded) throw new Error('the new event was not written');
  return recorded;
}

/**
 * The same statement, written only if the owner's calendar is still at
 * `calendarVersion` (which it then moves on): undefined, with nothing written,
 * if another overlap-checked write got there first. The check and the write
 * are one statement, so it needs no transaction around it.
 */
export async function recordNewEventIfCalendarAt(
  db: Kysely<Database>,
  input: { columns: NewEventColumns; actorId: number; meta: RequestMeta; calendarVersion: number },
): Promise<{ event: EventRow; versionId: number } | undefined> {
  return runNewEvent(db, newEventIfCalendarAtStatement(db, ...newEventArguments(input), input.calendarVersion));
}

/** A new event to write if nothing of its owner's calendar lies in `window` (see `conflictWindow`). */
export interface NewEventIfFree {
  columns: NewEventColumns;
  actorId: number;
  meta: RequestMeta;
  window: { windowStart: Date; windowEnd: Date };
}

/**
 * New events of different owners in one statement: each is written only if
 * none of its owner's events lies in its window, so it overlaps nothing (the
 * look and the write in one snapshot), and its owner's calendar version moves
 * on only if no other write moved it first. Answers, by owner, the events
 * written; an owner missing from the answer had something in the window, or
 * its calendar moved or was held meanwhile (the caller then looks at what is
 * there, on its own connection).
 */
export async function recordNewEventsIfFree(
  db: Kysely<Database>,
  inputs: readonly NewEventIfFree[],
): Promise<Map<number, { event: EventRow; versionId: number }>> {
  const owners = new Set(inputs.map((input) => input.columns.owner_id));
  if (owners.size !== inputs.length) throw new Error('one new event per owner in a statement');
  const column = (pick: (input: NewEventIfFree) => unknown) => inputs.map(pick);
  const query = newEventsIfFreeStatement(
    db,
    ...NEW_EVENT_FIELDS.map((field) => column((input) => contentValue(input.columns, field))),
    column((input) => input.columns.owner_id),
    column((input) => input.actorId),
    column((input) => input.meta.requestId),
    column((input) => input.meta.ip),
    column(() => new Date()),
    column((input) => input.window.windowStart),
    column((input) => input.window.windowEnd),
  );
  const written = new Map<number, { event: EventRow; versionId: number }>();
  for (const { version_id: versionId, ...event } of (await db.executeQuery(query)).rows) {
    noteFeedEntry(db, { eventId: event.id, type: 'event.created', numbered: true });
    written.set(event.owner_id, { event, versionId });
  }
  return written;
}

function newEventArguments(input: { columns: NewEventColumns; actorId: number; meta: RequestMeta }): unknown[] {
  const c = input.columns;
  return [
    ...NEW_EVENT_FIELDS.map((field) => contentValue(c, field)),
    ...[c.owner_id, input.actorId, input.meta.requestId, input.meta.ip, new Date()],
  ];
}

async function runNewEvent(
  db: Kysely<Database>,
  query: CompiledQuery<EventRow & { version_id: number }>,
): Promise<{ event: EventRow; versionId: number } | undefined> {
  const row = (await db.executeQuery(query)).rows[0];
  if (!row) return undefined;
  const { version_id: versionId, ...event } = row;
  noteFeedEntry(db, { eventId: event.id, type: 'event.created' });
  return { event, versionId };
}

/** The columns a new event's content fills, as `contentColumns` names them: what history compares, and the derived rrule and series end. */
const NEW_EVENT_FIELDS = [...CONTENT_FIELDS, 'rrule', 'series_end'] as const satisfies ReadonlyArray<keyof NewEventColumns>;
const CONTENT = sql.raw(NEW_EVENT_FIELDS.join(', '));
const CONTENT_OF_E = sql.raw(NEW_EVENT_FIELDS.map((column) => `e.${column}`).join(', '));
const CONTENT_COUNT = NEW_EVENT_FIELDS.length;

/** Each content column's type in the statements' input (a statement of many new events takes an array of each); tags come as JSON arrays. */
const COLUMN_TYPES: Record<(typeof NEW_EVENT_FIELDS)[number], string> = {
  title: 'text',
  description: 'text',
  start_time: 'timestamptz',
  end_time: 'timestamptz',
  location: 'text',
  timezone: 'text',
  is_recurring: 'boolean',
  recurrence_pattern: 'jsonb',
  tags: 'jsonb',
  metadata: 'jsonb',
  reminders: 'jsonb',
  rrule: 'text',
  series_end: 'timestamptz',
};
/** The input's content, as the events table takes it (tags back from JSON to an array). */
const CONTENT_OF_INPUT = sql.raw(
  NEW_EVENT_FIELDS.map((column) => (column === 'tags' ? 'array(select jsonb_array_elements_text(i.tags))' : `i.${column}`)).join(', '),
);

/** A content column's value as the statements take it. */
const contentValue = (columns: NewEventColumns, field: (typeof NEW_EVENT_FIELDS)[number]): unknown =>
  field === 'tags' ? JSON.stringify(columns.tags) : columns[field];

/**
 * New events' rows, the same rows recordEventChange and `audit` write: for
 * each row of `input` (CONTENT's columns, then owner_id, actor_id,
 * request_id, ip, at) whose owner the `gate` CTEs' last, `claim`, returns,
 * the event, its owner's permission, the audit row, version 1 and the feed
 * row. `numbered` feed rows are written with their final ids under the
 * numbering's turn (see `newEventsIfFreeStatement`); the others are
 * numbered after the commit.
 */
function newEventsSql(input: RawBuilder<unknown>, gate: RawBuilder<unknown>, { numbered }: { numbered: boolean }) {
  const feedRow = numbered
    ? sql`numbering_turn as (
        select pg_advisory_xact_lock(${sql.lit(FEED_NUMBERING_LOCK)})
      ), feed_row as (
        insert into changes (id, event_id, type, actor_id, version_id)
        select nextval('changes_id_seq'), e.id, 'event.created', i.actor_id, v.version_id
        from numbering_turn, e join version_row v on v.event_id = e.id join input i using (owner_id)
      )`
    : sql`feed_row as (
        insert into changes (event_id, type, actor_id, version_id)
        select e.id, 'event.created', i.actor_id, v.version_id from e join version_row v on v.event_id = e.id join input i using (owner_id)
      )`;
  return sql<EventRow & { version_id: number }>`
      with input as (${input}), ${gate}, e as (
        insert into events (${CONTENT}, owner_id, version, updated_at)
        select ${CONTENT_OF_INPUT}, i.owner_id, 1, i.at
        from input i join claim using (owner_id)
        order by i.owner_id
        returning *
      ), owner_grant as (
        insert into event_permissions (event_id, user_id, role, own_role, granted_by)
        select e.id, e.owner_id, 'OWNER', 'OWNER', i.actor_id from e join input i using (owner_id)
      ), audit_row as (
        insert into audit_log (user_id, action, target_type, target_id, request_id, ip)
        select i.actor_id, 'event.create', 'event', e.id::text, i.request_id, i.ip from e join input i using (owner_id)
      ), version_row as (
        insert into event_versions (event_id, version, history_type, owner_id, ${CONTENT}, changed_by, change_reason)
        select e.id, e.version, '+', e.owner_id, ${CONTENT_OF_E}, i.actor_id, null from e join input i using (owner_id)
        returning version_id, event_id
      ), ${feedRow}
      select e.*, v.version_id from e join version_row v on v.event_id = e.id`;
}

/** One new event's input row, from the content values in CONTENT's order, then owner, actor, request id, ip, time. */
function oneEventInput(args: unknown[]) {
  const content = NEW_EVENT_FIELDS.map((field, k) => sql`${args[k]}::${sql.raw(COLUMN_TYPES[field])} as ${sql.raw(field)}`);
  const [ownerId, actorId, requestId, ip, now] = args.slice(CONTENT_COUNT);
  return sql`select ${sql.join(content)}, ${ownerId}::int as owner_id, ${actorId}::int as actor_id,
                    ${requestId}::text as request_id, ${ip}::text as ip, ${now}::timestamptz as at`;
}

/** Arguments: the content values in CONTENT's order, then owner, actor, request id, ip, time. */
const newEventStatement = compiledStatement(CONTENT_COUNT + 5, (db, ...args: unknown[]) =>
  newEventsSql(oneEventInput(args), sql`claim as (select owner_id from input)`, { numbered: false }).compile(db),
);

/**
 * The same arguments, then the calendar version seen. The owner's row in
 * calendar_versions moves from that version to the next; if another write
 * moved it first (PostgreSQL re-reads a row it waited for), the claim
 * returns nothing and nothing is written. An owner with no row yet was seen
 * at version 0, and a concurrent first write makes the insert conflict.
 */
const newEventIfCalendarAtStatement = compiledStatement(CONTENT_COUNT + 6, (db, ...args: unknown[]) => {
  const seen = args[CONTENT_COUNT + 5];
  const gate = sql`claim as (
        insert into calendar_versions as cv (owner_id, version) select owner_id, ${seen}::bigint + 1 from input
        on conflict (owner_id) do update set version = excluded.version where cv.version = ${seen}::bigint
        returning owner_id
      )`;
  return newEventsSql(oneEventInput(args.slice(0, CONTENT_COUNT + 5)), gate, { numbered: false }).compile(db);
});

/**
 * Arguments: one array per column (CONTENT's order, then owner, actor, request
 * id, ip, time, window start, window end), one element per new event. The
 * rows are taken in owner order, so two such statements lock owners' calendar
 * rows in the same order and never deadlock. An owner whose calendar another
 * write holds (a transaction checking overlaps, a batch), or who has no
 * calendar row yet (another write may be inserting it), is skipped rather
 * than waited for, so one held calendar does not hold up the others' creates:
 * that create then goes its own way.
 *
 * Its feed rows are written with their final ids: the statement takes the
 * numbering's turn (`FEED_NUMBERING_LOCK`) as it writes them and holds it to
 * its commit, so no numbering has to follow it. An instance runs one such
 * statement at a time (new-event-writer.ts), so holding the turn delays only
 * a numbering that comes meanwhile, or another instance's statement, for the
 * few rows and the commit that follow. It waits on nothing else while it
 * holds the turn, and the calendar rows it holds were taken without waiting,
 * so no two writers can wait on each other.
 */
const newEventsIfFreeStatement = compiledStatement(CONTENT_COUNT + 7, (db, ...args: unknown[]) => {
  const content = NEW_EVENT_FIELDS.map((field, k) => sql`${args[k]}::${sql.raw(COLUMN_TYPES[field])}[]`);
  const [ownerId, actorId, requestId, ip, now, windowStart, windowEnd] = args.slice(CONTENT_COUNT);
  const input = sql`
        select * from unnest(
          ${sql.join(content)},
          ${ownerId}::int[], ${actorId}::int[], ${requestId}::text[], ${ip}::text[], ${now}::timestamptz[],
          ${windowStart}::timestamptz[], ${windowEnd}::timestamptz[]
        ) as i(${CONTENT}, owner_id, actor_id, request_id, ip, at, window_start, window_end)`;
  const gate = sql`unheld as (
        select c.owner_id from calendar_versions c join input i using (owner_id) order by c.owner_id for update of c skip locked
      ), claim as (
        insert into calendar_versions as cv (owner_id, version)
        select i.owner_id, coalesce((select c.version from calendar_versions c where c.owner_id = i.owner_id), 0) + 1
        from input i
        where i.owner_id in (select owner_id from unheld)
          and ${nothingInWindow(db as Kysely<Database>, sql.ref('i.owner_id'), sql.ref('i.window_start'), sql.ref('i.window_end'))}
        order by i.owner_id
        on conflict (owner_id) do update set version = excluded.version where cv.version = excluded.version - 1
        returning owner_id
      )`;
  return newEventsSql(input, gate, { numbered: true }).compile(db);
});

/** Permission changes, a feed row each naming whose access changed and the new role (null = revoked), in the order given. */
export async function recordPermissionChanges(
  trx: Kysely<Database>,
  changes: ReadonlyArray<{
    eventId: number;
    type: Extract<ChangeType, `permission.${string}`>;
    actorId: number;
    userId: number;
    role: Role | null;
  }>,
): Promise<void> {
  for (const change of changes) noteFeedEntry(trx, change);
  // In order, a statement per ROWS_PER_STATEMENT rows.
  for (let from = 0; from < changes.length; from += ROWS_PER_STATEMENT) {
    await trx
      .insertInto('changes')
      .values(
        changes.slice(from, from + ROWS_PER_STATEMENT).map((change) => ({
          event_id: change.eventId,
          type: change.type,
          actor_id: change.actorId,
          version_id: null,
          subject_user_id: change.userId,
          role: change.role,
          recipient_id: null,
          payload: null,
        })),
      )
      .execute();
  }
}

/** Rows per multi-row insert: a statement takes at most 65,535 parameters. */
export const ROWS_PER_STATEMENT = 1000;

/**
 * A message that is not a change of state: addressed to one user
 * (`recipientId`: an invitation, a notice about one of their webhooks, with
 * no event) or to the event's readers (an RSVP). Its `payload` fields are
 * merged into the live message; sync ignores it.
 */
export async function recordNotice(
  trx: Kysely<Database>,
  notice: {
    eventId: number | null;
    type: Extract<ChangeType, `invitation.${string}` | 'rsvp.updated' | 'webhook.disabled'>;
    actorId: number | null;
    recipientId?: number | undefined;
    payload: Record<string, unknown>;
  },
): Promise<void> {
  return recordFeedEntry(trx, {
    eventId: notice.eventId,
    type: notice.type,
    actorId: notice.actorId,
    versionId: null,
    recipientId: notice.recipientId,
    payload: notice.payload,
  });
}

/**
 * Reminders being sent: one `event.reminder` row each, for the event's
 * readers, naming the version the event is at so the message carries it.
 */
export async function recordReminderMessages(
  trx: Kysely<Database>,
  reminders: Array<{ eventId: number; versionId: number; payload: Record<string, unknown> }>,
): Promise<void> {
  if (reminders.length === 0) return;
  await trx
    .insertInto('changes')
    .values(
      reminders.map((r) => ({
        event_id: r.eventId,
        type: 'event.reminder' as const,
        actor_id: null,
        version_id: r.versionId,
        subject_user_id: null,
        role: null,
        payload: JSON.stringify(r.payload),
      })),
    )
    .execute();
}

/**
 * Feed ids become visible in id order, or a reader following the feed could
 * pass over an id whose transaction commits late. A row is written with a
 * provisional id and numbered once its transaction has committed (see
 * feed-numbering.ts), so writers take no lock here.
 *
 * What a feed row means for this instance once the transaction commits: its
 * rows to number (unless the statement wrote them `numbered`), and its caches
 * to drop (see write.ts). */
function noteFeedEntry(
  trx: Kysely<Database>,
  entry: { eventId: number | null; type: ChangeType; recipientId?: number | undefined; numbered?: boolean },
): void {
  if (!entry.numbered) feedWriting(trx);
  if (changesAccess(entry.type) && entry.eventId !== null) accessChanging(trx, entry.eventId);
  if (entry.eventId !== null) bodyChanging(trx, entry.eventId);
  if (isStateChange({ type: entry.type, recipient_id: entry.recipientId ?? null })) listingsChanging(trx);
}

async function recordFeedEntry(
  trx: Kysely<Database>,
  entry: {
    eventId: number | null;
    type: ChangeType;
    actorId: number | null;
    versionId: number | null;
    subjectUserId?: number;
    role?: Role | null;
    recipientId?: number | undefined;
    payload?: Record<string, unknown>;
  },
): Promise<void> {
  noteFeedEntry(trx, entry);
  await trx
    .insertInto('changes')
    .values({
      event_id: entry.eventId,
      type: entry.type,
      actor_id: entry.actorId,
      version_id: entry.versionId,
      subject_user_id: entry.subjectUserId ?? null,
      role: entry.role ?? null,
      recipient_id: entry.recipientId ?? null,
      payload: entry.payload === undefined ? null : JSON.stringify(entry.payload),
    })
    .execute();
}
