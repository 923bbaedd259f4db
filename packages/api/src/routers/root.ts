import { router } from '../trpc.ts';
import { authRouter, usersRouter } from './auth.ts';
import { eventsRouter } from './events.ts';
import { historyRouter } from './history.ts';
import { sharingRouter } from './sharing.ts';

export const appRouter = router({
  auth: authRouter,
  users: usersRouter,
  events: eventsRouter,
  sharing: sharingRouter,
  history: historyRouter,
});

export type AppRouter = typeof appRouter;
