/**
 * Where the refresh token is kept between page loads: this tab's
 * sessionStorage (see docs/decisions.md). The access token is never stored;
 * it lives in the client's memory only.
 */
const KEY = 'scheduler.refresh';

export const refreshStore = {
  read(): string | undefined {
    try {
      return sessionStorage.getItem(KEY) ?? undefined;
    } catch {
      return undefined;
    }
  },
  write(token: string | undefined): void {
    try {
      if (token) sessionStorage.setItem(KEY, token);
      else sessionStorage.removeItem(KEY);
    } catch {
      // Storage refused (private mode): the session lasts as long as the page.
    }
  },
};
