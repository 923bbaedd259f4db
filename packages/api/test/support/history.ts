import { expect } from 'vitest';
import { createEvent } from './events.ts';
import { errorBody, type ApiClient, type ApiResponse, type TestUser } from './http.ts';

/** What the history tests share: response types, field lists, endpoint helpers, word-op helpers. */
export const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
/** The fields history compares, and the ones it must never report. */
export const CONTENT_FIELDS = [
  'title',
  'description',
  'start_time',
  'end_time',
  'location',
  'timezone',
  'is_recurring',
  'recurrence_pattern',
  'tags',
  'metadata',
  'reminders',
];
export const NEVER_COMPARED = ['id', 'owner_id', 'version', 'rrule', 'created_at', 'updated_at', 'series_end', 'my_role'];

export type HistoryEntry = {
  version_id: number;
  version: number;
  event_id: number;
  history_type: '+' | '~' | '-';
  history_date: string;
  changed_by: { id: number; username: string } | null;
  change_reason: string | null;
};
export type ChangelogEntry = {
  history_id: number;
  version: number;
  history_date: string;
  history_type: '+' | '~' | '-';
  changed_by: { id: number; username: string } | null;
  change_reason: string | null;
  changed_fields: Record<string, { from: unknown; to: unknown }>;
};
export type Op = { op: 'equal' | 'insert' | 'delete'; text: string };
export type FieldDiff = { version_1: unknown; version_2: unknown; ops?: Op[] };

export const ref = (user: TestUser) => ({ id: user.id, username: user.username });

export function expectStatus(res: ApiResponse, status: number, code: string) {
  expect(res.status, res.text).toBe(status);
  expect(errorBody(res).code).toBe(code);
}

/** The history endpoints as one test sees them, through `api`. */
export function historyHelpers(api: ApiClient) {
  async function historyOf(user: TestUser, id: number, query = ''): Promise<HistoryEntry[]> {
    const res = await api.get<HistoryEntry[]>(`/api/events/${id}/history${query}`, { token: user.access });
    expect(res.status).toBe(200);
    return res.body;
  }

  async function changelogOf(user: TestUser, id: number, query = ''): Promise<ChangelogEntry[]> {
    const res = await api.get<ChangelogEntry[]>(`/api/events/${id}/changelog${query}`, { token: user.access });
    expect(res.status).toBe(200);
    return res.body;
  }

  async function diffOf(user: TestUser, id: number, a: number, b: number, query = ''): Promise<Record<string, FieldDiff>> {
    const res = await api.get<Record<string, FieldDiff>>(`/api/events/${id}/diff/${a}/${b}${query}`, { token: user.access });
    expect(res.status).toBe(200);
    return res.body;
  }

  /** version_ids oldest first (index 0 = version 1). */
  async function versionIds(user: TestUser, id: number): Promise<number[]> {
    return (await historyOf(user, id)).map((h) => h.version_id).reverse();
  }

  async function update(user: TestUser, id: number, body: Record<string, unknown>, headers: Record<string, string> = {}) {
    const res = await api.patch<{ event: Record<string, unknown> & { version: number } }>(`/api/events/${id}`, {
      token: user.access,
      body,
      headers,
    });
    expect(res.status, res.text).toBe(200);
    return res.body.event;
  }

  /** An event with three versions: created, retitled, described. */
  async function threeVersions(owner: TestUser) {
    const event = await createEvent(api, owner, { title: 'Quarterly planning', description: 'Discuss the budget' });
    await api.put(`/api/events/${event.id}`, { token: owner.access, body: { title: 'Quarterly planning meeting' } });
    await api.patch(`/api/events/${event.id}`, { token: owner.access, body: { description: 'Discuss the revised budget and hiring' } });
    const history = await historyOf(owner, event.id);
    const [v3, v2, v1] = history;
    return { id: event.id, v1: v1!.version_id, v2: v2!.version_id, v3: v3!.version_id, event };
  }
  return { historyOf, changelogOf, diffOf, versionIds, update, threeVersions };
}

/** Rebuilds the two texts a list of word ops was made from. */
export const rebuild = (ops: Op[], keep: 'delete' | 'insert') =>
  ops
    .filter((o) => o.op === 'equal' || o.op === keep)
    .map((o) => o.text)
    .join('');
const flip = (ops: Op[]) => ops.map((o) => ({ op: o.op === 'insert' ? 'delete' : o.op === 'delete' ? 'insert' : 'equal', text: o.text }));
/**
 * The ops of the swapped diff: inserts and deletes trade places. A replaced
 * word is always written delete-then-insert, so within a run of changes the
 * mirrored ops come back in that order.
 */
export function mirror(ops: Op[]): Op[] {
  const out: Op[] = [];
  let run: Op[] = [];
  const flush = () => {
    out.push(...run.filter((o) => o.op === 'delete'), ...run.filter((o) => o.op === 'insert'));
    run = [];
  };
  for (const o of flip(ops) as Op[]) {
    if (o.op === 'equal') {
      flush();
      out.push(o);
    } else run.push(o);
  }
  flush();
  return out;
}
