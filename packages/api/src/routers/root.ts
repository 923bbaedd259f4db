import { router } from '../trpc.ts';
import { authRouter, usersRouter } from './auth.ts';
import { calendarRouter } from './calendar.ts';
import { eventsRouter } from './events.ts';
import { freebusyRouter } from './freebusy.ts';
import { historyRouter } from './history.ts';
import { invitationsRouter } from './invitations.ts';
import { liveRouter } from './live.ts';
import { rsvpRouter } from './rsvp.ts';
import { sharingRouter } from './sharing.ts';
import { tagsRouter } from './tags.ts';
import { teamsRouter } from './teams.ts';
import { tokensRouter } from './tokens.ts';
import { webhooksRouter } from './webhooks.ts';

export const appRouter = router({
  auth: authRouter,
  users: usersRouter,
  events: eventsRouter,
  sharing: sharingRouter,
  teams: teamsRouter,
  invitations: invitationsRouter,
  rsvp: rsvpRouter,
  history: historyRouter,
  live: liveRouter,
  tags: tagsRouter,
  tokens: tokensRouter,
  webhooks: webhooksRouter,
  calendar: calendarRouter,
  freebusy: freebusyRouter,
});

export type AppRouter = typeof appRouter;
