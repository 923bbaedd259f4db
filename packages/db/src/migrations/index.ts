import type { Migration } from 'kysely';
import * as initial from './2025_01_01_000_initial.ts';
import * as collabSyncPoint from './2026_11_26_001_collab_sync_point.ts';
import * as feedHorizon from './2026_12_02_001_feed_horizon.ts';
import * as addressedMessages from './2026_12_03_000_addressed_messages.ts';
import * as tagsMetadata from './2026_12_03_001_tags_metadata.ts';
import * as teams from './2026_12_03_002_teams.ts';
import * as invitationsRsvp from './2026_12_03_003_invitations_rsvp.ts';
import * as apiTokens from './2026_12_03_004_api_tokens.ts';
import * as reminders from './2026_12_03_006_reminders.ts';
import * as webhooks from './2026_12_03_005_webhooks.ts';
import * as calendarFeed from './2026_12_03_007_calendar_feed.ts';
import * as feedNumberedAtCommit from './2026_12_04_000_feed_numbered_at_commit.ts';
import * as calendarVersions from './2026_12_05_000_calendar_versions.ts';
import * as feedNumberedRowByRow from './2026_12_05_001_feed_numbered_row_by_row.ts';
import * as feedNumberedAfterCommit from './2026_12_06_000_feed_numbered_after_commit.ts';
import * as feedNumberingByIndex from './2026_12_07_000_feed_numbering_by_index.ts';
import * as feedNumberingRowByKey from './2026_12_08_000_feed_numbering_row_by_key.ts';
import * as historyPagesInIndexOrder from './2026_12_09_000_history_pages_in_index_order.ts';

/** Every migration, in order. Listed here rather than read from disk so bundlers and tsx agree. */
export const migrations: Record<string, Migration> = {
  '2025_01_01_000_initial': initial,
  '2026_11_26_001_collab_sync_point': collabSyncPoint,
  '2026_12_02_001_feed_horizon': feedHorizon,
  '2026_12_03_000_addressed_messages': addressedMessages,
  '2026_12_03_001_tags_metadata': tagsMetadata,
  '2026_12_03_002_teams': teams,
  '2026_12_03_003_invitations_rsvp': invitationsRsvp,
  '2026_12_03_004_api_tokens': apiTokens,
  '2026_12_03_006_reminders': reminders,
  '2026_12_03_005_webhooks': webhooks,
  '2026_12_03_007_calendar_feed': calendarFeed,
  '2026_12_04_000_feed_numbered_at_commit': feedNumberedAtCommit,
  '2026_12_05_000_calendar_versions': calendarVersions,
  '2026_12_05_001_feed_numbered_row_by_row': feedNumberedRowByRow,
  '2026_12_06_000_feed_numbered_after_commit': feedNumberedAfterCommit,
  '2026_12_07_000_feed_numbering_by_index': feedNumberingByIndex,
  '2026_12_08_000_feed_numbering_row_by_key': feedNumberingRowByKey,
  '2026_12_09_000_history_pages_in_index_order': historyPagesInIndexOrder,
};
