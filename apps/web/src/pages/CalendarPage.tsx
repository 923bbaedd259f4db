import FullCalendar, { type DatesSetInfo, type EventInput } from '@fullcalendar/react';
import '@fullcalendar/react/skeleton.css';
import dayGridPlugin from '@fullcalendar/react/daygrid';
import interactionPlugin from '@fullcalendar/react/interaction';
import classicThemePlugin from '@fullcalendar/react/themes/classic';
import '@fullcalendar/react/themes/classic/palette.css';
import '@fullcalendar/react/themes/classic/theme.css';
import timeGridPlugin from '@fullcalendar/react/timegrid';
import type { TEvent } from '@scheduler/shared';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { keys } from '../api/queries.ts';
import { useApi } from '../api/session.tsx';
import { Dialog } from '../components/Dialog.tsx';
import { EventForm } from '../components/EventForm.tsx';
import { EventList } from '../components/EventList.tsx';

/** Pages of a calendar window fetched at most (100 occurrences each). */
const MAX_PAGES = 10;

/**
 * The calendar (month and week) of every event I can see, with recurring
 * events expanded by the server in each event's zone (`expand=true` over
 * the visible window), and the searchable list below it.
 */
export function CalendarPage() {
  const { client } = useApi();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [range, setRange] = useState<{ start: string; end: string }>();
  const [creating, setCreating] = useState<{ start?: Date } | undefined>();
  const [view, setView] = useState<'calendar' | 'list'>('calendar');

  const occurrences = useQuery({
    queryKey: [...keys.eventLists, 'window', range] as const,
    enabled: range !== undefined,
    // The signal goes on with each page, so signing out calls off a window still loading.
    queryFn: async ({ signal }) => {
      const rows: TEvent[] = [];
      for (let page = 1; page <= MAX_PAGES; page++) {
        const answer = await client.trpc.events.list.query(
          {
            start_date: range!.start,
            end_date: range!.end,
            expand: true,
            page,
            page_size: 100,
          },
          { signal },
        );
        rows.push(...answer.results);
        if (page >= answer.num_pages) break;
      }
      return rows;
    },
    placeholderData: (previous) => previous,
  });

  const events: EventInput[] = (occurrences.data ?? []).map((e) => ({
    id: `${e.id}@${e.start_time}`,
    groupId: String(e.id),
    title: e.title,
    start: e.start_time,
    end: e.end_time,
    url: `/app/events/${e.id}`,
    className: `calendar-event role-${e.my_role.toLowerCase()}`,
  }));

  return (
    <>
      <div className="page-head">
        <h1>My events</h1>
        <div className="toolbar">
          <div role="group" aria-label="View" className="segmented">
            <button type="button" aria-pressed={view === 'calendar'} onClick={() => setView('calendar')}>
              Calendar
            </button>
            <button type="button" aria-pressed={view === 'list'} onClick={() => setView('list')}>
              List
            </button>
          </div>
          <button type="button" onClick={() => setCreating({})}>
            New event
          </button>
        </div>
      </div>
      {view === 'calendar' ? (
        <div className="calendar" aria-busy={occurrences.isFetching}>
          <FullCalendar
            plugins={[classicThemePlugin, dayGridPlugin, timeGridPlugin, interactionPlugin]}
            initialView={window.matchMedia('(max-width: 640px)').matches ? 'timeGridDay' : 'dayGridMonth'}
            headerToolbar={{ start: 'prev,next today', center: 'title', end: 'dayGridMonth,timeGridWeek,timeGridDay' }}
            height="auto"
            nowIndicator
            events={events}
            datesSet={(info: DatesSetInfo) => setRange({ start: info.start.toISOString(), end: info.end.toISOString() })}
            eventClick={(info) => {
              info.jsEvent.preventDefault();
              void navigate(`/events/${info.event.groupId}`);
            }}
            dateClick={(info) => setCreating({ start: info.date })}
          />
        </div>
      ) : (
        <EventList />
      )}
      {creating ? (
        <Dialog title="New event" onClose={() => setCreating(undefined)}>
          <EventForm
            initialStart={creating.start}
            onSave={async (draft) => {
              const { event } = await client.trpc.events.create.mutate({ ...draft, is_recurring: !!draft.recurrence_pattern });
              await queryClient.invalidateQueries({ queryKey: keys.eventLists });
              return event;
            }}
            onDone={() => setCreating(undefined)}
          />
        </Dialog>
      ) : null}
    </>
  );
}
