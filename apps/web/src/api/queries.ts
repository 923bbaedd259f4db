import type { SchedulerClient } from '@scheduler/client';
import type { TListEventsInput } from '@scheduler/shared';
import { queryOptions } from '@tanstack/react-query';

/**
 * TanStack Query options for the procedures the pages read, each calling the
 * typed tRPC client. Keys start with the procedure path, so live changes can
 * update or invalidate by prefix (see live/apply-change.ts).
 */
export type ListInput = Omit<TListEventsInput, 'start_date' | 'end_date' | 'as_of'> & { start_date?: string; end_date?: string };

export const keys = {
  eventLists: ['events.list'] as const,
  eventList: (input: ListInput) => ['events.list', input] as const,
  event: (id: number) => ['events.get', id] as const,
  participants: (id: number) => ['sharing.list', id] as const,
  history: (id: number) => ['history.list', id] as const,
  diff: (id: number, a: number, b: number) => ['history.diff', id, a, b] as const,
  users: (search: string) => ['users.search', search] as const,
};

export const queries = {
  eventList: (client: SchedulerClient, input: ListInput) =>
    queryOptions({ queryKey: keys.eventList(input), queryFn: () => client.trpc.events.list.query(input) }),
  event: (client: SchedulerClient, id: number) =>
    queryOptions({ queryKey: keys.event(id), queryFn: () => client.trpc.events.get.query({ id }), retry: false }),
  participants: (client: SchedulerClient, id: number) =>
    queryOptions({ queryKey: keys.participants(id), queryFn: () => client.trpc.sharing.list.query({ id }), retry: false }),
  history: (client: SchedulerClient, id: number) =>
    queryOptions({ queryKey: keys.history(id), queryFn: () => client.trpc.history.list.query({ id, limit: 200 }), retry: false }),
  diff: (client: SchedulerClient, id: number, older: number, newer: number) =>
    queryOptions({
      queryKey: keys.diff(id, older, newer),
      queryFn: () => client.trpc.history.diff.query({ id, version_id1: older, version_id2: newer, detail: true }),
      staleTime: Infinity, // versions never change
    }),
  users: (client: SchedulerClient, search: string) =>
    queryOptions({ queryKey: keys.users(search), queryFn: () => client.trpc.users.search.query({ search }), staleTime: 30_000 }),
};
