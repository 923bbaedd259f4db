import { useQuery } from '@tanstack/react-query';
import { useDeferredValue, useState } from 'react';
import { Link } from 'react-router';
import { queries, type ListInput } from '../api/queries.ts';
import { useApi } from '../api/session.tsx';

const PAGE_SIZE = 20;

/** Every event I can see, searchable and filterable, a page at a time. */
export function EventList() {
  const { client } = useApi();
  const [q, setQ] = useState('');
  const [role, setRole] = useState<'' | 'OWNER' | 'EDITOR' | 'VIEWER'>('');
  const [recurring, setRecurring] = useState<'' | 'true' | 'false'>('');
  const [upcoming, setUpcoming] = useState(false);
  const [page, setPage] = useState(1);
  const search = useDeferredValue(q.trim());

  const input: ListInput = {
    page,
    page_size: PAGE_SIZE,
    sort: 'start_time',
    ...(search ? { q: search } : {}),
    ...(role ? { role } : {}),
    ...(recurring ? { is_recurring: recurring === 'true' } : {}),
    ...(upcoming ? { start_date: new Date().toISOString().slice(0, 13) + ':00:00Z' } : {}),
  };
  const list = useQuery({ ...queries.eventList(client, input), placeholderData: (previous) => previous });
  const reset =
    <T,>(set: (value: T) => void) =>
    (value: T) => {
      set(value);
      setPage(1);
    };

  return (
    <section aria-labelledby="list-title" className="event-list">
      <h2 id="list-title">All events</h2>
      <div className="filters">
        <label>
          Search
          <input type="search" value={q} onChange={(e) => reset(setQ)(e.target.value)} placeholder="Title, description, place" />
        </label>
        <label>
          My role
          <select value={role} onChange={(e) => reset(setRole)(e.target.value as typeof role)}>
            <option value="">Any</option>
            <option value="OWNER">Owner</option>
            <option value="EDITOR">Editor</option>
            <option value="VIEWER">Viewer</option>
          </select>
        </label>
        <label>
          Repeats
          <select value={recurring} onChange={(e) => reset(setRecurring)(e.target.value as typeof recurring)}>
            <option value="">Either</option>
            <option value="true">Recurring</option>
            <option value="false">One-off</option>
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={upcoming} onChange={(e) => reset(setUpcoming)(e.target.checked)} />
          Upcoming only
        </label>
      </div>
      {list.isError ? <p role="alert">Could not load events.</p> : null}
      <ul className="events" aria-busy={list.isFetching}>
        {list.data?.results.map((e) => (
          <li key={e.id}>
            <Link to={`/events/${e.id}`}>{e.title}</Link>
            <span className="muted">
              {new Date(e.start_time).toLocaleString()}
              {e.location ? ` · ${e.location}` : ''}
              {e.is_recurring ? ' · repeats' : ''}
            </span>
            <span className={`badge role-${e.my_role.toLowerCase()}`}>{e.my_role.toLowerCase()}</span>
          </li>
        ))}
      </ul>
      {list.data && list.data.count === 0 ? <p>No events match.</p> : null}
      {list.data && list.data.num_pages > 1 ? (
        <nav aria-label="Pages" className="pager">
          <button type="button" className="secondary" disabled={page <= 1} onClick={() => setPage(page - 1)}>
            Previous
          </button>
          <span>
            Page {list.data.current_page} of {list.data.num_pages}
          </span>
          <button type="button" className="secondary" disabled={page >= list.data.num_pages} onClick={() => setPage(page + 1)}>
            Next
          </button>
        </nav>
      ) : null}
    </section>
  );
}
