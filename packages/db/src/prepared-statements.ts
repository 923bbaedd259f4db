/**
 * Statements that PostgreSQL connections prepare once and then run by name:
 * the server parses and plans them on first use per connection and reuses
 * the plan, instead of parsing and planning the text on every request. Only
 * the hot paths' fixed statements are registered (see `compiledOnce`), so
 * each connection holds a handful of plans.
 */
const names = new Map<string, string>();

/** Registers a statement's text for preparing; the same text always gets the same name. */
export function prepareStatement(text: string): void {
  if (!names.has(text)) names.set(text, `scheduler_${names.size + 1}`);
}

/** The name a registered statement is prepared under, or undefined for one-off text. */
export function preparedNameOf(text: string): string | undefined {
  return names.get(text);
}

/**
 * SQLSTATE 0A000 with this message: a prepared statement's result columns
 * changed under it (a migration altered a table it reads). The connection's
 * copy cannot be used again.
 */
export function isStalePreparedPlan(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === '0A000' && typeof message === 'string' && message.includes('cached plan must not change result type');
}
