import type { TBatchResult, TImportCalendarInput } from '@scheduler/shared';
import { createBatch } from '../events/batch.ts';
import type { Actor, ServiceDeps } from '../types.ts';
import { readCalendar } from './ics-import.ts';

/**
 * Imports an iCalendar file as a batch: each VEVENT becomes one item of the
 * existing batch (same validation, atomicity, on_conflict, limits and
 * answer); a VEVENT that cannot become an event is an invalid item at its
 * index. Audited as `event.import`.
 */
export async function importCalendar(deps: ServiceDeps, actor: Actor, input: TImportCalendarInput): Promise<TBatchResult> {
  const { items, rejected } = readCalendar(input.calendar);
  return createBatch(
    deps,
    actor,
    { events: items, atomic: input.atomic, on_conflict: input.on_conflict },
    { rejected, action: 'event.import' },
  );
}
