import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { describeError } from '../api/errors.ts';
import { keys, queries } from '../api/queries.ts';
import { useApi } from '../api/session.tsx';
import { SideBySideDiff } from '../components/SideBySideDiff.tsx';

const KIND = { '+': 'created', '~': 'changed', '-': 'deleted' } as const;

/** An event's versions, newest first: compare any two, and restore one. */
export function HistoryPage() {
  const id = Number(useParams()['id']);
  const { client } = useApi();
  const queryClient = useQueryClient();
  const event = useQuery(queries.event(client, id));
  const history = useQuery(queries.history(client, id));
  const versions = history.data ?? [];
  const [picked, setPicked] = useState<{ older?: number; newer?: number }>({});
  // Default: the latest change (the two newest versions).
  const newer = picked.newer ?? versions[0]?.version_id;
  const older = picked.older ?? versions[1]?.version_id;
  const pair = older !== undefined && newer !== undefined ? ([Math.min(older, newer), Math.max(older, newer)] as const) : undefined;
  const diff = useQuery({
    ...queries.diff(client, id, pair?.[0] ?? 0, pair?.[1] ?? 0),
    enabled: pair !== undefined && pair[0] !== pair[1],
  });
  const canRollBack = event.data?.my_role === 'OWNER' || event.data?.my_role === 'EDITOR';

  const rollback = useMutation({
    mutationFn: (versionId: number) => client.trpc.history.rollback.mutate({ id, version_id: versionId, on_conflict: 'allow' }),
    onSuccess: (result) => {
      queryClient.setQueryData(keys.event(id), (old: object | undefined) => (old ? { ...old, ...result.event } : old));
      void queryClient.invalidateQueries({ queryKey: keys.history(id) });
      setPicked({});
    },
  });

  const label = (versionId: number | undefined) => {
    const v = versions.find((x) => x.version_id === versionId);
    return v ? `Version ${v.version} (${new Date(v.history_date).toLocaleString()})` : '';
  };

  if (history.isError) return <p role="alert">{describeError(history.error)}</p>;
  return (
    <article className="history-page">
      <div className="page-head">
        <h1>History{event.data ? `: ${event.data.title}` : ''}</h1>
        <Link to={`/events/${id}`}>Back to the event</Link>
      </div>
      {rollback.isError ? (
        <p role="alert" className="error">
          {describeError(rollback.error)}
        </p>
      ) : null}
      {rollback.isSuccess ? (
        <p role="status" className="notice">
          Restored: the event is now version {rollback.data.event.version}.
        </p>
      ) : null}
      <table className="versions">
        <caption>Versions, newest first. Choose two to compare.</caption>
        <thead>
          <tr>
            <th scope="col">Older</th>
            <th scope="col">Newer</th>
            <th scope="col">Version</th>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">What</th>
            {canRollBack ? (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {versions.map((v, index) => (
            <tr key={v.version_id} className={v.version_id === older || v.version_id === newer ? 'picked' : ''}>
              <td>
                <input
                  type="radio"
                  name="older"
                  aria-label={`Compare from version ${v.version}`}
                  checked={v.version_id === older}
                  onChange={() => setPicked({ older: v.version_id, newer })}
                />
              </td>
              <td>
                <input
                  type="radio"
                  name="newer"
                  aria-label={`Compare to version ${v.version}`}
                  checked={v.version_id === newer}
                  onChange={() => setPicked({ older, newer: v.version_id })}
                />
              </td>
              <td>{v.version}</td>
              <td>
                <time dateTime={v.history_date}>{new Date(v.history_date).toLocaleString()}</time>
              </td>
              <td>{v.changed_by?.username ?? '—'}</td>
              <td>
                {KIND[v.history_type]}
                {v.change_reason ? <span className="muted"> · {v.change_reason}</span> : null}
              </td>
              {canRollBack ? (
                <td>
                  {index > 0 && v.history_type !== '-' ? (
                    <button type="button" className="secondary" disabled={rollback.isPending} onClick={() => rollback.mutate(v.version_id)}>
                      Restore version {v.version}
                    </button>
                  ) : null}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      <section aria-labelledby="diff-title">
        <h2 id="diff-title">Changes</h2>
        {pair && pair[0] === pair[1] ? <p>Choose two different versions.</p> : null}
        {diff.data && pair ? <SideBySideDiff diff={diff.data} older={label(pair[0])} newer={label(pair[1])} /> : null}
        {diff.isError ? <p role="alert">{describeError(diff.error)}</p> : null}
        {versions.length < 2 && history.isSuccess ? <p>Only one version so far.</p> : null}
      </section>
    </article>
  );
}
