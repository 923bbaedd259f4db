import { describe, expect, it } from 'vitest';
import { historyHelpers, mirror, NEVER_COMPARED, rebuild } from './support/history.ts';
import { useTestServer } from './support/test-context.ts';

/** GET /api/events/{id}/diff/{a}/{b}: field and word differences between two versions. */
const ctx = useTestServer();
const { api } = ctx;
const { changelogOf, diffOf, versionIds, update, threeVersions } = historyHelpers(api);

describe('diff', () => {
  it('shows only differing fields, mirrored when the order is swapped', async () => {
    const owner = await ctx.user('diff');
    const { id, v1, v3 } = await threeVersions(owner);
    const forward = await diffOf(owner, id, v1, v3);
    expect(forward).toEqual({
      title: { version_1: 'Quarterly planning', version_2: 'Quarterly planning meeting' },
      description: { version_1: 'Discuss the budget', version_2: 'Discuss the revised budget and hiring' },
    });
    const backward = await diffOf(owner, id, v3, v1);
    expect(Object.keys(backward).sort()).toEqual(Object.keys(forward).sort());
    for (const [field, change] of Object.entries(forward)) {
      expect(backward[field]).toEqual({ version_1: change.version_2, version_2: change.version_1 });
    }
    expect(await diffOf(owner, id, v1, v1)).toEqual({});
    expect(await diffOf(owner, id, v3, v3, '?detail=true')).toEqual({});
  });

  it('compares every content field, and only those', async () => {
    const owner = await ctx.user('difffields');
    const created = await api.post('/api/events', {
      token: owner.access,
      body: {
        title: 'Design review',
        description: 'Review the new design',
        start_time: '2063-01-10T10:00:00Z',
        end_time: '2063-01-10T11:00:00Z',
      },
    });
    const id = created.body.event.id as number;
    await update(owner, id, {
      title: 'Design review round two',
      location: 'Lab',
      timezone: 'Europe/Paris',
      start_time: '2063-01-11T08:30:00+01:00',
      end_time: '2063-01-11T09:45:00+01:00',
      recurrence_pattern: { frequency: 'weekly', interval: 2 },
    });
    const [v1, v2] = await versionIds(owner, id);
    const forward = await diffOf(owner, id, v1!, v2!);
    expect(forward).toEqual({
      title: { version_1: 'Design review', version_2: 'Design review round two' },
      start_time: { version_1: '2063-01-10T10:00:00Z', version_2: '2063-01-11T07:30:00Z' },
      end_time: { version_1: '2063-01-10T11:00:00Z', version_2: '2063-01-11T08:45:00Z' },
      location: { version_1: null, version_2: 'Lab' },
      timezone: { version_1: 'UTC', version_2: 'Europe/Paris' },
      is_recurring: { version_1: false, version_2: true },
      recurrence_pattern: { version_1: null, version_2: { frequency: 'weekly', interval: 2 } },
    });
    // The version, rrule, ids and timestamps changed too, but are never compared.
    for (const field of NEVER_COMPARED) expect(forward).not.toHaveProperty(field);
    const backward = await diffOf(owner, id, v2!, v1!);
    expect(backward).toEqual(
      Object.fromEntries(Object.entries(forward).map(([field, c]) => [field, { version_1: c.version_2, version_2: c.version_1 }])),
    );
  });

  it('treats a recurrence object with its keys in another order as unchanged', async () => {
    const owner = await ctx.user('diffkeys');
    const event = await ctx.event(owner, { title: 'Keys', recurrence_pattern: { frequency: 'weekly', interval: 2 } });
    // Re-ordered keys are the same pattern: no version at all...
    expect((await update(owner, event.id, { recurrence_pattern: { interval: 2, frequency: 'weekly' } })).version).toBe(1);
    // ...and beside a real change the pattern does not show in the diff.
    await update(owner, event.id, { recurrence_pattern: { interval: 2, frequency: 'weekly' }, title: 'Keys 2' });
    const [v1, v2] = await versionIds(owner, event.id);
    expect(Object.keys(await diffOf(owner, event.id, v1!, v2!))).toEqual(['title']);
    expect((await changelogOf(owner, event.id))[1]!.changed_fields).toEqual({ title: { from: 'Keys', to: 'Keys 2' } });
  });

  it('adds word-level ops with detail=true that rebuild both texts', async () => {
    const owner = await ctx.user('words');
    const { id, v1, v3 } = await threeVersions(owner);
    const res = await diffOf(owner, id, v1, v3, '?detail=true');
    const ops = res['description']!.ops!;
    expect(rebuild(ops, 'delete')).toBe('Discuss the budget');
    expect(rebuild(ops, 'insert')).toBe('Discuss the revised budget and hiring');
    expect(ops).toContainEqual({ op: 'insert', text: expect.stringContaining('revised') });
    expect(ops.filter((o) => o.op === 'delete')).toEqual([]);
    for (const o of ops) expect(['equal', 'insert', 'delete']).toContain(o.op);
    // Neighbouring ops never share a kind.
    for (let i = 1; i < ops.length; i++) expect(ops[i]!.op).not.toBe(ops[i - 1]!.op);
    const swapped = await diffOf(owner, id, v3, v1, '?detail=true');
    expect(swapped['description']!.ops).toEqual(mirror(ops));
    expect(swapped['title']!.ops).toEqual(mirror(res['title']!.ops!));
    // The values themselves are the same as without detail.
    const plain = await diffOf(owner, id, v1, v3);
    const withoutOps = Object.fromEntries(Object.entries(res).map(([field, { ops: _ops, ...rest }]) => [field, rest]));
    expect(withoutOps).toEqual(plain);
    expect(await diffOf(owner, id, v1, v3, '?detail=false')).toEqual(plain);
  });

  it('gives ops for title, description and location only', async () => {
    const owner = await ctx.user('opsfields');
    const event = await ctx.event(owner, {
      title: 'Board meeting',
      description: 'Agenda: budget',
      start_time: '2064-02-02T09:00:00Z',
      end_time: '2064-02-02T10:00:00Z',
    });
    await update(owner, event.id, {
      title: 'Board offsite',
      description: 'Agenda: budget, hiring',
      location: 'Main office',
      start_time: '2064-02-03T09:00:00Z',
      end_time: '2064-02-03T10:00:00Z',
      timezone: 'Asia/Tokyo',
    });
    const [v1, v2] = await versionIds(owner, event.id);
    const detail = await diffOf(owner, event.id, v1!, v2!, '?detail=1');
    expect(Object.keys(detail).sort()).toEqual(['description', 'end_time', 'location', 'start_time', 'timezone', 'title']);
    expect(detail['location']).toEqual({ version_1: null, version_2: 'Main office', ops: [{ op: 'insert', text: 'Main office' }] });
    expect(detail['title']!.ops).toEqual([
      { op: 'equal', text: 'Board ' },
      { op: 'delete', text: 'meeting' },
      { op: 'insert', text: 'offsite' },
    ]);
    for (const field of ['title', 'description', 'location']) {
      const { version_1, version_2, ops } = detail[field]!;
      expect(rebuild(ops!, 'delete')).toBe(version_1 ?? '');
      expect(rebuild(ops!, 'insert')).toBe(version_2 ?? '');
    }
    for (const field of ['start_time', 'end_time', 'timezone']) expect(detail[field]).not.toHaveProperty('ops');
    const back = await diffOf(owner, event.id, v2!, v1!, '?detail=true');
    expect(back['location']).toEqual({ version_1: 'Main office', version_2: null, ops: [{ op: 'delete', text: 'Main office' }] });
    expect(back['title']!.ops).toEqual([
      { op: 'equal', text: 'Board ' },
      { op: 'delete', text: 'offsite' },
      { op: 'insert', text: 'meeting' },
    ]);
    for (const field of Object.keys(detail)) {
      expect(back[field]!.version_1).toEqual(detail[field]!.version_2);
      expect(back[field]!.version_2).toEqual(detail[field]!.version_1);
      if (detail[field]!.ops) expect(back[field]!.ops).toEqual(mirror(detail[field]!.ops));
    }
  });
  it('word ops survive punctuation, newlines and runs of spaces', async () => {
    const owner = await ctx.user('opstext');
    const before = 'Agenda:\n- budget  review.\n- hiring';
    const after = 'Agenda:\n- budget review!\n\n- hiring, onboarding';
    const event = await ctx.event(owner, { description: before });
    await update(owner, event.id, { description: after });
    const [v1, v2] = await versionIds(owner, event.id);
    const forward = await diffOf(owner, event.id, v1!, v2!, '?detail=true');
    const ops = forward['description']!.ops!;
    expect(rebuild(ops, 'delete')).toBe(before);
    expect(rebuild(ops, 'insert')).toBe(after);
    expect(ops[0]).toEqual({ op: 'equal', text: expect.stringContaining('Agenda:') });
    const backward = await diffOf(owner, event.id, v2!, v1!, '?detail=true');
    expect(backward['description']!.ops).toEqual(mirror(ops));
    expect(rebuild(backward['description']!.ops!, 'delete')).toBe(after);
    expect(rebuild(backward['description']!.ops!, 'insert')).toBe(before);
  });
});
