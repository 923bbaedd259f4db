import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';
import { isStalePreparedPlan, preparedNameOf } from './prepared-statements.ts';

/** SQLSTATEs of a server going away or refusing connections (class 08, and 57P01–57P03). */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '53300']);
const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** pg reports these as plain errors without a code. */
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client was closed and is not queryable',
];
/** A statement cancelled by statement_timeout. */
const STATEMENT_TIMEOUT = '57014';

/**
 * True when an error means the database cannot be reached or dropped the
 * connection (a restart, a failover, `pg_terminate_backend`, an exhausted
 * pool): the request did nothing wrong and may succeed shortly.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_STATES.has(code) || UNAVAILABLE_ERRNOS.has(code))) return true;
  if (error instanceof AggregateError && error.errors.some(isDatabaseUnavailable)) return true;
  return UNAVAILABLE_MESSAGES.some((text) => error.message.includes(text));
}

/** True when a statement ran past the configured statement_timeout. */
export function isStatementTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === STATEMENT_TIMEOUT;
}

const TRANSACTION_START = /^\s*(begin|start\s+transaction)\b/i;
const TRANSACTION_END = /^\s*(commit|rollback|end|abort)\b/i;
/** A statement that only reads: safe to run again. */
const READ_ONLY = /^\s*(select|with)\b/i;
const WRITES = /\b(insert|update|delete|merge|nextval|setval|pg_advisory\w*)\b|\bfor\s+(no\s+key\s+)?(update|share)\b/i;

const isRetryableRead = (sql: string) => READ_ONLY.test(sql) && !WRITES.test(sql);

/**
 * A pg pool for kysely whose connections survive the loss of their server
 * connection once: a read that fails because the connection was lost, and
 * that is not inside a transaction, runs again on a fresh connection. A lost
 * connection is destroyed, never handed back to the pool.
 */
export class ResilientPool implements PostgresPool {
  constructor(readonly pool: pg.Pool) {}

  async connect(): Promise<PostgresPoolClient> {
    // Queries only: kysely uses the cursor overload solely when a cursor class is configured (none is).
    return new ResilientClient(this.pool, await this.pool.connect()) as unknown as PostgresPoolClient;
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

class ResilientClient {
  private inTransaction = false;
  private broken: Error | undefined;

  /** A checked-out connection that loses its server emits 'error' between queries; unhandled, it would crash the process. */
  private readonly onError = (error: Error) => (this.broken = error);

  constructor(
    private readonly pool: pg.Pool,
    private client: pg.PoolClient | undefined,
  ) {
    client?.on('error', this.onError);
  }

  async query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    if (!this.client) throw new Error('Connection terminated: no database connection');
    try {
      const result = await this.run<R>(this.client, sql, parameters);
      return result;
    } catch (error) {
      // A connection whose prepared plan went stale is replaced like a lost one.
      if (!isDatabaseUnavailable(error) && !isStalePreparedPlan(error)) throw error;
      this.broken = error as Error;
      // A stale plan fails before the statement runs, so even a write may run again.
      if (this.inTransaction || !(isRetryableRead(sql) || isStalePreparedPlan(error))) throw error;
      // Retry once, on a fresh connection.
      this.client.off('error', this.onError);
      this.client.release(this.broken);
      this.client = undefined;
      this.broken = undefined;
      this.client = await this.pool.connect();
      this.client.on('error', this.onError);
      return this.run<R>(this.client, sql, parameters);
    }
  }

  release(): void {
    const client = this.client;
    this.client = undefined;
    client?.off('error', this.onError);
    // A connection that failed is destroyed (release with an error), not reused.
    client?.release(this.broken ?? (this.inTransaction ? new Error('released inside a transaction') : undefined));
  }

  private async run<R>(client: pg.PoolClient, sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    const name = preparedNameOf(sql);
    const values = parameters as unknown[];
    const result = (await (name
      ? client.query({ name, text: sql, values })
      : client.query(sql, values))) as unknown as PostgresQueryResult<R>;
    if (TRANSACTION_START.test(sql)) this.inTransaction = true;
    else if (TRANSACTION_END.test(sql)) this.inTransaction = false;
    return result;
  }
}
