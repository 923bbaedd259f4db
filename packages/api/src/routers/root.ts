import { router } from '../trpc.ts';
import { authRouter, usersRouter } from './auth.ts';
import { eventsRouter } from './events.ts';
import { historyRouter } from './history.ts';
import { liveRouter } from './live.ts';
import { sharingRouter } from './sharing.ts';
import { webhooksRouter } from './webhooks.ts';

export const appRouter = router({
  auth: authRouter,
  users: usersRouter,
  events: eventsRouter,
  sharing: sharingRouter,
  history: historyRouter,
  live: liveRouter,
  webhooks: webhooksRouter,
});

export type AppRouter = typeof appRouter;
