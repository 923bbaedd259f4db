import ICAL from 'ical.js';

/** One VEVENT of a feed as a subscriber reads it (ical.js), with its occurrences expanded on demand. */
export interface FeedEvent {
  uid: string;
  sequence: number;
  summary: string;
  description: string | null;
  location: string | null;
  categories: string[];
  tzid: string | null;
  rrule: string | null;
  start: string;
  end: string;
  /** Occurrence starts (UTC, RFC 3339) before `until`, as a calendar app expands them with the feed's VTIMEZONEs. */
  occurrences(until: string): string[];
}

const iso = (time: ICAL.Time) => time.toJSDate().toISOString().replace('.000Z', 'Z');

/** Parses an iCalendar text with ical.js, registering its VTIMEZONEs, as a subscribing app would. */
export function readFeed(text: string): { events: FeedEvent[]; timezones: string[] } {
  const calendar = new ICAL.Component(ICAL.parse(text));
  const timezones = calendar.getAllSubcomponents('vtimezone').map((component) => {
    const zone = new ICAL.Timezone(component);
    ICAL.TimezoneService.register(zone);
    return zone.tzid;
  });
  const events = calendar.getAllSubcomponents('vevent').map((component): FeedEvent => {
    const event = new ICAL.Event(component);
    const rule = component.getFirstPropertyValue('rrule');
    return {
      uid: event.uid,
      sequence: event.sequence,
      summary: event.summary,
      description: (component.getFirstPropertyValue('description') as string | null) ?? null,
      location: (component.getFirstPropertyValue('location') as string | null) ?? null,
      categories: component.getAllProperties('categories').flatMap((p) => p.getValues() as string[]),
      tzid: (component.getFirstProperty('dtstart')?.getParameter('tzid') as string | undefined) ?? null,
      rrule: rule ? rule.toString() : null,
      start: iso(event.startDate),
      end: iso(event.endDate),
      occurrences(until: string) {
        const starts: string[] = [];
        const iterator = event.iterator();
        for (let next = iterator.next(); next && iso(next) < until; next = iterator.next()) starts.push(iso(next));
        return starts;
      },
    };
  });
  return { events, timezones };
}
