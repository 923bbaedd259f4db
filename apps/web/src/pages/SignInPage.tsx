import { useState, type FormEvent } from 'react';
import { describeError } from '../api/errors.ts';
import { useSession } from '../api/session.tsx';

/** Sign in, or create an account. */
export function SignInPage() {
  const { signIn, register, endedNotice } = useSession();
  const [mode, setMode] = useState<'signin' | 'register'>('signin');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const text = (name: string) => {
      const value = form.get(name);
      return typeof value === 'string' ? value : '';
    };
    const username = text('username');
    const password = text('password');
    setBusy(true);
    setError(undefined);
    try {
      if (mode === 'signin') await signIn(username, password);
      else await register({ username, password, email: text('email') });
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  const title = mode === 'signin' ? 'Sign in' : 'Create an account';
  return (
    <main id="main" className="signin">
      <h1>Event Scheduler</h1>
      <form onSubmit={(e) => void onSubmit(e)} className="card" aria-labelledby="signin-title">
        <h2 id="signin-title">{title}</h2>
        {endedNotice && mode === 'signin' ? <p className="notice">{endedNotice}</p> : null}
        <label>
          Username
          <input name="username" autoComplete="username" required autoFocus />
        </label>
        {mode === 'register' ? (
          <label>
            Email
            <input name="email" type="email" autoComplete="email" required />
          </label>
        ) : null}
        <label>
          Password
          <input name="password" type="password" autoComplete={mode === 'signin' ? 'current-password' : 'new-password'} required />
        </label>
        {error ? (
          <p role="alert" className="error">
            {error}
          </p>
        ) : null}
        <button type="submit" disabled={busy}>
          {title === 'Sign in' ? 'Sign in' : 'Create account'}
        </button>
        <p>
          {mode === 'signin' ? 'New here? ' : 'Have an account? '}
          <button
            type="button"
            className="link"
            onClick={() => {
              setError(undefined);
              setMode(mode === 'signin' ? 'register' : 'signin');
            }}
          >
            {mode === 'signin' ? 'Create an account' : 'Sign in instead'}
          </button>
        </p>
      </form>
    </main>
  );
}
