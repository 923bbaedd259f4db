import type { Database } from '@scheduler/db';
import { ZNewEventFields, type TBatchInput, type TBatchResult, type TErrorDetail } from '@scheduler/shared';
import { sql, type Kysely } from 'kysely';
import { AppError, zodDetails } from '../../errors.ts';
import { audit } from '../audit.ts';
import { listingsChanging } from './listing-cache.ts';
import { feedWriting } from '../feed-numbering.ts';
import type { Actor, ServiceDeps } from '../types.ts';
import { inTransaction } from '../write.ts';
import { judgeCreate } from './access.ts';
import { buildContent, contentColumns, type EventContent } from './content.ts';
import { findConflicts, lockOwnerCalendar } from './conflicts.ts';
import { planNewEvents } from '../reminders/plan.ts';
import { toEvent } from './serialize.ts';

type BatchError = TBatchResult['errors'][number];

/** Validates every item on its own, so each error names its index; `rejected` items are invalid already, for the reasons given. */
function validateItems(
  items: unknown[],
  rejected: ReadonlyMap<number, TErrorDetail[]>,
): { valid: Array<{ index: number; content: EventContent }>; errors: BatchError[] } {
  const valid: Array<{ index: number; content: EventContent }> = [];
  const errors: BatchError[] = [];
  items.forEach((item, index) => {
    const parsed = rejected.has(index) ? undefined : ZNewEventFields.safeParse(item);
    let details: TErrorDetail[];
    if (!parsed) {
      details = rejected.get(index)!;
    } else if (parsed.success) {
      const built = buildContent(parsed.data);
      if ('content' in built) return void valid.push({ index, content: built.content });
      details = built.details;
    } else {
      details = zodDetails(parsed.error);
    }
    errors.push({ index, error: `${details[0]!.path}: ${details[0]!.message}`, code: 'VALIDATION_ERROR', details });
  });
  return { valid, errors };
}

function failed(code: 'VALIDATION_ERROR' | 'EVENT_CONFLICT', errors: BatchError[], total: number): AppError {
  const what = code === 'EVENT_CONFLICT' ? 'overlap other events' : 'are invalid';
  return new AppError(code, `${errors.length} of ${total} events ${what}; nothing was created`, {
    errors: errors.sort((a, b) => a.index - b.index),
  });
}

/** How a batch came to be, for callers that build one from something else (an iCalendar import). */
export interface BatchSource {
  /** Items known to be invalid before validation (by index), with the reasons. */
  rejected?: ReadonlyMap<number, TErrorDetail[]>;
  /** The audit action recorded for the batch. */
  action?: 'event.batch' | 'event.import';
}

/**
 * Creates many events in one transaction. Atomic by default: any invalid or
 * overlapping item fails the batch and nothing is written; with atomic=false
 * the valid items are created and the rest reported. Writes are set-based
 * (one statement per table), not a loop of inserts.
 */
export async function createBatch(deps: ServiceDeps, actor: Actor, input: TBatchInput, source: BatchSource = {}): Promise<TBatchResult> {
  judgeCreate(actor);
  const atomic = input.atomic ?? true;
  const { valid, errors } = validateItems(input.events, source.rejected ?? new Map());
  for (const { content } of valid) judgeCreate(actor, content.tags);
  if (atomic && errors.length > 0) throw failed('VALIDATION_ERROR', errors, input.events.length);

  return inTransaction(deps, async (trx) => {
    await lockOwnerCalendar(trx, actor.id);
    let accepted = valid;
    if (input.on_conflict !== 'allow') {
      const found = await findConflicts(
        trx,
        actor.id,
        valid.map((v) => v.content),
      );
      const rejected = new Set<number>();
      found.forEach((conflicts, i) => {
        if (conflicts.existing.length === 0 && conflicts.items.length === 0) return;
        rejected.add(i);
        const items = conflicts.items.map((j) => valid[j]!.index);
        errors.push({
          index: valid[i]!.index,
          code: 'EVENT_CONFLICT',
          error: items.length
            ? `overlaps ${conflicts.existing.length} existing event(s) and item(s) ${items.join(', ')} of this batch`
            : `overlaps ${conflicts.existing.length} existing event(s)`,
          conflicts: conflicts.existing,
          ...(items.length ? { conflicting_items: items } : {}),
        });
      });
      if (atomic && rejected.size > 0) throw failed('EVENT_CONFLICT', errors, input.events.length);
      accepted = valid.filter((_, i) => !rejected.has(i));
    }

    const created = await insertEvents(
      trx,
      actor.id,
      accepted.map((a) => a.content),
    );
    // A batch that created nothing changed nothing: no audit row.
    if (created.length > 0) {
      await audit(trx, deps.meta, {
        userId: actor.id,
        action: source.action ?? 'event.batch',
        targetType: 'event',
        targetId: `${created[0]!.id}..${created.at(-1)!.id}`,
      });
    }
    return { created_events: created.map((row) => toEvent(row, 'OWNER')), errors: errors.sort((a, b) => a.index - b.index) };
  });
}

