import { lazy, Suspense } from 'react';
import { Navigate, NavLink, Route, Routes, useLocation } from 'react-router';
import { useSession } from './api/session.tsx';
import { ActivityNotices } from './components/ActivityNotices.tsx';
import { LiveProvider } from './live/live-provider.tsx';
import { SignInPage } from './pages/SignInPage.tsx';

// The calendar and the editor are most of the code: loaded when first shown, not on the sign-in page.
const CalendarPage = lazy(() => import('./pages/CalendarPage.tsx').then((m) => ({ default: m.CalendarPage })));
const EventPage = lazy(() => import('./pages/EventPage.tsx').then((m) => ({ default: m.EventPage })));
const HistoryPage = lazy(() => import('./pages/HistoryPage.tsx').then((m) => ({ default: m.HistoryPage })));

export function App() {
  const { status } = useSession();
  const location = useLocation();
  if (status === 'restoring')
    return (
      <p className="loading" role="status">
        Loading…
      </p>
    );
  if (status === 'signed-out') {
    return (
      <Routes>
        <Route path="/signin" element={<SignInPage />} />
        <Route path="*" element={<Navigate to="/signin" replace state={{ from: location.pathname + location.search }} />} />
      </Routes>
    );
  }
  return (
    <LiveProvider>
      <Shell>
        <Suspense fallback={<p role="status">Loading…</p>}>
          <Routes>
            <Route path="/" element={<CalendarPage />} />
            <Route path="/events/:id" element={<EventPage />} />
            <Route path="/events/:id/history" element={<HistoryPage />} />
            <Route path="/signin" element={<AfterSignIn />} />
            <Route path="*" element={<p>Page not found.</p>} />
          </Routes>
        </Suspense>
      </Shell>
    </LiveProvider>
  );
}

/** After signing in, back to the page that asked for it. */
function AfterSignIn() {
  const from = (useLocation().state as { from?: string } | null)?.from;
  return <Navigate to={from && from !== '/signin' ? from : '/'} replace />;
}

function Shell({ children }: { children: React.ReactNode }) {
  const { user, signOut } = useSession();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to="/" className="brand">
          Event Scheduler
        </NavLink>
        <nav aria-label="Main">
          <NavLink to="/" end>
            Calendar
          </NavLink>
        </nav>
        <span className="whoami">
          Signed in as <strong>{user?.username}</strong>
        </span>
        <button type="button" className="secondary" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <ActivityNotices />
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
