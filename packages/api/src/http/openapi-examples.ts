/**
 * Realistic request and response examples for /openapi.json, keyed by
 * operationId. They are checked against the operations' schemas by a test,
 * so they cannot drift from what the API accepts and answers.
 */

const ACCESS = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwidG9rZW5fdHlwZSI6ImFjY2VzcyJ9.kq3E0c1Gd2yYl8s1mJ6pX0bq7m7v3cK3rj6Xc2m9x1Q';
const REFRESH = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwidG9rZW5fdHlwZSI6InJlZnJlc2gifQ.0n3mRk7WcQ3o2cJ6m1oUe1oP9f9yWQ3cX8bY2rFqY4s';
const ada = { id: 1, username: 'ada', email: 'ada@example.com' };
const FEED_SECRET = 'q3Vx8mB0nZ4tK7yR1cW6pL9sD2fH5jA0eG3uN8iO4bM';
const adaRef = { id: 1, username: 'ada' };

const event = {
  id: 24,
  title: 'Planning',
  description: 'Quarterly planning',
  start_time: '2025-04-28T07:00:00Z',
  end_time: '2025-04-28T08:00:00Z',
  location: 'Board Room',
  timezone: 'Europe/Berlin',
  is_recurring: true,
  recurrence_pattern: 'FREQ=WEEKLY;BYDAY=MO',
  rrule: 'FREQ=WEEKLY;BYDAY=MO',
  tags: ['planning', 'q2'],
  metadata: { budget_code: 'OPS-7', catering: { lunch: true, people: 12 } },
  reminders: [10],
  owner_id: 1,
  version: 3,
  my_role: 'OWNER',
  created_at: '2025-04-20T10:00:00Z',
  updated_at: '2025-04-21T10:00:00Z',
};
/** A version's snapshot: the event's content, without its current version, role or bookkeeping times. */
const { version: _version, my_role: _role, created_at: _created, updated_at: _updated, ...snapshot } = event;
const permissions = [
  { user_id: 1, username: 'ada', role: 'OWNER' },
  { user_id: 2, username: 'grace', role: 'EDITOR' },
];
const team = {
  id: 7,
  name: 'Platform',
  members: [
    { user_id: 1, username: 'ada', role: 'ADMIN' },
    { user_id: 2, username: 'grace', role: 'MEMBER' },
  ],
  created_at: '2025-04-20T10:00:00Z',
};
const withRsvp = permissions.map((p) => ({ ...p, rsvp: p.role === 'OWNER' ? 'accepted' : 'tentative' }));
const invitation = {
  id: 7,
  event_id: 24,
  event_title: 'Planning',
  role: 'EDITOR',
  status: 'pending',
  message: 'Join us for the quarterly planning',
  inviter: adaRef,
  invitee: { id: 3, username: 'linus' },
  created_at: '2025-04-21T10:00:00Z',
  responded_at: null,
};
const historyEntry = {
  version_id: 57,
  version: 3,
  event_id: 24,
  history_type: '~',
  history_date: '2025-04-21T10:00:00Z',
  changed_by: adaRef,
  change_reason: null,
};

const apiToken = {
  id: 7,
  name: 'Nightly export',
  access: 'read',
  tags: null,
  event_ids: [24],
  expires_at: '2026-06-30T00:00:00Z',
  created_at: '2025-04-21T10:00:00Z',
  last_used_at: null,
};

const webhook = {
  id: 5,
  url: 'https://hooks.example.com/scheduler',
  types: ['event.created', 'event.updated'],
  event_id: null,
  tags: null,
  active: true,
  created_at: '2025-04-20T10:00:00Z',
  disabled_reason: null,
};

export interface OperationExamples {
  request?: unknown;
  response?: unknown;
}

