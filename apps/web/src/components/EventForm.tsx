import type { TConflict, TEvent } from '@scheduler/shared';
import { useState, type FormEvent } from 'react';
import { conflictsOf, describeError } from '../api/errors.ts';

export interface EventDraft {
  title: string;
  start_time: string;
  end_time: string;
  location: string | null;
  timezone: string;
  recurrence_pattern: string | null;
  tags: string[];
  description?: string;
  on_conflict?: 'allow';
}

const RECURRENCES = ['', 'daily', 'weekly', 'monthly', 'yearly'] as const;

/** `2026-12-02T10:00` in this browser's zone, as <input type="datetime-local"> wants it. */
function toLocalInput(iso: string): string {
  const date = new Date(iso);
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/**
 * Create or edit an event's fields. A save refused as EVENT_CONFLICT lists
 * the overlapping events and offers "Save anyway" (on_conflict=allow).
 * The description is edited collaboratively on the event page, so only a new
 * event's first description is asked for here.
 */
export function EventForm(props: {
  event?: TEvent | undefined;
  initialStart?: Date | undefined;
  onSave: (draft: EventDraft) => Promise<unknown>;
  onDone: () => void;
}) {
  const start = props.event?.start_time ?? (props.initialStart ?? nextHour()).toISOString();
  const end = props.event?.end_time ?? new Date(new Date(start).getTime() + 3_600_000).toISOString();
  const [error, setError] = useState<string>();
  const [conflicts, setConflicts] = useState<{ list: TConflict[]; draft: EventDraft }>();
  const [busy, setBusy] = useState(false);

  async function save(draft: EventDraft) {
    setBusy(true);
    setError(undefined);
    try {
      await props.onSave(draft);
      props.onDone();
    } catch (err) {
      const list = conflictsOf(err);
      if (list) setConflicts({ list, draft });
      else setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const text = (name: string) => {
      const value = form.get(name);
      return typeof value === 'string' ? value : '';
    };
    const startValue = text('start');
    const endValue = text('end');
    if (!startValue || !endValue) return setError('Start and end are required.');
    setConflicts(undefined);
    const draft: EventDraft = {
      title: text('title'),
      start_time: new Date(startValue).toISOString(),
      end_time: new Date(endValue).toISOString(),
      location: text('location') || null,
      timezone: text('timezone') || 'UTC',
      recurrence_pattern: text('recurrence') || null,
      // The server trims, lower-cases and de-duplicates; a bad tag comes back as a validation error.
      tags: text('tags')
        .split(',')
        .map((tag) => tag.trim())
        .filter((tag) => tag !== ''),
    };
    if (!props.event) draft.description = text('description');
    void save(draft);
  }

  const pattern = typeof props.event?.recurrence_pattern === 'string' ? props.event.recurrence_pattern.toLowerCase() : '';
  return (
    <form className="event-form" onSubmit={onSubmit}>
      <label>
        Title
        <input name="title" required maxLength={200} defaultValue={props.event?.title ?? ''} autoFocus />
      </label>
      <div className="row">
        <label>
          Starts
          <input name="start" type="datetime-local" required defaultValue={toLocalInput(start)} />
        </label>
        <label>
          Ends
          <input name="end" type="datetime-local" required defaultValue={toLocalInput(end)} />
        </label>
      </div>
      <div className="row">
        <label>
          Repeats
          <select name="recurrence" defaultValue={(RECURRENCES as readonly string[]).includes(pattern) ? pattern : ''}>
            {RECURRENCES.map((r) => (
              <option key={r} value={r}>
                {r === '' ? 'Does not repeat' : r[0]!.toUpperCase() + r.slice(1)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Time zone
          <input name="timezone" defaultValue={props.event?.timezone ?? browserZone()} />
        </label>
      </div>
      <label>
        Location
        <input name="location" maxLength={500} defaultValue={props.event?.location ?? ''} />
      </label>
      <label>
        Tags
        <input name="tags" placeholder="comma separated, e.g. planning, q2" defaultValue={props.event?.tags.join(', ') ?? ''} />
      </label>
      {props.event ? null : (
        <label>
          Description
          <textarea name="description" rows={3} />
        </label>
      )}
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      {conflicts ? (
        <div role="alert" className="conflict">
          <p>This overlaps {conflicts.list.length === 1 ? 'another event' : `${conflicts.list.length} events`}:</p>
          <ul>
            {conflicts.list.map((c) => (
              <li key={c.id}>
                {c.title} ({new Date(c.start_time).toLocaleString()} – {new Date(c.end_time).toLocaleTimeString()})
              </li>
            ))}
          </ul>
          <button type="button" disabled={busy} onClick={() => void save({ ...conflicts.draft, on_conflict: 'allow' })}>
            Save anyway
          </button>
        </div>
      ) : null}
      <div className="actions">
        <button type="submit" disabled={busy}>
          Save
        </button>
        <button type="button" className="secondary" onClick={props.onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function nextHour(): Date {
  const d = new Date();
  d.setMinutes(0, 0, 0);
  d.setHours(d.getHours() + 1);
  return d;
}
