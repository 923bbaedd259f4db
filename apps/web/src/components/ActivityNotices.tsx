import { Link } from 'react-router';
import { useLive } from '../live/live-provider.tsx';

/** Changes others made, as they arrive (announced politely to screen readers). */
export function ActivityNotices() {
  const { activity, dismiss } = useLive();
  return (
    <section className="activity" aria-label="Recent changes" aria-live="polite">
      {activity.map((a) => (
        <div key={a.id} className="notice">
          {a.message.type === 'event.deleted' ? <span>{a.text}</span> : <Link to={`/events/${a.message.event_id}`}>{a.text}</Link>}
          <button type="button" className="link" aria-label={`Dismiss: ${a.text}`} onClick={() => dismiss(a.id)}>
            ×
          </button>
        </div>
      ))}
    </section>
  );
}
