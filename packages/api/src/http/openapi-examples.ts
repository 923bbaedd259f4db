/**
 * Realistic request and response examples for /openapi.json, keyed by
 * operationId. They are checked against the operations' schemas by a test,
 * so they cannot drift from what the API accepts and answers.
 */

const ACCESS = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwidG9rZW5fdHlwZSI6ImFjY2VzcyJ9.kq3E0c1Gd2yYl8s1mJ6pX0bq7m7v3cK3rj6Xc2m9x1Q';
const REFRESH = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwidG9rZW5fdHlwZSI6InJlZnJlc2gifQ.0n3mRk7WcQ3o2cJ6m1oUe1oP9f9yWQ3cX8bY2rFqY4s';
const ada = { id: 1, username: 'ada', email: 'ada@example.com' };
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
const historyEntry = {
  version_id: 57,
  version: 3,
  event_id: 24,
  history_type: '~',
  history_date: '2025-04-21T10:00:00Z',
  changed_by: adaRef,
  change_reason: null,
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
    },
    response: { message: 'Event created successfully', event: { ...event, version: 1, updated_at: '2025-04-20T10:00:00Z' } },
  },
  'events-list': {
    response: { results: [event], count: 1, num_pages: 1, current_page: 1, next: null, previous: null },
  },
  'events-batch': {
    request: {
      events: [
        { title: 'Standup', start_time: '2025-05-05T09:00:00+02:00', end_time: '2025-05-05T09:15:00+02:00', recurrence_pattern: 'daily' },
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
          version: 1,
        },
      ],
      errors: [],
    },
  },
  'events-get': { response: { ...event, permissions } },
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
    response: { participants: permissions.map((p) => ({ ...p, granted_at: '2025-04-20T10:00:00Z' })) },
  },
  'sharing-update': { request: { role: 'VIEWER' }, response: { message: 'User permission updated', user_id: 2, role: 'VIEWER' } },
  'sharing-remove': { response: { message: 'User removed from the event.' } },
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
        changed_fields: { title: { from: 'Plan', to: 'Planning' }, location: { from: null, to: 'Board Room' } },
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
  search: 'gr',
};
