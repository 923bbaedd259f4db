import type { TRPCClient } from '@trpc/client';
import type { inferRouterInputs } from '@trpc/server';
import { describe, expectTypeOf, it } from 'vitest';
import type { AppRouter } from '../src/index.ts';

/**
 * The typed client refuses at compile time what the server refuses at run
 * time. These checks run in `tsc` (`npm run typecheck`); vitest only lists them.
 */
type Inputs = inferRouterInputs<AppRouter>;
type Role = 'OWNER' | 'EDITOR' | 'VIEWER';
type RoleSpelling = Role | Lowercase<Role> | Capitalize<Lowercase<Role>>;
type GrantSpelling = Exclude<RoleSpelling, 'OWNER' | 'owner' | 'Owner'>;

/** `never` unless some top-level input field of some procedure is typed `unknown` (or `any`). */
type LooseFields = {
  [Area in keyof Inputs]: {
    [Name in keyof Inputs[Area]]: {
      [Field in keyof NonNullable<Inputs[Area][Name]>]-?: unknown extends NonNullable<Inputs[Area][Name]>[Field]
        ? `${Area & string}.${Name & string}.${Field & string}`
        : never;
    }[keyof NonNullable<Inputs[Area][Name]>];
  }[keyof Inputs[Area]];
}[keyof Inputs];

describe('procedure input types', () => {
  it('no procedure takes a field typed unknown', () => {
    expectTypeOf<LooseFields>().toEqualTypeOf<never>();
  });

  it('auth and users', () => {
    expectTypeOf<Inputs['auth']['register']>().toEqualTypeOf<{ username: string; email: string; password: string }>();
    expectTypeOf<Inputs['auth']['login']>().toEqualTypeOf<{
      username?: string | undefined;
      email?: string | undefined;
      password: string;
      grant_type?: 'password' | undefined;
    }>();
    expectTypeOf<Inputs['auth']['refresh']>().toEqualTypeOf<{ refresh: string }>();
    expectTypeOf<Inputs['auth']['logout']>().toEqualTypeOf<{ refresh: string }>();
    expectTypeOf<Inputs['auth']['me']>().toEqualTypeOf<Record<string, never>>();
    expectTypeOf<Inputs['users']['search']>().toEqualTypeOf<{ search?: string | undefined }>();
  });

  it('events', () => {
    type List = Inputs['events']['list'];
    expectTypeOf<List['page']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<List['page_size']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<List['skip']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<List['limit']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<List['is_recurring']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<List['expand']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<List['role']>().toEqualTypeOf<RoleSpelling | undefined>();
    expectTypeOf<List['sort']>().toEqualTypeOf<'start_time' | '-start_time' | 'updated_at' | '-updated_at' | 'title' | undefined>();
    expectTypeOf<List['start_date']>().toEqualTypeOf<string | undefined>();

    expectTypeOf<Inputs['events']['get']>().toEqualTypeOf<{ id: number; as_of?: string | undefined }>();
    expectTypeOf<Inputs['events']['delete']>().toEqualTypeOf<{ id: number }>();
    expectTypeOf<Inputs['events']['occurrences']>().toEqualTypeOf<{ id: number; from?: string | undefined; to?: string | undefined }>();
    for (const update of [{} as Inputs['events']['update'], {} as Inputs['events']['patch']]) {
      expectTypeOf(update.id).toEqualTypeOf<number>();
      expectTypeOf(update.version).toEqualTypeOf<number | undefined>();
      expectTypeOf(update.is_recurring).toEqualTypeOf<boolean | undefined>();
      expectTypeOf(update.on_conflict).toEqualTypeOf<'reject' | 'allow' | undefined>();
    }
    type Create = Inputs['events']['create'];
    expectTypeOf<Create['title']>().toEqualTypeOf<string>();
    expectTypeOf<Create['is_recurring']>().toEqualTypeOf<boolean | undefined>();
    type Batch = Inputs['events']['batch'];
    expectTypeOf<Batch['events'][number]>().toEqualTypeOf<Create extends infer C ? Omit<C, 'on_conflict'> : never>();
    expectTypeOf<Batch['atomic']>().toEqualTypeOf<boolean | undefined>();
  });

  it('recurrence objects', () => {
    type Pattern = Exclude<Inputs['events']['create']['recurrence_pattern'], string | null | undefined>;
    expectTypeOf<Pattern['frequency']>().toEqualTypeOf<
      | 'daily'
      | 'weekly'
      | 'monthly'
      | 'yearly'
      | 'DAILY'
      | 'WEEKLY'
      | 'MONTHLY'
      | 'YEARLY'
      | 'Daily'
      | 'Weekly'
      | 'Monthly'
      | 'Yearly'
      | undefined
    >();
    expectTypeOf<Pattern['interval']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<NonNullable<Pattern['by_weekday']>[number]>().toExtend<string>();
  });

  it('sharing', () => {
    type Share = Inputs['sharing']['share'];
    expectTypeOf<Share['id']>().toEqualTypeOf<number>();
    expectTypeOf<Share['user_id']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Share['role']>().toEqualTypeOf<GrantSpelling | undefined>();
    expectTypeOf<NonNullable<Share['users']>[number]['role']>().toEqualTypeOf<GrantSpelling>();
    expectTypeOf<Inputs['sharing']['list']>().toEqualTypeOf<{ id: number }>();
    expectTypeOf<Inputs['sharing']['update']>().toEqualTypeOf<{ id: number; user_id: number; role: GrantSpelling }>();
    expectTypeOf<Inputs['sharing']['remove']>().toEqualTypeOf<{ id: number; user_id: number }>();
  });

  it('history and audit', () => {
    expectTypeOf<Inputs['history']['list']>().toEqualTypeOf<{ id: number; limit?: number | undefined; cursor?: number | undefined }>();
    expectTypeOf<Inputs['history']['changelog']>().toEqualTypeOf<{ id: number; limit?: number | undefined; cursor?: number | undefined }>();
    expectTypeOf<Inputs['history']['get']>().toEqualTypeOf<{ id: number; version_id: number }>();
    expectTypeOf<Inputs['history']['rollback']>().toEqualTypeOf<{
      id: number;
      version_id: number;
      version?: number | undefined;
      on_conflict?: 'reject' | 'allow' | undefined;
    }>();
    expectTypeOf<Inputs['history']['diff']>().toEqualTypeOf<{
      id: number;
      version_id1: number;
      version_id2: number;
      detail?: boolean | undefined;
    }>();
    expectTypeOf<Inputs['history']['audit']>().toEqualTypeOf<{ page?: number | undefined; page_size?: number | undefined }>();
  });

  it('live', () => {
    expectTypeOf<Inputs['live']['sync']>().toEqualTypeOf<{ cursor?: string | undefined; limit?: number | undefined }>();
    expectTypeOf<Inputs['live']['onChange']>().toEqualTypeOf<{ event_id?: number | undefined; lastEventId?: string | null | undefined }>();
    expectTypeOf<Inputs['live']['cursor']>().toEqualTypeOf<void>();
  });
});

