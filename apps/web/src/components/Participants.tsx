import type { TEventDetail } from '@scheduler/shared';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useDeferredValue, useId, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { describeError } from '../api/errors.ts';
import { keys, queries } from '../api/queries.ts';
import { useApi } from '../api/session.tsx';

/** Who takes part and with which role; the owner shares, changes roles and removes people, anyone may leave. */
export function Participants({ event }: { event: TEventDetail }) {
  const { client, user } = useApi();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const participants = useQuery(queries.participants(client, event.id));
  const isOwner = event.my_role === 'OWNER';
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: keys.participants(event.id) });
    void queryClient.invalidateQueries({ queryKey: keys.event(event.id) });
  };

  const changeRole = useMutation({
    mutationFn: (v: { user_id: number; role: 'EDITOR' | 'VIEWER' }) => client.trpc.sharing.update.mutate({ id: event.id, ...v }),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (userId: number) => client.trpc.sharing.remove.mutate({ id: event.id, user_id: userId }),
    onSuccess: (_data, userId) => {
      if (userId === user.id) {
        queryClient.removeQueries({ queryKey: keys.event(event.id) });
        void queryClient.invalidateQueries({ queryKey: keys.eventLists });
        void navigate('/');
      } else refresh();
    },
  });
  const error = changeRole.error ?? remove.error;

  return (
    <section aria-labelledby="participants-title" className="participants">
      <h2 id="participants-title">Participants</h2>
      <ul>
        {(participants.data?.participants ?? event.permissions).map((p) => (
          <li key={p.user_id}>
            <span className="who">
              {p.username}
              {p.user_id === user.id ? ' (you)' : ''}
            </span>
            {isOwner && p.role !== 'OWNER' ? (
              <>
                <label className="visually-hidden" htmlFor={`role-${p.user_id}`}>
                  Role of {p.username}
                </label>
                <select
                  id={`role-${p.user_id}`}
                  value={p.role}
                  disabled={changeRole.isPending}
                  onChange={(e) => changeRole.mutate({ user_id: p.user_id, role: e.target.value as 'EDITOR' | 'VIEWER' })}
                >
                  <option value="EDITOR">editor</option>
                  <option value="VIEWER">viewer</option>
                </select>
                <button type="button" className="secondary" disabled={remove.isPending} onClick={() => remove.mutate(p.user_id)}>
                  Remove {p.username}
                </button>
              </>
            ) : (
              <span className={`badge role-${p.role.toLowerCase()}`}>{p.role.toLowerCase()}</span>
            )}
            {!isOwner && p.user_id === user.id ? (
              <button type="button" className="secondary" onClick={() => remove.mutate(user.id)}>
                Leave this event
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      {error ? (
        <p role="alert" className="error">
          {describeError(error)}
        </p>
      ) : null}
      {isOwner ? <ShareForm eventId={event.id} onShared={refresh} /> : null}
    </section>
  );
}

/** Share by username, with suggestions from the user search. */
function ShareForm({ eventId, onShared }: { eventId: number; onShared: () => void }) {
  const { client } = useApi();
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<'EDITOR' | 'VIEWER'>('EDITOR');
  const search = useDeferredValue(username.trim());
  const suggestions = useQuery({ ...queries.users(client, search), enabled: search.length > 0 });
  const listId = useId();
  const share = useMutation({
    mutationFn: () => client.trpc.sharing.share.mutate({ id: eventId, username: username.trim(), role }),
    onSuccess: () => {
      setUsername('');
      onShared();
    },
  });

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (username.trim()) share.mutate();
  }

  return (
    <form className="share" onSubmit={onSubmit} aria-label="Share this event">
      <label>
        Share with (username)
        <input value={username} onChange={(e) => setUsername(e.target.value)} list={listId} autoComplete="off" />
      </label>
      <datalist id={listId}>
        {suggestions.data?.map((u) => (
          <option key={u.id} value={u.username} />
        ))}
      </datalist>
      <label>
        Role
        <select value={role} onChange={(e) => setRole(e.target.value as 'EDITOR' | 'VIEWER')}>
          <option value="EDITOR">editor</option>
          <option value="VIEWER">viewer</option>
        </select>
      </label>
      <button type="submit" disabled={share.isPending}>
        Share
      </button>
      {share.isError ? (
        <p role="alert" className="error">
          {describeError(share.error)}
        </p>
      ) : null}
    </form>
  );
}
