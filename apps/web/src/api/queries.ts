import type { SchedulerClient } from '@scheduler/client';
import type { TListEventsInput } from '@scheduler/shared';
import { queryOptions } from '@tanstack/react-query';

/**
 * TanStack Query options for the procedures the pages read, each calling the
 * typed tRPC client. Keys start with the procedure path, so live changes can
 * update or invalidate by prefix (see live/apply-change.ts). Each passes
 * its abort signal on, so signing out can cancel what is still in flight.
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
    queryOptions({ queryKey: keys.eventList(input), queryFn: ({ signal }) => client.trpc.events.list.query(input, { signal }) }),
  event: (client: SchedulerClient, id: number) =>
    queryOptions({ queryKey: keys.event(id), queryFn: ({ signal }) => client.trpc.events.get.query({ id }, { signal }), retry: false }),
  participants: (client: SchedulerClient, id: number) =>
    queryOptions({
      queryKey: keys.participants(id),
      queryFn: ({ signal }) => client.trpc.sharing.list.query({ id }, { signal }),
      retry: false,
    }),
  history: (client: SchedulerClient, id: number) =>
    queryOptions({
      queryKey: keys.history(id),
      queryFn: ({ signal }) => client.trpc.history.list.query({ id, limit: 200 }, { signal }),
      retry: false,
    }),
  diff: (client: SchedulerClient, id: number, older: number, newer: number) =>
    queryOptions({
      queryKey: keys.diff(id, older, newer),
      queryFn: ({ signal }) => client.trpc.history.diff.query({ id, version_id1: older, version_id2: newer, detail: true }, { signal }),
      staleTime: Infinity, // versions never change
    }),
  users: (client: SchedulerClient, search: string) =>
    queryOptions({
      queryKey: keys.users(search),
      queryFn: ({ signal }) => client.trpc.users.search.query({ search }, { signal }),
      staleTime: 30_000,
    }),
};
