import type { TEventDetail, TRole } from '@scheduler/shared';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { describeError, errorCode } from '../api/errors.ts';
import { keys, queries } from '../api/queries.ts';
import { useApi } from '../api/session.tsx';
import { CollabEditor } from '../components/CollabEditor.tsx';
import { Dialog } from '../components/Dialog.tsx';
import { EventForm } from '../components/EventForm.tsx';
import { Participants } from '../components/Participants.tsx';
import { affectsMe, myRoleAfter } from '../live/apply-change.ts';
import { useLive } from '../live/live-provider.tsx';

const canEdit = (role: TRole | undefined) => role === 'OWNER' || role === 'EDITOR';

/** One event: its details, who takes part, and the description edited together. */
export function EventPage() {
  const id = Number(useParams()['id']);
  const { client, user } = useApi();
  const { listen } = useLive();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const event = useQuery({ ...queries.event(client, id), enabled: Number.isInteger(id) && id > 0 });
  const [editing, setEditing] = useState(false);
  const [notice, setNotice] = useState<string>();
  const [revoked, setRevoked] = useState(false);

  // Tell the person when someone else changes their access to this event.
  useEffect(
    () =>
      listen((message) => {
        if (message.event_id !== id || !message.type.startsWith('permission.') || !affectsMe(message, user.id)) return;
        if (message.actor?.id === user.id) return;
        const role = myRoleAfter(message);
        const who = message.actor?.username ?? 'Someone';
        if (role === null) {
          setRevoked(true);
          setNotice(`${who} removed your access to this event.`);
        } else if (role) {
          setNotice(`${who} changed your role: you are now ${role === 'EDITOR' ? 'an editor' : `a ${role.toLowerCase()}`}.`);
        }
      }),
    [listen, id, user.id],
  );

  const remove = useMutation({
    mutationFn: () => client.trpc.events.delete.mutate({ id }),
    onSuccess: () => {
      queryClient.removeQueries({ queryKey: keys.event(id) });
      void queryClient.invalidateQueries({ queryKey: keys.eventLists });
      void navigate('/');
    },
  });

  if (revoked || (event.isError && ['NOT_FOUND', 'FORBIDDEN'].includes(errorCode(event.error) ?? ''))) {
    return (
      <section className="card">
        <h1>No access</h1>
        <p role="alert" className="notice">
          {notice ?? 'This event does not exist, or you no longer have access to it.'}
        </p>
        <Link to="/">Back to the calendar</Link>
      </section>
    );
  }
  if (event.isError) return <p role="alert">{describeError(event.error)}</p>;
  if (!event.data) return <p role="status">Loading…</p>;

  const e: TEventDetail = event.data;
  const role = e.my_role;
  return (
    <article className="event-page">
      <div className="page-head">
        <h1>{e.title}</h1>
        <div className="toolbar">
          <Link to={`/events/${id}/history`}>History</Link>
          {canEdit(role) ? (
            <button type="button" onClick={() => setEditing(true)}>
              Edit
            </button>
          ) : null}
          {role === 'OWNER' ? (
            <button
              type="button"
              className="danger"
              disabled={remove.isPending}
              onClick={() => {
                if (window.confirm(`Delete “${e.title}” for everyone?`)) remove.mutate();
              }}
            >
              Delete
            </button>
          ) : null}
        </div>
      </div>
      {notice ? (
        <p role="alert" className="notice">
          {notice}
        </p>
      ) : null}
      {remove.isError ? (
        <p role="alert" className="error">
          {describeError(remove.error)}
        </p>
      ) : null}
      <dl className="details">
        <dt>When</dt>
        <dd>
          {new Date(e.start_time).toLocaleString()} – {new Date(e.end_time).toLocaleString()}
          {e.rrule ? <span className="muted"> · repeats ({e.rrule})</span> : null}
        </dd>
        <dt>Time zone</dt>
        <dd>{e.timezone}</dd>
        <dt>Where</dt>
        <dd>{e.location || <span className="muted">—</span>}</dd>
        <dt>Tags</dt>
        <dd>
          {e.tags.length > 0 ? (
            <ul className="chips" aria-label="Tags">
              {e.tags.map((tag) => (
                <li key={tag} className="chip">
                  {tag}
                </li>
              ))}
            </ul>
          ) : (
            <span className="muted">—</span>
          )}
        </dd>
        <dt>Your role</dt>
        <dd>
          <span className={`badge role-${role.toLowerCase()}`}>{role.toLowerCase()}</span>
        </dd>
        <dt>Version</dt>
        <dd>{e.version}</dd>
      </dl>
      <CollabEditor
        key={`${id}-${canEdit(role)}`}
        eventId={id}
        client={client}
        user={user}
        readOnly={!canEdit(role)}
        onRevoked={() => {
          setRevoked(true);
          setNotice((n) => n ?? 'Your access to this event was removed.');
        }}
      />
      <Participants event={e} />
      {editing ? (
        <Dialog title="Edit event" onClose={() => setEditing(false)}>
          <EventForm
            event={e}
            onSave={async (draft) => {
              const result = await client.trpc.events.patch.mutate({
                id,
                ...draft,
                is_recurring: !!draft.recurrence_pattern,
              });
              queryClient.setQueryData<TEventDetail>(keys.event(id), (old) => (old ? { ...old, ...result.event } : old));
              void queryClient.invalidateQueries({ queryKey: keys.eventLists });
              return result;
            }}
            onDone={() => setEditing(false)}
          />
        </Dialog>
      ) : null}
    </article>
  );
}
