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
    .meta({ openapi: { method: 'GET', path: '/events/{id}/history', tags: ['history'], summary: 'Versions of an event, newest first', protect: true } })
    .input(ZHistoryPageInput)
    .output(ZHistoryList)
    .query(({ ctx, input }) => history.listHistory(ctx.db, ctx.user, input)),

  get: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/events/{id}/history/{version_id}', tags: ['history'], summary: 'One version: the full snapshot', protect: true } })
    .input(ZVersionInput)
    .output(ZVersionSnapshot)
    .query(({ ctx, input }) => history.getVersion(ctx.db, ctx.user, input)),

  rollback: authedProcedure
    .meta({ openapi: { method: 'POST', path: '/events/{id}/rollback/{version_id}', tags: ['history'], summary: 'Make a new version equal to an old one', protect: true } })
    .input(ZRollbackInput)
    .output(ZRollbackResult)
    .mutation(({ ctx, input }) => history.rollback(serviceDeps(ctx), ctx.user, input)),

  changelog: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/events/{id}/changelog', tags: ['history'], summary: 'What changed in each version, oldest first', protect: true } })
    .input(ZHistoryPageInput)
    .output(ZChangelog)
    .query(({ ctx, input }) => history.changelog(ctx.db, ctx.user, input)),

  diff: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/events/{id}/diff/{version_id1}/{version_id2}', tags: ['history'], summary: 'Fields that differ between two versions', protect: true } })
    .input(ZDiffInput)
    .output(ZDiff)
    .query(({ ctx, input }) => history.diffVersions(ctx.db, ctx.user, input)),

  audit: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/audit', tags: ['audit'], summary: 'My audit trail, newest first', protect: true } })
    .input(ZAuditInput)
    .output(ZAuditList)
    .query(({ ctx, input }) => listAudit(ctx.db, ctx.user.id, input)),
});