/** Inserts events, their owner permissions, first versions and feed rows with one statement each. */
async function insertEvents(trx: Kysely<Database>, ownerId: number, contents: EventContent[]) {
  if (contents.length === 0) return [];
  const { rows: ids } = await sql<{ id: number }>`
    select nextval(pg_get_serial_sequence('events', 'id'))::int as id from generate_series(1, ${contents.length})`.execute(trx);
  const records = contents.map((content, i) => {
    const columns = contentColumns(content);
    return {
      ...columns,
      id: ids[i]!.id,
      start_time: content.start_time.toISOString(),
      end_time: content.end_time.toISOString(),
      series_end: content.series_end?.toISOString() ?? null,
      recurrence_pattern: content.recurrence_pattern,
      metadata: content.metadata,
      reminders: content.reminders,
    };
  });
  const payload = JSON.stringify(records);
  const eventIds = ids.map((r) => r.id);
  const created = await sql<Parameters<typeof toEvent>[0]>`
    insert into events (id, owner_id, title, description, start_time, end_time, location, timezone,
                        is_recurring, recurrence_pattern, tags, metadata, rrule, series_end, reminders, version, updated_at)
    select x.id, ${ownerId}, x.title, x.description, x.start_time, x.end_time, x.location, x.timezone,
           x.is_recurring, x.recurrence_pattern, x.tags, x.metadata, x.rrule, x.series_end, x.reminders, 1, now()
    from jsonb_to_recordset(${payload}::jsonb) as x(
      id int, title text, description text, start_time timestamptz, end_time timestamptz, location text,
      timezone text, is_recurring boolean, recurrence_pattern jsonb, tags text[], metadata jsonb, rrule text,
      series_end timestamptz, reminders jsonb)
    returning *`.execute(trx);
  await sql`
    insert into event_permissions (event_id, user_id, role, own_role, granted_by)
    select id, ${ownerId}, 'OWNER', 'OWNER', ${ownerId} from unnest(${sql.val(eventIds)}::int[]) as id`.execute(trx);
  await sql`
    insert into event_versions (event_id, version, history_type, owner_id, title, description, start_time, end_time,
                                location, timezone, is_recurring, recurrence_pattern, tags, metadata, rrule, series_end,
                                reminders, changed_by)
    select id, 1, '+', owner_id, title, description, start_time, end_time,
           location, timezone, is_recurring, recurrence_pattern, tags, metadata, rrule, series_end, reminders, ${ownerId}
    from events where id = any(${sql.val(eventIds)}::int[]) order by id`.execute(trx);
  await planNewEvents(trx, created.rows);
  listingsChanging(trx);
  feedWriting(trx);
  await sql`
    insert into changes (event_id, type, actor_id, version_id)
    select event_id, 'event.created', ${ownerId}, version_id
    from event_versions where event_id = any(${sql.val(eventIds)}::int[]) and version = 1 order by version_id`.execute(trx);
  return created.rows.sort((a, b) => a.id - b.id);
}
