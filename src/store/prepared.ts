// Hot queries built and compiled once: a card read runs the same five
// statements a thousand times a second, and building each one with Kysely and
// compiling it again cost about a tenth of the main thread (issue 16). The query
// is still written with Kysely (so still the store's dialect, no hand-written
// SQL); each run only binds new values and goes through the same connection,
// transaction and group commit as any other query.
import { createQueryId, type Compilable, type CompiledQuery, type QueryResult } from 'kysely';

const PARAM = Symbol('prepared parameter');
type Slot<N extends string> = { readonly [PARAM]: N };

/** Anything that runs a compiled query: the store's Kysely, a transaction of it, or one of its `withTables` views. */
export interface QueryRunner {
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}

/** Runs a compiled query at once: inside a transaction the store runs now (Store.runNow / readNow). */
export interface NowRunner {
  executeNow<R>(query: CompiledQuery<R>): QueryResult<R>;
}

export interface PreparedQuery<N extends string, R> {
  /** Runs the query with `values` bound, on `runner` (pass a transaction to run inside it). */
  execute(runner: QueryRunner, values: Readonly<Record<N, unknown>>): Promise<QueryResult<R>>;
  /** The same, at once, in what the store runs now. */
  executeNow(runner: NowRunner, values: Readonly<Record<N, unknown>>): QueryResult<R>;
  readonly sql: string;
}

/**
 * Builds a query once. `build` gets `param(name)`, a stand-in for a value bound
 * at each run (typed `never`, so it fits any value position); every other value
 * stays as built.
 */
export function prepareQuery<N extends string, R>(build: (param: (name: N) => never) => Compilable<R>): PreparedQuery<N, R> {
  const compiled = build((name) => ({ [PARAM]: name }) as Slot<N> as never).compile();
  const slots = compiled.parameters.map((value) => (typeof value === 'object' && value !== null && PARAM in value ? (value as Slot<N>)[PARAM] : undefined));
  const constants = compiled.parameters;
  const { sql, query } = compiled;
  const bound = (values: Readonly<Record<N, unknown>>): CompiledQuery<R> => {
    const parameters = new Array<unknown>(slots.length);
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      parameters[i] = slot === undefined ? constants[i] : values[slot];
    }
    return { sql, query, parameters, queryId: createQueryId() };
  };
  return {
    sql,
    execute: (runner, values) => runner.executeQuery<R>(bound(values)),
    executeNow: (runner, values) => runner.executeNow<R>(bound(values)),
  };
}
