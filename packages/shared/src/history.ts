import { z } from 'zod';
import { ZDateTime, ZId, ZPageInput, ZQueryBoolean, ZUserRef } from './common.ts';
import { ZEvent, ZEventMutationResult, ZOnConflict } from './events.ts';

export const HISTORY_TYPES = ['+', '~', '-'] as const;

export const ZHistoryPageInput = z.object({
  id: ZId,
  limit: z.number().int().min(1).max(1000).optional().describe('At most this many entries (default 100)'),
  cursor: ZId.optional().describe('Continue after this version_id (the last one of the previous page)'),
});

export const ZHistoryEntry = z.object({
  version_id: z.number().int(),
  version: z.number().int(),
  event_id: z.number().int(),
  history_type: z.enum(HISTORY_TYPES).describe('+ created, ~ changed, - deleted'),
  history_date: ZDateTime,
  changed_by: ZUserRef.nullable(),
  change_reason: z.string().nullable(),
});
export const ZHistoryList = z.array(ZHistoryEntry);

export const ZVersionInput = z.object({ id: ZId, version_id: ZId });

export const ZVersionSnapshot = ZHistoryEntry.extend(
  ZEvent.pick({
    id: true,
    title: true,
    description: true,
    start_time: true,
    end_time: true,
    location: true,
    timezone: true,
    is_recurring: true,
    recurrence_pattern: true,
    tags: true,
    metadata: true,
    rrule: true,
    reminders: true,
    owner_id: true,
  }).shape,
);

export const ZRollbackInput = ZVersionInput.extend({
  version: z.number().int().min(0).optional().describe('Expected current version (same as If-Match)'),
  on_conflict: ZOnConflict,
});
export const ZRollbackResult = ZEventMutationResult;

export const ZFieldChange = z.object({ from: z.unknown(), to: z.unknown() });
export const ZChangelogEntry = z.object({
  history_id: z.number().int(),
  version: z.number().int(),
  history_date: ZDateTime,
  history_type: z.enum(HISTORY_TYPES),
  changed_by: ZUserRef.nullable(),
  change_reason: z.string().nullable(),
  changed_fields: z.record(z.string(), ZFieldChange),
});
export const ZChangelog = z.array(ZChangelogEntry);

export const ZDiffInput = z.object({
  id: ZId,
  version_id1: ZId,
  version_id2: ZId,
  detail: ZQueryBoolean.optional().describe('Add word-level ops for text fields'),
});
export const ZDiffOp = z.object({ op: z.enum(['equal', 'insert', 'delete']), text: z.string() });
export const ZFieldDiff = z.object({
  version_1: z.unknown(),
  version_2: z.unknown(),
  ops: z.array(ZDiffOp).optional(),
});
export const ZDiff = z.record(z.string(), ZFieldDiff);

export const ZAuditInput = ZPageInput;
export const ZAuditEntry = z.object({
  id: z.number().int(),
  action: z.string(),
  target_type: z.string().nullable(),
  target_id: z.string().nullable(),
  at: ZDateTime,
  request_id: z.string().nullable(),
  ip: z.string().nullable(),
});
export const ZAuditList = z.object({
  results: z.array(ZAuditEntry),
  count: z.number().int(),
  num_pages: z.number().int(),
  current_page: z.number().int(),
});
