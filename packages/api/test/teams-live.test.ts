import { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { createEvent } from './support/events.ts';
import { restStream, wsSubscriber } from './support/live.ts';
import { addTeamMember, createTeam, shareWithTeam } from './support/teams.ts';
import { useTestServer } from './support/test-context.ts';

/** Joining and leaving a team reach a member live exactly as a personal share and its removal do. */
const ctx = useTestServer();
const { api } = ctx;

describe('team membership, live', () => {
  it('a joining member gets permission.granted then the event’s updates; after leaving, permission.revoked and nothing more about it', async () => {
    const owner = await ctx.user('tlown');
    const member = await ctx.user('tlmem');
    const team = await createTeam(api, owner, [], 'Live team');
    const event = await createEvent(api, owner, { title: 'Before' });
    await shareWithTeam(api, owner, event.id, team, 'EDITOR');
    const ws = wsSubscriber(ctx.url, member.access);
    const sse = restStream(ctx.url, member.access);
    try {
      await ws.ready;
      await sse.ready;
      await addTeamMember(api, owner, team, member);
      expect((await api.put(`/api/events/${event.id}`, { token: owner.access, body: { title: 'While member' } })).status).toBe(200);
      for (const inbox of [ws.inbox, sse.inbox]) {
        await inbox.waitFor((i) => i.types(event.id).length === 2);
        const [granted, updated] = inbox.messages.filter((m) => m.event_id === event.id);
        expect(granted).toMatchObject({
          type: 'permission.granted',
          actor: { id: owner.id },
          user: { id: member.id, username: member.username },
          role: 'EDITOR',
          my_role: 'EDITOR',
        });
        expect(updated).toMatchObject({ type: 'event.updated', event: { title: 'While member', my_role: 'EDITOR' } });
      }

      expect((await api.delete(`/api/teams/${team}/members/${member.id}`, { token: member.access })).status).toBe(200);
      expect((await api.put(`/api/events/${event.id}`, { token: owner.access, body: { title: 'After' } })).status).toBe(200);
      // A later change the member may see: once it has arrived, anything about the event would have too.
      const marker = await createEvent(api, owner, { title: 'Marker' });
      await ctx.share(owner, marker.id, member, 'VIEWER');
      for (const inbox of [ws.inbox, sse.inbox]) {
        // The marker's creation may reach them too, when it is sent after the share committed.
        await inbox.waitFor((i) => i.types(marker.id).includes('permission.granted'));
        expect(inbox.types(event.id)).toEqual(['permission.granted', 'event.updated', 'permission.revoked']);
        expect(inbox.messages.filter((m) => m.event_id === event.id).at(-1)).toMatchObject({ user: { id: member.id }, role: null });
        expect(JSON.stringify(inbox.messages)).not.toContain('"After"');
      }
    } finally {
      await ws.close();
      sse.close();
    }
  });

  it('the other members follow live when someone joins (they see the grant) and owners see who was granted', async () => {
    const owner = await ctx.user('tlo2');
    const first = await ctx.user('tlf');
    const second = await ctx.user('tls');
    const team = await createTeam(api, owner, [first], 'Watchers');
    const event = await createEvent(api, owner);
    await shareWithTeam(api, owner, event.id, team, 'VIEWER');
    const ws = wsSubscriber(ctx.url, first.access, { event_id: event.id });
    try {
      await ws.ready;
      await addTeamMember(api, owner, team, second);
      await ws.inbox.waitFor((i) => i.types(event.id).length === 1);
      expect(ws.inbox.messages[0]).toMatchObject({
        type: 'permission.granted',
        user: { id: second.id },
        role: 'VIEWER',
        my_role: 'VIEWER',
      });
    } finally {
      await ws.close();
    }
  });

  it('closes the collaborative editor of a member who leaves the team', async () => {
    const owner = await ctx.user('tlco');
    const member = await ctx.user('tlcm');
    const team = await createTeam(api, owner, [member], 'Writers');
    const event = await createEvent(api, owner);
    await shareWithTeam(api, owner, event.id, team, 'EDITOR');
    const ws = new WebSocket(ctx.url.replace(/^http/, 'ws') + `/collab/${event.id}?token=${member.access}`);
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => resolve());
      ws.on('error', reject);
    });
    expect((await api.delete(`/api/teams/${team}/members/${member.id}`, { token: owner.access })).status).toBe(200);
    expect(await closed).toBe(4403);
  });
});