/** Calls that must not compile; never run (tsc checks every `@ts-expect-error`). */
export function refusedCalls(client: TRPCClient<AppRouter>): void {
  // @ts-expect-error role, page_size and is_recurring are typed
  void client.events.list.query({ role: 'BOSS', page_size: 'lots', is_recurring: 'maybe' });
  // @ts-expect-error page is a number, not a string
  void client.events.list.query({ page: '2' });
  // @ts-expect-error expand is a boolean
  void client.events.list.query({ expand: 'true' });
  // @ts-expect-error ids are numbers
  void client.events.get.query({ id: '12' });
  // @ts-expect-error version is a number
  void client.events.update.mutate({ id: 1, version: '3' });
  // @ts-expect-error is_recurring is a boolean
  void client.events.create.mutate({ title: 't', start_time: 's', end_time: 'e', is_recurring: 'yes' });
  // @ts-expect-error frequency is one of four words
  void client.events.create.mutate({ title: 't', start_time: 's', end_time: 'e', recurrence_pattern: { frequency: 'fortnightly' } });
  // @ts-expect-error batch items are event fields
  void client.events.batch.mutate({ events: [{ title: 42 }] });
  // @ts-expect-error atomic is a boolean
  void client.events.batch.mutate({ events: [], atomic: 'false' });
  // @ts-expect-error OWNER cannot be granted
  void client.sharing.share.mutate({ id: 1, user_id: 2, role: 'OWNER' });
  // @ts-expect-error user ids are numbers
  void client.sharing.update.mutate({ id: 1, user_id: '2', role: 'VIEWER' });
  // @ts-expect-error ids are numbers
  void client.sharing.remove.mutate({ id: 1, user_id: '2' });
  // @ts-expect-error ids are numbers
  void client.sharing.list.query({ id: '1' });
  // @ts-expect-error limit is a number
  void client.history.list.query({ id: 1, limit: '10' });
  // @ts-expect-error cursor is a version id (number)
  void client.history.changelog.query({ id: 1, cursor: 'abc' });
  // @ts-expect-error version ids are numbers
  void client.history.get.query({ id: 1, version_id: '2' });
  // @ts-expect-error version ids are numbers
  void client.history.diff.query({ id: 1, version_id1: 1, version_id2: 2, detail: 'yes' });
  // @ts-expect-error version is a number
  void client.history.rollback.mutate({ id: 1, version_id: 2, version: 'latest' });
  // @ts-expect-error page is a number
  void client.history.audit.query({ page: 'first' });
  // @ts-expect-error limit is a number
  void client.live.sync.query({ limit: 'all' });
  // @ts-expect-error password is required
  void client.auth.login.mutate({ email: 'a@b.co' });
  // @ts-expect-error email must be a string
  void client.auth.register.mutate({ username: 'a', email: 1, password: 'p' });
  // @ts-expect-error search is a string
  void client.users.search.query({ search: 5 });
  // Well-typed calls compile: the usual spellings of roles, numbers and booleans.
  void client.events.list.query({ role: 'editor', page_size: 5, is_recurring: false, expand: true, sort: '-start_time' });
  void client.sharing.share.mutate({ id: 1, users: [{ user_id: 2, role: 'Viewer' }] });
  void client.auth.login.mutate({ email: 'a@b.co', password: 'secret' });
}
