import { prepareStatement } from '@scheduler/db';
import type { Compilable, CompiledQuery, Kysely } from 'kysely';

/** Stands for the n-th argument of a query compiled once (see `compiledOnce`). */
class Slot {
  constructor(readonly index: number) {}
}

/** The compiled query with this call's arguments in place of the stand-ins. */
const withArguments = <Row>(query: CompiledQuery<Row>, args: unknown[]): CompiledQuery<Row> => ({
  ...query,
  parameters: query.parameters.map((p) => (p instanceof Slot ? args[p.index] : p)),
});

/**
 * A query built and compiled once per database, then run with new arguments:
 * kysely would otherwise rebuild and compile the same tree on every request.
 * PostgreSQL connections prepare it by name, so the server plans it once too.
 * `build` receives stand-ins for the arguments and must use each only as a
 * value (a parameter), never to shape the query.
 */
export function compiledOnce<Args extends unknown[], Row>(
  arity: Args['length'],
  /* eslint-disable @typescript-eslint/no-explicit-any -- the helper serves queries over any database type; each query types its own rows */
  build: (db: Kysely<any>, ...args: Args) => Compilable<Row>,
): (db: Kysely<any>, ...args: Args) => CompiledQuery<Row> {
  /* eslint-enable @typescript-eslint/no-explicit-any */
  const compiled = new WeakMap<object, CompiledQuery<Row>>();
  const slots = Array.from({ length: arity }, (_, i) => new Slot(i)) as unknown as Args;
  return (db, ...args) => {
    // Transactions are short-lived objects: they compile each time (the hot paths read outside them).
    let query = compiled.get(db);
    if (!query) {
      query = build(db, ...slots).compile();
      prepareStatement(query.sql);
      if (!db.isTransaction) compiled.set(db, query);
    }
    return withArguments(query, args);
  };
}

/**
 * A statement compiled once for the whole process, for writes that run inside
 * transactions (whose short-lived handles `compiledOnce` cannot key on). Safe
 * because every database here compiles PostgreSQL with kysely's PostgreSQL
 * compiler and no plugin reshapes these statements; like `compiledOnce`,
 * `build` must use its arguments only as values.
 */
export function compiledStatement<Args extends unknown[], Row>(
  arity: Args['length'],
  /* eslint-disable @typescript-eslint/no-explicit-any -- as compiledOnce */
  build: (db: Kysely<any>, ...args: Args) => CompiledQuery<Row>,
): (db: Kysely<any>, ...args: Args) => CompiledQuery<Row> {
  /* eslint-enable @typescript-eslint/no-explicit-any */
  let query: CompiledQuery<Row> | undefined;
  const slots = Array.from({ length: arity }, (_, i) => new Slot(i)) as unknown as Args;
  return (db, ...args) => {
    if (!query) {
      query = build(db, ...slots);
      prepareStatement(query.sql);
    }
    return withArguments(query, args);
  };
}
