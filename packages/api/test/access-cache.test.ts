import { describe, it } from 'vitest';
import {
  atOnce,
  deletionEndsReads,
  eventBodyFollowsChanges,
  listingFollowsChanges,
  logoutEndsAccess,
  newVersionIsSeen,
  refreshReuseEndsAccess,
  revokedPermissionEndsReads,
  leavingTeamEndsReads,
  liveRecipientsFollowGrants,
  roleChangeIsSeen,
} from './support/cache-scenarios.ts';
import { useTestServer } from './support/test-context.ts';

/** Sessions and roles are cached in memory; on the instance that made a change, no cache outlives it. */
const ctx = useTestServer();
const { api } = ctx;

describe('caches on the instance that made the change', () => {
  it('a logout ends a cached session at once', () => logoutEndsAccess(api, api, atOnce));
  it('reuse of a spent refresh token ends the session at once', () => refreshReuseEndsAccess(api, api, atOnce));
  it('a revoked permission ends cached reads at once', () => revokedPermissionEndsReads(api, api, atOnce));
  it('leaving a team ends cached reads at once', () => leavingTeamEndsReads(api, api, atOnce));
  it('a role change is honoured at once, down and back up', () => roleChangeIsSeen(api, api, atOnce));
  it('a deletion ends cached reads at once (the owner keeps the history)', () => deletionEndsReads(api, api, atOnce));
  it('a new version is read at once', () => newVersionIsSeen(api, api, atOnce));
  it('listing pages follow grants, versions and new events at once', () => listingFollowsChanges(api, api, atOnce));
  it('GET one event follows RSVPs, new participants and new content at once', () => eventBodyFollowsChanges(api, api, atOnce));
  it('live messages follow revoked and new grants, personal and through a team', () => liveRecipientsFollowGrants(api, api));
});
