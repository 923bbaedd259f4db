import { describe, expect, it } from 'vitest';
import { createEvent } from './support/events.ts';
import { useTestServer } from './support/test-context.ts';

const ctx = useTestServer();
const { api } = ctx;

/** Zone-less times are read in the event's timezone when the body gives one, else UTC (the contract's Conventions). */
describe('times without a zone', () => {
  it('reads them in the timezone the body gives, as Google Calendar does', async () => {
    const user = await ctx.user('zoned');
    const event = await createEvent(api, user, {
      title: 'Berlin morning',
      start_time: '2025-03-28T09:00:00',
      end_time: '2025-03-28 10:30',
      timezone: 'Europe/Berlin',
    });
    expect(event).toMatchObject({ start_time: '2025-03-28T08:00:00Z', end_time: '2025-03-28T09:30:00Z', timezone: 'Europe/Berlin' });
  });

  it('reads them in summer time after the DST change, and keeps a weekly series at 09:00 local', async () => {
    const user = await ctx.user('dst');
    // Berlin moves to summer time on 30 March 2025; 09:00 on the 31st is 07:00Z.
    const event = await createEvent(api, user, {
      title: 'Standup',
      start_time: '2025-03-31 9:00',
      end_time: '2025-03-31T09:15',
      timezone: 'Europe/Berlin',
      recurrence_pattern: 'weekly',
    });
    expect(event).toMatchObject({ start_time: '2025-03-31T07:00:00Z', end_time: '2025-03-31T07:15:00Z' });
    // A zone-less time in the hour the clocks skip is moved forward by the gap.
    const skipped = await createEvent(api, user, {
      title: 'Night shift',
      start_time: '2025-03-30T02:30',
      end_time: '2025-03-30T04:00',
      timezone: 'Europe/Berlin',
    });
    expect(skipped).toMatchObject({ start_time: '2025-03-30T01:30:00Z', end_time: '2025-03-30T02:00:00Z' });
  });

  it('leaves times with Z or an offset as they are, and reads zone-less ones as UTC without a timezone', async () => {
    const user = await ctx.user('utc');
    const withOffset = await createEvent(api, user, {
      title: 'Offset wins',
      start_time: '2025-03-28T09:00:00Z',
      end_time: '2025-03-28T12:00:00+02:00',
      timezone: 'Europe/Berlin',
    });
    expect(withOffset).toMatchObject({ start_time: '2025-03-28T09:00:00Z', end_time: '2025-03-28T10:00:00Z' });
    const noZone = await createEvent(api, user, { title: 'Plain', start_time: '2025-04-27 8:05', end_time: '2025-04-27T09:00' });
    expect(noZone).toMatchObject({ start_time: '2025-04-27T08:05:00Z', end_time: '2025-04-27T09:00:00Z', timezone: 'UTC' });
  });

  it('on update, reads them in the timezone the update gives, else UTC', async () => {
    const user = await ctx.user('update');
    const event = await createEvent(api, user, {
      title: 'Tokyo call',
      start_time: '2025-05-01T09:00',
      end_time: '2025-05-01T10:00',
      timezone: 'Asia/Tokyo',
    });
    expect(event).toMatchObject({ start_time: '2025-05-01T00:00:00Z', end_time: '2025-05-01T01:00:00Z' });
    const zoned = await api.patch(`/api/events/${event.id}`, {
      token: user.access,
      body: { start_time: '2025-05-02T09:00', end_time: '2025-05-02T10:00', timezone: 'America/New_York' },
    });
    expect(zoned.status).toBe(200);
    expect(zoned.body.event).toMatchObject({
      start_time: '2025-05-02T13:00:00Z',
      end_time: '2025-05-02T14:00:00Z',
      timezone: 'America/New_York',
    });
    const plain = await api.patch(`/api/events/${event.id}`, {
      token: user.access,
      body: { start_time: '2025-05-02T12:00', end_time: '2025-05-02 14:00' },
    });
    expect(plain.status).toBe(200);
    expect(plain.body.event).toMatchObject({
      start_time: '2025-05-02T12:00:00Z',
      end_time: '2025-05-02T14:00:00Z',
      timezone: 'America/New_York',
    });
  });

  it('reads each batch item in its own timezone', async () => {
    const user = await ctx.user('batch');
    const res = await api.post('/api/events/batch', {
      token: user.access,
      body: [
        { title: 'Paris', start_time: '2025-07-01T09:00', end_time: '2025-07-01T10:00', timezone: 'Europe/Paris' },
        { title: 'UTC', start_time: '2025-07-02T09:00', end_time: '2025-07-02T10:00' },
      ],
    });
    expect(res.status).toBe(201);
    expect(res.body.created_events.map((e: { start_time: string }) => e.start_time)).toEqual([
      '2025-07-01T07:00:00Z',
      '2025-07-02T09:00:00Z',
    ]);
  });

  it('refuses a time that is not one, naming the field', async () => {
    const user = await ctx.user('bad');
    const res = await api.post('/api/events', {
      token: user.access,
      body: { title: 'Bad', start_time: '28/03/2025 09:00', end_time: '2025-03-28T10:00', timezone: 'Europe/Berlin' },
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ path: 'start_time' }] });
  });
});