export const OPERATION_EXAMPLES: Record<string, OperationExamples> = {
  'auth-register': {
    request: { username: 'ada', email: 'ada@example.com', password: 'correct-horse' },
    response: { access: ACCESS, refresh: REFRESH, user: ada },
  },
  'auth-login': {
    request: { username: 'ada', password: 'correct-horse' },
    response: { access: ACCESS, refresh: REFRESH, user: ada },
  },
  'auth-refresh': { request: { refresh: REFRESH }, response: { access: ACCESS, refresh: REFRESH } },
  'auth-logout': { request: { refresh: REFRESH } },
  'auth-me': { response: ada },
  'users-search': { response: [{ id: 2, username: 'grace' }] },
  'events-create': {
    request: {
      title: 'Planning',
      description: 'Quarterly planning',
      start_time: '2025-04-28 09:00',
      end_time: '2025-04-28 10:00',
      timezone: 'Europe/Berlin',
      location: 'Board Room',
      recurrence_pattern: 'FREQ=WEEKLY;BYDAY=MO',
      tags: ['Planning', 'Q2', 'planning'],
      metadata: { budget_code: 'OPS-7', catering: { lunch: true, people: 12 } },
      reminders: [10],
    },
    response: { message: 'Event created successfully', event: { ...event, version: 1, updated_at: '2025-04-20T10:00:00Z' } },
  },
  'events-list': {
    response: { results: [event], count: 1, num_pages: 1, current_page: 1, next: null, previous: null },
  },
  'events-batch': {
    request: {
      events: [
        {
          title: 'Standup',
          start_time: '2025-05-05T09:00:00+02:00',
          end_time: '2025-05-05T09:15:00+02:00',
          recurrence_pattern: 'daily',
          tags: ['team:core'],
        },
        {
          title: 'Retro',
          start_time: '2025-05-09 15:00',
          end_time: '2025-05-09 16:00',
          timezone: 'Europe/Berlin',
          recurrence_pattern: { frequency: 'weekly', interval: 2, by_weekday: ['FR'], count: 6 },
        },
      ],
    },
    response: {
      created_events: [
        {
          ...event,
          id: 25,
          title: 'Standup',
          description: '',
          location: null,
          timezone: 'UTC',
          start_time: '2025-05-05T07:00:00Z',
          end_time: '2025-05-05T07:15:00Z',
          recurrence_pattern: 'daily',
          rrule: 'FREQ=DAILY',
          tags: ['team:core'],
          metadata: {},
          version: 1,
        },
        {
          ...event,
          id: 26,
          title: 'Retro',
          description: '',
          location: null,
          start_time: '2025-05-09T13:00:00Z',
          end_time: '2025-05-09T14:00:00Z',
          recurrence_pattern: { frequency: 'weekly', interval: 2, by_weekday: ['FR'], count: 6 },
          rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=FR;COUNT=6',
          tags: [],
          metadata: {},
          version: 1,
        },
      ],
      errors: [],
    },
  },
  'events-get': { response: { ...event, permissions: withRsvp } },
  'events-update': {
    request: {
      title: 'Planning (moved)',
      start_time: '2025-04-28 10:00',
      end_time: '2025-04-28 11:00',
      timezone: 'Europe/Berlin',
      version: 3,
    },
    response: {
      message: 'Event updated successfully',
      event: { ...event, title: 'Planning (moved)', start_time: '2025-04-28T08:00:00Z', end_time: '2025-04-28T09:00:00Z', version: 4 },
    },
  },
  'events-patch': {
    request: { location: 'Room 4.01' },
    response: { message: 'Event updated successfully', event: { ...event, location: 'Room 4.01', version: 4 } },
  },
  'events-delete': { response: { message: 'Event deleted successfully' } },
  'events-occurrences': {
    response: [
      { start_time: '2025-04-28T07:00:00Z', end_time: '2025-04-28T08:00:00Z' },
      { start_time: '2025-05-05T07:00:00Z', end_time: '2025-05-05T08:00:00Z' },
    ],
  },
  'sharing-share': {
    request: {
      users: [
        { user_id: 2, role: 'EDITOR' },
        { username: 'linus', role: 'VIEWER' },
      ],
    },
    response: { message: 'Event shared successfully', permissions: [...permissions, { user_id: 3, username: 'linus', role: 'VIEWER' }] },
  },
  'sharing-list': {
    response: {
      participants: [...withRsvp, { user_id: 4, username: 'margaret', role: 'VIEWER', rsvp: 'needs_action' }].map((p) => ({
        ...p,
        granted_at: '2025-04-20T10:00:00Z',
      })),
      teams: [{ team_id: 7, name: 'Platform', role: 'VIEWER' }],
    },
  },
  'sharing-update': { request: { role: 'VIEWER' }, response: { message: 'User permission updated', user_id: 2, role: 'VIEWER' } },
  'sharing-remove': { response: { message: 'User removed from the event.' } },
  'sharing-removeTeam': { response: { message: 'Team removed from the event.' } },
  'teams-create': { request: { name: 'Platform' }, response: team },
  'teams-list': { response: [team] },
  'teams-get': { response: team },
  'teams-addMember': {
    request: { username: 'margaret', role: 'MEMBER' },
    response: { ...team, members: [...team.members, { user_id: 4, username: 'margaret', role: 'MEMBER' }] },
  },
  'teams-removeMember': { response: { ...team, members: team.members.slice(0, 1) } },
  'teams-delete': { response: { message: 'Team deleted' } },
  'invitations-create': {
    request: { username: 'linus', role: 'EDITOR', message: 'Join us for the quarterly planning' },
    response: { invitation },
  },
  'invitations-listForEvent': {
    response: [
      invitation,
      { ...invitation, id: 5, invitee: { id: 2, username: 'grace' }, status: 'accepted', responded_at: '2025-04-20T11:00:00Z' },
    ],
  },
  'invitations-list': { response: [invitation] },
  'invitations-accept': {
    response: {
      message: 'Invitation accepted',
      invitation: { ...invitation, status: 'accepted', responded_at: '2025-04-21T11:00:00Z' },
      event: { ...event, my_role: 'EDITOR' },
    },
  },
  'invitations-decline': {
    response: { message: 'Invitation declined', invitation: { ...invitation, status: 'declined', responded_at: '2025-04-21T11:00:00Z' } },
  },
  'invitations-cancel': { response: { message: 'Invitation cancelled' } },
  'rsvp-set': { request: { response: 'tentative' }, response: { event_id: 24, user_id: 2, response: 'tentative' } },
  'history-list': {
    response: [
      historyEntry,
      { ...historyEntry, version_id: 51, version: 2, history_date: '2025-04-20T12:00:00Z' },
      { ...historyEntry, version_id: 48, version: 1, history_type: '+', history_date: '2025-04-20T10:00:00Z' },
    ],
  },
  'history-get': {
    response: { ...historyEntry, ...snapshot },
  },
  'history-rollback': {
    request: { version: 3 },
    response: { message: 'Event rolled back successfully', event: { ...event, title: 'Planning', version: 4 } },
  },
  'history-changelog': {
    response: [
      {
        history_id: 48,
        version: 1,
        history_date: '2025-04-20T10:00:00Z',
        history_type: '+',
        changed_by: adaRef,
        change_reason: null,
        changed_fields: {},
      },
      {
        history_id: 51,
        version: 2,
        history_date: '2025-04-20T12:00:00Z',
        history_type: '~',
        changed_by: adaRef,
        change_reason: null,
        changed_fields: {
          title: { from: 'Plan', to: 'Planning' },
          location: { from: null, to: 'Board Room' },
          tags: { from: ['planning'], to: ['planning', 'q2'] },
        },
      },
    ],
  },
  'history-diff': {
    response: {
      title: { version_1: 'Plan', version_2: 'Planning' },
      description: {
        version_1: 'Quarterly plan',
        version_2: 'Quarterly planning',
        ops: [
          { op: 'equal', text: 'Quarterly ' },
          { op: 'delete', text: 'plan' },
          { op: 'insert', text: 'planning' },
        ],
      },
    },
  },
  'history-audit': {
    response: {
      results: [
        {
          id: 9,
          action: 'event.update',
          target_type: 'event',
          target_id: '24',
          at: '2025-04-21T10:00:00Z',
          request_id: '6f1c0e1a-3d5b-4f55-9a8e-2f0b6f1c2d3e',
          ip: '203.0.113.7',
        },
        {
          id: 8,
          action: 'login',
          target_type: null,
          target_id: null,
          at: '2025-04-21T09:58:12Z',
          request_id: '0b7e4c52-8f7a-4d3e-a1c2-9d8e7f6a5b4c',
          ip: '203.0.113.7',
        },
      ],
      count: 2,
      num_pages: 1,
      current_page: 1,
    },
  },
  'tags-list': {
    response: [
      { tag: 'planning', count: 7 },
      { tag: 'q2', count: 3 },
      { tag: 'team:core', count: 3 },
    ],
  },
  'tokens-create': {
    request: { name: 'Nightly export', access: 'read', event_ids: [24], expires_at: '2026-06-30T00:00:00Z' },
    response: { ...apiToken, token: 'evt_9kT1mZ0qYwVb3N8xR2cL5pHs7dJ4fG6aE1uQ0iO3vXy' },
  },
  'tokens-list': { response: [{ ...apiToken, last_used_at: '2025-04-22T06:00:12Z' }] },
  'tokens-revoke': { response: { message: 'Token revoked' } },
  'calendar-createFeed': { response: { url: `https://cal.example.com/api/calendar/${FEED_SECRET}.ics` } },
  'calendar-deleteFeed': { response: { message: 'Calendar feed turned off' } },
  'calendar-feed': {
    response: [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//Event Scheduler//Calendar feed//EN',
      'NAME:ada (Event Scheduler)',
      'X-WR-CALNAME:ada (Event Scheduler)',
      'BEGIN:VTIMEZONE',
      'TZID:Europe/Berlin',
      'BEGIN:DAYLIGHT',
      'TZNAME:CEST',
      'TZOFFSETFROM:+0100',
      'TZOFFSETTO:+0200',
      'DTSTART:19700329T020000',
      'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
      'END:DAYLIGHT',
      'BEGIN:STANDARD',
      'TZNAME:CET',
      'TZOFFSETFROM:+0200',
      'TZOFFSETTO:+0100',
      'DTSTART:19701025T030000',
      'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
      'END:STANDARD',
      'END:VTIMEZONE',
      'BEGIN:VEVENT',
      'UID:event-24@event-scheduler',
      'SEQUENCE:2',
      'DTSTAMP:20250421T100000Z',
      'DTSTART;TZID=Europe/Berlin:20250428T090000',
      'DTEND;TZID=Europe/Berlin:20250428T100000',
      'RRULE:FREQ=WEEKLY;BYDAY=MO',
      'SUMMARY:Planning',
      'LOCATION:Board Room',
      'DESCRIPTION:Quarterly planning',
      'CREATED:20250420T100000Z',
      'LAST-MODIFIED:20250421T100000Z',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\r\n'),
  },
  'calendar-import': {
    request: [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//Example//Calendar//EN',
      'BEGIN:VEVENT',
      'UID:planning@example.com',
      'DTSTAMP:20250421T100000Z',
      'DTSTART;TZID=Europe/Berlin:20250428T090000',
      'DTEND;TZID=Europe/Berlin:20250428T100000',
      'RRULE:FREQ=WEEKLY;BYDAY=MO',
      'SUMMARY:Planning',
      'LOCATION:Board Room',
      'DESCRIPTION:Quarterly planning',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\r\n'),
    response: { created_events: [{ ...event, version: 1 }], errors: [] },
  },
  'freebusy-busy': {
    request: { users: [1, 'grace'], start: '2025-04-28T00:00:00Z', end: '2025-05-03T00:00:00Z' },
    response: {
      users: {
        '1': {
          busy: [
            { start: '2025-04-28T07:00:00Z', end: '2025-04-28T08:30:00Z' },
            { start: '2025-04-30T12:00:00Z', end: '2025-04-30T13:00:00Z' },
          ],
        },
        '2': { busy: [{ start: '2025-04-28T08:00:00Z', end: '2025-04-28T09:00:00Z' }] },
      },
    },
  },
  'freebusy-suggest': {
    request: {
      users: [1, 'grace'],
      duration_minutes: 60,
      start: '2025-04-28T00:00:00Z',
      end: '2025-05-03T00:00:00Z',
      timezone: 'Europe/Berlin',
      working_hours: { start: '09:00', end: '17:00' },
      limit: 3,
    },
    response: {
      slots: [
        { start: '2025-04-28T09:00:00Z', end: '2025-04-28T10:00:00Z' },
        { start: '2025-04-28T10:00:00Z', end: '2025-04-28T11:00:00Z' },
        { start: '2025-04-28T11:00:00Z', end: '2025-04-28T12:00:00Z' },
      ],
    },
  },
  'live-sync': {
    response: {
      changes: [
        { event_id: 24, version_id: 57, type: 'upsert', event },
        { event_id: 19, version_id: null, type: 'removed' },
      ],
      next_cursor: '1042',
      has_more: false,
    },
  },
  'webhooks-create': {
    request: { url: 'https://hooks.example.com/scheduler', types: ['event.created', 'event.updated'] },
    response: { ...webhook, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw2Q3a3ZDFkWE=' },
  },
  'webhooks-list': { response: [webhook] },
  'webhooks-get': { response: webhook },
  'webhooks-delete': { response: { message: 'Webhook deleted' } },
  'webhooks-deliveries': {
    response: [
      {
        id: 311,
        message_id: 'msg_1042',
        type: 'event.updated',
        attempt: 2,
        status_code: 200,
        ok: true,
        error: null,
        at: '2025-04-21T10:00:07Z',
      },
      {
        id: 310,
        message_id: 'msg_1042',
        type: 'event.updated',
        attempt: 1,
        status_code: 503,
        ok: false,
        error: 'HTTP 503',
        at: '2025-04-21T10:00:01Z',
      },
    ],
  },
  'webhooks-ping': { response: { message: 'Ping queued', message_id: 'msg_ping_Qm9vdHN0cmFwcGluZw' } },
};

/** Examples of query and path parameters, by name (checked against each parameter's schema). */
export const PARAMETER_EXAMPLES: Record<string, unknown> = {
  id: 24,
  user_id: 2,
  version_id: 51,
  version_id1: 48,
  version_id2: 57,
  as_of: '2025-04-20T12:00:00Z',
  start_date: '2025-04-01T00:00:00Z',
  end_date: '2025-04-30T23:59:59Z',
  from: '2025-04-01T00:00:00Z',
  to: '2025-06-30T00:00:00Z',
  q: 'planning',
  tags: ['planning', 'q2'],
  tags_mode: 'all',
  search: 'gr',
  status: 'pending',
  secret: FEED_SECRET,
};
