import {
  ZAuditInput,
  ZAuditList,
  ZChangelog,
  ZDiff,
  ZDiffInput,
  ZHistoryList,
  ZHistoryPageInput,
  ZRollbackInput,
  ZRollbackResult,
  ZVersionInput,
  ZVersionSnapshot,
} from '@scheduler/shared';
import { listAudit } from '../services/history/audit-log.ts';
import * as history from '../services/history/history-service.ts';
import { serviceDeps } from '../context.ts';
import { authedProcedure, router } from '../trpc.ts';

export const historyRouter = router({
  list: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/events/{id}/history',
        tags: ['history'],
        summary: 'Versions of an event, newest first',
        description:
          'Each entry has `version_id` (a global id that only grows: what `history/{version_id}`, `diff` and `rollback` take) and `version` (the event’s own counter, 1 on create, +1 per change: what `ETag` and `If-Match` carry).',
        protect: true,
      },
      errors: [400, 401, 404],
    })
    .input(ZHistoryPageInput)
    .output(ZHistoryList)
    .query(({ ctx, input }) => history.listHistory(ctx.db, ctx.user, input)),

  get: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/events/{id}/history/{version_id}',
        tags: ['history'],
        summary: 'One version: the full snapshot',
        description:
          'The event’s fields as they were in that version, with `version_id`, `version`, `history_type`, `history_date` and `changed_by`. The path takes the global `version_id` from the history listing, not the per-event `version` number.',
        protect: true,
      },
      errors: [400, 401, 404],
    })
    .input(ZVersionInput)
    .output(ZVersionSnapshot)
    .query(({ ctx, input }) => history.getVersion(ctx.db, ctx.user, input)),

  rollback: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/events/{id}/rollback/{version_id}',
        tags: ['history'],
        summary: 'Make a new version equal to an old one',
        description:
          'Writes the content of the version named by its global `version_id` as a new version (reason: rollback). The body is optional: `{"version": n}` (or `If-Match: "n"`) makes it conditional on the event still being at version n (412 otherwise); `?on_conflict=allow` saves even when the restored times overlap other events.',
        protect: true,
      },
      errors: [400, 401, 403, 404, 409, 412],
    })
    .input(ZRollbackInput)
    .output(ZRollbackResult)
    .mutation(({ ctx, input }) => history.rollback(serviceDeps(ctx), ctx.user, input)),

  changelog: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/events/{id}/changelog',
        tags: ['history'],
        summary: 'What changed in each version, oldest first',
        description:
          '`history_id` is the same global id as `version_id` in the history listing; `changed_fields` maps each changed content field to `{from, to}`.',
        protect: true,
      },
      errors: [400, 401, 404],
    })
    .input(ZHistoryPageInput)
    .output(ZChangelog)
    .query(({ ctx, input }) => history.changelog(ctx.db, ctx.user, input)),

  diff: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/events/{id}/diff/{version_id1}/{version_id2}',
        tags: ['history'],
        summary: 'Fields that differ between two versions',
        description:
          'Both path ids are global `version_id`s of this event (from the history listing), not per-event `version` numbers. Only fields that differ are listed, as `{version_1, version_2}`; `?detail=true` adds `ops`, a word-level diff of text fields: `[{op: "equal"|"insert"|"delete", text}]`.',
        protect: true,
      },
      errors: [400, 401, 404],
    })
    .input(ZDiffInput)
    .output(ZDiff)
    .query(({ ctx, input }) => history.diffVersions(ctx.db, ctx.user, input)),

  audit: authedProcedure
    .meta({
      openapi: { method: 'GET', path: '/audit', tags: ['audit'], summary: 'My audit trail, newest first', protect: true },
      errors: [400, 401],
    })
    .input(ZAuditInput)
    .output(ZAuditList)
    .query(({ ctx, input }) => listAudit(ctx.db, ctx.user.id, input)),
});
